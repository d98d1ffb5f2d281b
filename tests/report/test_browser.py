"""End to end: reports opened in headless Chromium render every figure without a
JavaScript error. Needs Debian's ``chromium`` (``.ci/run`` installs it) and playwright
(the dev extra); skipped, saying which is missing, without them."""

from __future__ import annotations

import pytest

from archscope import api
from archscope.cohort.folder import load_cohort
from archscope.report.browser import Browser, find_chromium
from archscope.report.candidates import Costed
from archscope.report.cohort_page import cohort_page
from archscope.report.cost_page import cost_page
from archscope.report.page import PlotlyJs, write_page
from archscope.report.search_page import search_page
from archscope.search.folder import load_run

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
)
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def browser():
    with Browser(height=1400) as session:
        yield session


def test_search_report_renders_every_figure(browser, tiny_run, titanx, tmp_path):
    path = write_page(search_page(load_run(tiny_run), titanx), tmp_path / "search.html")  # plotly.js inline
    shot = tmp_path / "search.png"
    result = browser.check(path, screenshot=shot)
    assert result.errors == []
    assert result.expected == 5 == len(result.containers) == result.drawn, result.containers
    # the parallel coordinates draw one SVG axis per dimension over their WebGL lines
    assert result.containers[1].traces >= 8
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_training_report_renders_every_figure(browser, trained_cohort, tmp_path):
    path = write_page(cohort_page(load_cohort(trained_cohort)), tmp_path / "trained.html")
    result = browser.check(path, screenshot=tmp_path / "trained.png")
    assert result.errors == []
    assert result.expected == 2 == len(result.containers) == result.drawn, result.containers


def test_cost_report_with_shared_plotly_renders(browser, titanx, tmp_path):
    report = api.cost("ndnet", resolution=(128, 256))
    page = cost_page(Costed("ndnet", report, api.latency(report, titanx)), titanx, description="ndnet")
    result = browser.check(write_page(page, tmp_path / "cost.html", plotly_js=PlotlyJs.SHARED))
    assert result.errors == [] and result.expected == 3 == result.drawn


def test_a_broken_page_is_caught(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<html><head><meta name="archscope-figures" content="1"></head>'
                    '<body><div class="js-plotly-plot"></div><script>undefinedFunction();</script></body></html>')
    result = browser.check(page, timeout_s=1)
    assert any("undefinedFunction" in e for e in result.errors)
    assert result.drawn == 0 and not result.ok
