"""`make publish`: the built book onto the local `gh-pages` branch with ghp-import (the Jupyter Book convention)
and a self-contained archive of `_build/html` for offline reading. Nothing is pushed unless asked:

    python tools/publish.py [--html _build/html] [--archive _build/dmlvae-book-html.tar.gz] [--remote origin]
                            [--branch gh-pages] [--pdf _build/dmlvae-book.pdf] [--push]

The printed edition (``make pdf``; `make publish` makes it first) lies beside the archive, and is published with
the pages as ``dmlvae-book.pdf`` at the site's root. Without it (no Chromium), the pages are published alone and a
line says so.

Without ``--push`` (``make publish``) the branch is committed locally, and the command names the remote, its URL
and the branch a push would replace. With ``--push`` (``make publish PUSH=1``) it says the same, then force-pushes
that branch (ghp-import rewrites it: the remote's history of that branch is replaced).
"""

from __future__ import annotations

import argparse
import os
import shutil
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
    ap.add_argument("--pdf", default="_build/dmlvae-book.pdf", help="the printed edition (make pdf), if made")
    ap.add_argument("--push", action="store_true", help="force-push the branch to the remote (asked explicitly)")
    args = ap.parse_args(argv)
    html = Path(args.html)
    if not (html / "index.html").is_file():
        print(f"error: {html}/index.html not found: build the book first (make book)", file=sys.stderr)
        return 2
    pdf = Path(args.pdf)
    if pdf.is_file():  # the site offers the printed edition too, and the archive holds it
        shutil.copyfile(pdf, html / "dmlvae-book.pdf")
        print(f"[publish] printed edition: {pdf} (beside the archive; on the site as dmlvae-book.pdf)")
    else:
        print(f"[publish] no printed edition ({pdf} not found: make pdf); the pages are published without it")
    print(f"[publish] archive: {archive(html, Path(args.archive))}")
    url = subprocess.run(["git", "remote", "get-url", args.remote], capture_output=True, text=True)
    if args.push and url.returncode != 0:
        print(
            f"error: --push: no remote {args.remote!r} in this repository (git remote -v lists them); nothing "
            "was pushed",
            file=sys.stderr,
        )
        return 2
    cmd = [sys.executable, "-m", "ghp_import", "-n", "-b", args.branch, "-m", "Publish the dmlvae book"]
    target = f"remote {args.remote} ({url.stdout.strip()}), branch {args.branch}" if url.returncode == 0 else None
    if args.push:
        print(f"[publish] force-pushing the book to {target}: that branch's history there is replaced", flush=True)
        cmd += ["-p", "-f", "-r", args.remote]
    done = subprocess.run(cmd + [str(html)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"error: ghp-import failed: {done.stderr.strip()}", file=sys.stderr)
        return 1
    if args.push:
        print(f"[publish] book pushed to {target}")
    else:
        print(
            f"[publish] book committed to the local branch {args.branch}; nothing pushed. "
            + (
                f"`make publish PUSH=1` would force-push it to {target}."
                if target
                else f"There is no remote {args.remote!r} to push to."
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
