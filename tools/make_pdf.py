"""The book's printable edition: every built page printed by headless Chromium, merged into one PDF.

    python tools/make_pdf.py [--html _build/html] [--out _build/dmlvae-book.pdf]

The pages are taken in the order of the table of contents (book/_toc.yml: the root, then each chapter), each
opened in the browser that tools/check_pages.py uses, printed once its plotly figures have rendered (Chromium's
print-to-PDF, A4, with backgrounds), and merged with pypdf, one outline entry per page. Code cells that the book
folds stay folded: the print is of the page as a reader first sees it. The PDF is written atomically. Without
Chromium the command fails with one line saying what to install (a PDF cannot be made without a browser).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_pages  # noqa: E402  (the same browser, options and figure check as the book's page check)

ROOT = Path(__file__).resolve().parents[1]


def toc_pages(toc: Path = ROOT / "book" / "_toc.yml") -> list[str]:
    """The table of contents' files in reading order: the root, then the chapters (and their sections)."""
    spec = yaml.safe_load(toc.read_text())
    files = [spec["root"]]

    def walk(entries):
        for entry in entries or ():
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    walk(spec.get("chapters"))
    for part in spec.get("parts", ()):
        walk(part.get("chapters"))
    return files


def print_page(driver, page: Path, timeout: float = 30.0) -> bytes:
    from selenium.webdriver.common.print_page_options import PrintOptions

    driver.get(page.resolve().as_uri())
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready = driver.execute_script("return document.readyState") == "complete"
        total, rendered = driver.execute_script(check_pages.FIGURES_JS)
        if ready and rendered == total:
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"[pdf] {page}: its figures did not render within {timeout:.0f} s")
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in cm
    options.background = True
    return base64.b64decode(driver.print_page(options))


def merge(parts: list[tuple[str, bytes]], out: Path) -> int:
    """One PDF from ``parts`` (title, PDF bytes), an outline entry at each part's first page; the page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for title, data in parts:
        start = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(data)))
        writer.add_outline_item(title=title, page_number=start)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        writer.write(f)
    tmp.replace(out)
    return len(writer.pages)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--html", default=str(ROOT / "_build" / "html"))
    ap.add_argument("--out", default=str(ROOT / "_build" / "dmlvae-book.pdf"))
    args = ap.parse_args(argv)
    html = Path(args.html)
    why = check_pages.available()
    if why:
        print(
            f"[pdf] cannot print the book: {why}; install chromium and chromium-driver (Debian: apt-get install "
            "chromium chromium-driver), or run `make system` as root",
            file=sys.stderr,
        )
        return 1
    pages = [html / f"{name}.html" for name in toc_pages()]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        print(f"[pdf] not built: {', '.join(missing)}; build the book first (make book)", file=sys.stderr)
        return 2
    driver = check_pages.browser()
    parts = []
    try:
        for page in pages:
            data = print_page(driver, page)
            title = driver.title.split(" — ")[0].strip() or page.stem
            parts.append((title, data))
    finally:
        driver.quit()
    out = Path(args.out)
    n = merge(parts, out)
    where = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"[pdf] {len(parts)} pages of the book, {n} PDF pages -> {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
