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


PDF = ROOT / "_build" / "dmlvae-book.pdf"


# under CI the PDF must exist once the book is built (.ci/run makes both before this file's last run)
@pytest.mark.skipif(
    not PDF.exists()
    and not (__import__("os").environ.get("CI") and (ROOT / "_build" / "html" / "intro.html").exists()),
    reason="no printed edition (make pdf)",
)
def test_printed_edition_holds_every_page_in_order_the_papers_table_1_and_the_scorecards_counts():
    """`make pdf` (CI runs it after `make book`): the PDF's text, as pypdf extracts it, holds the paper's Table 1
    numbers as page 02 prints them beside ours (wide tables wrapped, not cut at the page's edge), and the
    verdict counts the scorecard gives for the shipped rows; its outline lists the pages in the table of
    contents' order."""
    import re
    import unicodedata

    from pypdf import PdfReader

    from dmlvae.analysis import findings
    from dmlvae.experiments import paper, profiles

    reader = PdfReader(PDF)
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    flat = re.sub(r"\s+", " ", text)
    titles = [o.title for o in reader.outline]
    spec = importlib.util.spec_from_file_location("make_pdf", ROOT / "tools" / "make_pdf.py")
    make_pdf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_pdf)
    assert len(titles) == len(make_pdf.toc_pages()) and titles[1].startswith("Scorecard")
    starts = [reader.get_destination_page_number(o) for o in reader.outline]
    assert starts == sorted(starts) and starts[0] == 0
    table1 = paper.paper_table(1)
    missing = [v for v in table1.value if f"({v:.3f}," not in flat]  # "ours ± sd n=3 (paper, ours - paper)"
    assert not missing, f"paper Table 1 values not in the PDF: {missing}"
    cards = findings.cards(ROOT / profiles.SHIPPED, "paper")
    ours = cards[~cards.literal]  # the counts the intro states, under our reading of the objective
    for protocol in ("test-cv", "labelled-to-test"):
        count = findings._count(ours[ours.asked == protocol])
        assert f"under {protocol} {count}" in flat, count
