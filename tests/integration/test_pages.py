"""The browser check of the built book (tools/check_pages.py) on small pages made here, and on the built
book when one exists: pages must load without JavaScript errors and every plotly figure must render."""

import importlib.util
import shutil
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest

from dmlvae.pages import plots

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_pages", ROOT / "tools" / "check_pages.py")
check_pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_pages)

pytestmark = pytest.mark.skipif(
    check_pages.available() is not None, reason=f"browser check unavailable: {check_pages.available()}"
)


def _page(tmp_path, name, body):
    js = tmp_path / "plotly.min.js"
    if not js.exists():
        shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", js)
    page = tmp_path / name
    page.write_text(f'<html><head><script src="plotly.min.js"></script></head><body>{body}</body></html>')
    return page


@pytest.fixture(scope="module")
def driver():
    d = check_pages.browser()
    yield d
    d.quit()


def test_renderer_output_renders_in_chromium(driver, tmp_path):
    render = plots.BookRenderer().to_mimebundle
    html = [render(go.Figure(go.Bar(x=[1, 2], y=[3, k])).to_dict())["text/html"] for k in (4, 5)]
    assert all("<script" in h and "cdn" not in h.lower() for h in html)  # no plotly.js inside, no CDN
    result = check_pages.check_page(driver, _page(tmp_path, "ok.html", "".join(html)), tmp_path / "ok.png")
    assert result["figures"] == 2 and result["rendered"] == 2 and result["errors"] == []
    assert check_pages.problems(result) == [] and (tmp_path / "ok.png").stat().st_size > 1000


def test_checker_catches_script_errors_and_unrendered_figures(driver, tmp_path):
    body = '<div class="plotly-graph-div"></div><script>undefinedFunction();</script>'
    result = check_pages.check_page(driver, _page(tmp_path, "bad.html", body), timeout=2)
    found = check_pages.problems(result)
    assert any("undefinedFunction" in p for p in found)
    assert any("1 of 1 plotly figures did not render" in p for p in found)


@pytest.mark.skipif(not (ROOT / "_build" / "html" / "intro.html").exists(), reason="book not built")
def test_built_book_pages(driver, tmp_path):
    pages = check_pages.pages_of(ROOT / "_build" / "html")
    assert pages
    for page in pages:
        assert check_pages.problems(check_pages.check_page(driver, page)) == []


@pytest.mark.skipif(not (ROOT / "_build" / "html" / "intro.html").exists(), reason="book not built")
def test_built_pages_offer_their_notebook_and_hide_bookkeeping_code():
    html = ROOT / "_build" / "html"
    for page in sorted((ROOT / "notebooks").glob("*.py")):
        text = (html / "generated" / f"{page.stem}.html").read_text()
        assert f'href="../_sources/generated/{page.stem}.ipynb"' in text, page.stem  # the download button
        assert (html / "_sources" / "generated" / f"{page.stem}.ipynb").exists()
        assert "Re-run it:" in text and ">papermill<" in text, page.stem
    for page in ("02_autoencoder", "07_scorecard"):  # result pages read like a paper: code behind a toggle
        assert "tag_hide-input" in (html / "generated" / f"{page}.html").read_text()
