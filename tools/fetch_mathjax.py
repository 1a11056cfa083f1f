"""MathJax for the offline book: the npm registry's tarball of mathjax 3.2.2, checked against its published
sha512, and the files the book serves extracted into book/_extra/_static/mathjax (npm itself is not needed).

    python tools/fetch_mathjax.py [--dest book/_extra/_static/mathjax]

Downloads once; a later run with the files in place does nothing. Written into a temporary folder first and
renamed, so a killed run leaves no half-extracted copy.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
URL = "https://registry.npmjs.org/mathjax/-/mathjax-3.2.2.tgz"
# the registry's "integrity" of mathjax 3.2.2 (npm view mathjax@3.2.2 dist.integrity)
SHA512 = "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
# what the book serves: the combined TeX + MathML component and what it loads (output fonts, input, UI, a11y)
KEEP = ("tex-mml-chtml.js", "output/chtml", "input", "ui", "a11y")


def extract(tgz: bytes, dest: Path) -> None:
    digest = base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    if digest != SHA512:
        raise SystemExit(f"error: {URL}: sha512 {digest}, expected {SHA512}; nothing was written")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=dest.parent))
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        for m in tar.getmembers():
            parts = Path(m.name).parts  # package/es5/...
            if len(parts) < 3 or parts[:2] != ("package", "es5") or not m.isfile():
                continue
            rel = Path(*parts[2:])
            if any(rel.as_posix() == k or rel.as_posix().startswith(k + "/") for k in KEEP):
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(m).read())
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", default=str(ROOT / "book" / "_extra" / "_static" / "mathjax"))
    args = ap.parse_args(argv)
    dest = Path(args.dest)
    if (dest / "tex-mml-chtml.js").is_file():
        return 0
    try:
        with urllib.request.urlopen(URL, timeout=60) as r:
            tgz = r.read()
    except OSError as e:
        print(
            f"error: cannot download MathJax from {URL} ({e}); the book's formulas need it offline. Run this "
            "again with network access, or put mathjax 3.2.2's es5 folder at " + str(dest),
            file=sys.stderr,
        )
        return 1
    extract(tgz, dest)
    print(f"[mathjax] {URL} -> {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
