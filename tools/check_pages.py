"""Open every built page of the book in headless Chromium and check it as a reader's browser would.

    python tools/check_pages.py [--html _build/html] [--screenshots DIR]

A page passes when it loads with no JavaScript error and no failed resource in the browser's console,
and every plotly figure on it has rendered (its SVG exists). With ``--screenshots DIR`` (``make book SHOTS=1``:
_build/screenshots) a full-page screenshot of each page is kept; without, none is taken (a second of each page's
check).
Exit status 1, with one line per problem, when any page fails. Without Chromium (a machine without root or
apt) the check is skipped with one line saying how to enable it, except under CI or DMLVAE_STRICT=1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# what a reader should not see in a page's outputs (issue 24): Python warnings, tracebacks, stderr, a raw
# DataFrame printed as text, literal Markdown or TeX, and tables or figures wider than the content column
# without their own scroll
CLEAN_JS = """
const found = [];
const column = (document.querySelector('article.bd-article') || document.querySelector('main') || document.body)
  .getBoundingClientRect().width;
const scrolls = (el, stop) => {
  for (let a = el.parentElement; a && a !== stop.parentElement; a = a.parentElement) {
    const s = getComputedStyle(a).overflowX;
    if ((s === 'auto' || s === 'scroll') && a.getBoundingClientRect().width <= column + 2) return true;
  }
  return false;
};
document.querySelectorAll('.cell_output').forEach((o, i) => {
  const text = o.innerText || '';
  const where = 'output ' + (i + 1);
  const w = text.match(/\\b\\w*Warning: [^\\n]{0,80}/);
  if (w) found.push(where + ': a Python warning: ' + w[0]);
  if (/Traceback \\(most recent call last\\)/.test(text)) found.push(where + ': a traceback');
  o.querySelectorAll('.stderr').forEach(e => found.push(where + ': stderr: ' + e.innerText.slice(0, 80)));
  o.querySelectorAll('.text_plain, .output.text_plain pre').forEach(e => {
    const rows = (e.innerText || '').split('\\n').filter(l => /^\\s*\\S+(\\s{2,}\\S+){2,}\\s*$/.test(l));
    if (rows.length >= 3) found.push(where + ': a table printed as plain text: ' + rows[0].trim().slice(0, 60));
  });
  if (/\\*\\*\\S/.test(text))
    found.push(where + ': literal Markdown (**): ' + text.match(/.{0,30}\\*\\*\\S.{0,30}/)[0]);
  const tex = text.match(/\\$[^$\\s][^$\\n]{0,60}\\$/);
  if (tex) found.push(where + ': literal TeX: ' + tex[0]);
  o.querySelectorAll('table, .plotly-graph-div, img').forEach(el => {
    const width = el.getBoundingClientRect().width;
    if (width > column + 2 && !scrolls(el, o))
      found.push(where + ': a ' + el.tagName.toLowerCase() + ' ' + Math.round(width) + ' px wide in a ' +
                 Math.round(column) + ' px column, without its own scroll');
  });
});
return found;
"""
# the page's height and where its first result (a table or figure in a cell's output) starts, in CSS px at the
# check's 1300 px width: how much a reader scrolls, and how much of the page comes before the first result
LAYOUT_JS = """
const first = document.querySelector('.cell_output table, .cell_output .plotly-graph-div');
const top = first ? first.getBoundingClientRect().top + window.scrollY : null;
return [document.documentElement.scrollHeight, top];
"""
FIGURES_JS = """
const divs = [...document.querySelectorAll('.plotly-graph-div')];
return [divs.length, divs.filter(d => d.querySelector('svg.main-svg')).length];
"""


def available() -> str | None:
    """None when the browser check can run; else why not."""
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not Path(exe).exists() and not shutil.which(Path(exe).name):
            return f"{exe} not found (Debian packages chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1300,900",
        "--hide-scrollbars",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else shutil.which("chromedriver")
    return webdriver.Chrome(options=opts, service=Service(driver))


def check_page(driver, page: Path, screenshot: Path | None = None, timeout: float = 20.0) -> dict:
    driver.get(page.resolve().as_uri())
    deadline = time.time() + timeout
    while True:
        ready = driver.execute_script("return document.readyState") == "complete"
        total, rendered = driver.execute_script(FIGURES_JS)
        if (ready and rendered == total) or time.time() > deadline:
            break
        time.sleep(0.2)
    logs = driver.get_log("browser")
    errors = [entry["message"] for entry in logs if entry["level"] == "SEVERE"]
    unclean = driver.execute_script(CLEAN_JS)
    page_height, first = driver.execute_script(LAYOUT_JS)
    if screenshot is not None:
        height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 12000)")
        driver.set_window_size(1300, max(900, height))
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
        driver.set_window_size(1300, 900)
    return {
        "page": str(page),
        "figures": total,
        "rendered": rendered,
        "errors": errors,
        "unclean": unclean,
        "height": page_height,
        "first_result": first,
    }


def problems(result: dict) -> list[str]:
    out = [f"{result['page']}: JavaScript/console error: {e}" for e in result["errors"]]
    out += [f"{result['page']}: {u}" for u in result.get("unclean", [])]
    if result["rendered"] != result["figures"]:
        out.append(
            f"{result['page']}: {result['figures'] - result['rendered']} of {result['figures']} plotly "
            "figures did not render"
        )
    return out


def pages_of(html: Path) -> list[Path]:
    skip = {"genindex.html", "search.html", "index.html"}
    return sorted(
        p for p in html.rglob("*.html") if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--html", default=str(ROOT / "_build" / "html"))
    ap.add_argument("--screenshots", default=None, help="keep a full-page screenshot of each page in this folder")
    args = ap.parse_args(argv)
    why = available()
    if why and (os.environ.get("CI") or os.environ.get("DMLVAE_STRICT")):
        print(f"[pages] cannot check pages: {why}", file=sys.stderr)
        return 1
    if why:  # a machine without the browser (no root, no apt): the book is built, its pages are not opened
        print(
            f"[pages] browser check skipped: {why}; to check every built page in Chromium install chromium and "
            "chromium-driver (Debian: apt-get install chromium chromium-driver) and pip's selenium, then run "
            "make book again",
            file=sys.stderr,
        )
        return 0
    html, shots = Path(args.html), (Path(args.screenshots) if args.screenshots else None)
    pages = pages_of(html)
    if not pages:
        print(f"[pages] no pages under {html}", file=sys.stderr)
        return 1
    driver = browser()
    failed = []
    try:
        for page in pages:
            name = page.relative_to(html).as_posix().replace("/", "_").removesuffix(".html") + ".png"
            shot = None if shots is None else shots / name
            result = check_page(driver, page, shot)
            issues = problems(result)
            failed += issues
            status = "ok" if not issues else "FAILED"
            where = "" if shot is None else f" -> {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}"
            first = "none" if result["first_result"] is None else f"{result['first_result']:,.0f} px"
            print(
                f"[pages] {status}: {page.relative_to(html)} ({result['rendered']}/{result['figures']} figures "
                f"rendered, {len(result['errors'])} console errors; {result['height']:,} px tall, first table or "
                f"figure at {first}){where}"
            )
    finally:
        driver.quit()
    for line in failed:
        print(f"[pages] {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
