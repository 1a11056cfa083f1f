"""`make publish`: the built book onto the `gh-pages` branch with ghp-import (the Jupyter Book convention),
pushed to a remote when it has one, and a self-contained archive of `_build/html` for offline reading.

    python tools/publish.py [--html _build/html] [--archive _build/dmlvae-book-html.tar.gz] [--remote origin]

Run it in the repository whose `gh-pages` branch should receive the book. Without the remote (this repository
has no public one yet), the branch is committed locally and the command says so.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path


def archive(html: Path, dest: Path) -> Path:
    """A .tar.gz of the built book (one folder, opens offline: index.html inside); written atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(html, arcname="dmlvae-book")
    tmp.replace(dest)
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--html", default="_build/html")
    ap.add_argument("--archive", default="_build/dmlvae-book-html.tar.gz")
    ap.add_argument("--remote", default="origin")
    ap.add_argument("--branch", default="gh-pages")
    args = ap.parse_args(argv)
    html = Path(args.html)
    if not (html / "index.html").is_file():
        print(f"error: {html}/index.html not found: build the book first (make book)", file=sys.stderr)
        return 2
    print(f"[publish] archive: {archive(html, Path(args.archive))}")
    has_remote = subprocess.run(["git", "remote", "get-url", args.remote], capture_output=True).returncode == 0
    cmd = [sys.executable, "-m", "ghp_import", "-n", "-b", args.branch, "-m", "Publish the dmlvae book"]
    if has_remote:
        cmd += ["-p", "-f", "-r", args.remote]
    done = subprocess.run(cmd + [str(html)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"error: ghp-import failed: {done.stderr.strip()}", file=sys.stderr)
        return 1
    where = f"pushed to {args.remote}/{args.branch}" if has_remote else (
        f"committed to the local branch {args.branch}; no remote {args.remote!r} to push to")
    print(f"[publish] book {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
