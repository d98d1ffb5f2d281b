"""The reports as pages: their sections, written summaries and how plotly.js is loaded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from archscope import api
from archscope.check import ToolCheck
from archscope.report.candidates import Costed
from archscope.report.cost_page import cost_page
from archscope.report.page import Page, PlotlyJs, Section, render, shared_script_name, write_page
from archscope.search.folder import RunError, load_run
from archscope.report.search_page import search_page
from archscope.report.validation_page import load_validation, validation_page

RESULTS = Path(__file__).resolve().parents[2] / "results"
SEARCH_SECTIONS = ["Pareto front", "All trials", "The space: width against depth",
                   "Cost of the chosen networks by block", "Cost of the chosen networks by op class", "Configuration"]


@pytest.fixture(scope="module")
def page(tiny_run, titanx):
    return search_page(load_run(tiny_run), titanx, command="archscope report tiny-run")


def test_search_page_sections_and_summary(page, tiny_run):
    run = load_run(tiny_run)
    assert [s.title for s in page.sections] == SEARCH_SECTIONS
    assert len(page.figures) == 5
    summary = " ".join(page.summary)
    assert f"{len(run.finished)} finished trials, {len(run.feasible)} of them feasible" in summary
    assert "fps ≥ 1800 on titanx at 64x128, layers ≥ 7" in summary
    assert f"has {len(run.pareto)} points" in summary and "50.0% of the true front's" in summary
    assert "ndnet45: 45 layers" in summary and "(paper: 54.34 fps)" in summary


def test_search_page_lists_the_chosen_networks_and_the_commands(page, tiny_run):
    run = load_run(tiny_run)
    block = page.sections[3]
    labels = re.findall(r"<tr><td class=text>([^<]+)</td>", block.html)
    front = zip(run.pareto["widths"], run.pareto["depths"], run.pareto["expansion"])
    assert labels[: len(run.pareto)] == [f"{w} | {d} | {e}" for w, d, e in front]
    assert labels[len(run.pareto):] == ["ndnet29 (paper)", "ndnet45 (paper)", "ndnet61 (paper)", "ndnet29-wide (paper)"]
    config = page.sections[-1].html
    assert run.command in config and f"archscope search --space {tiny_run / 'config.toml'}" in config
    assert "archscope report tiny-run" in config and "[space.parameters.widths]" in config


def test_zero_feasible_trials_still_make_every_figure(infeasible_run, titanx):
    page = search_page(load_run(infeasible_run), titanx)
    assert page.summary[1].startswith("No feasible trial: none of the 60 finished trials meets the constraints")
    assert len(page.figures) == 5
    assert not any("hypervolume" in line for line in page.summary)


def test_render_embeds_plotly_once_and_counts_figures(page):
    text = render(page)
    assert text.count("Plotly.newPlot(") == 5
    assert '<meta name="archscope-figures" content="5">' in text
    assert len(text) > 3_000_000  # plotly.js itself, embedded
    assert text.count(f"plotly.js v{get_plotlyjs_version()}") == 1
    assert "<h1>archscope search report: tiny-run</h1>" in text


def test_cdn_pages_are_small(page):
    text = render(page, plotly_js=PlotlyJs.CDN)
    assert f'src="https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"' in text and len(text) < 600_000


def test_shared_plotly_is_written_once_beside_the_reports(tmp_path):
    small = Page("a", ["one line"], [Section("s", "text")])
    write_page(small, tmp_path / "a.html", plotly_js=PlotlyJs.SHARED)
    script = tmp_path / shared_script_name()
    stamp = script.stat().st_mtime_ns
    write_page(small, tmp_path / "b.html", plotly_js=PlotlyJs.SHARED)
    assert script.stat().st_mtime_ns == stamp and script.stat().st_size > 3_000_000
    assert f'<script src="{shared_script_name()}"' in (tmp_path / "b.html").read_text()


def test_text_is_escaped():
    text = render(Page("<t>", ["a < b & c"], [Section("x <y>", "p <q>")]), plotly_js=PlotlyJs.CDN)
    assert "<h1>&lt;t&gt;</h1>" in text and "a &lt; b &amp; c" in text and "p &lt;q&gt;" in text


def test_cost_page(titanx):
    report = api.cost("ndnet", widths=(16, 32, 64), depths=(4, 12, 6), resolution=(128, 256))
    costed = Costed("ndnet", report, api.latency(report, titanx))
    checks = {"fvcore": ToolCheck(theirs=10, ours=10, note="counts convs"), "ptflops_aten": ToolCheck(11, 10, "x")}
    formulas = api.formulas("ndnet", widths=(16, 32, 64), depths=(4, 12, 6))
    page = cost_page(costed, titanx, description="ndnet widths=16,32,64", checks=checks, formulas=formulas)
    assert [s.title for s in page.sections] == ["Cost by block", "Cost by op class", "Roofline", "Closed forms",
                                                "Cross-check with fvcore, ptflops and torch"]
    assert len(page.figures) == 3
    assert page.summary[1].startswith(f"{report.total.cost.params:,} parameters") and "45 layers" in page.summary[1]
    assert f"{costed.prediction.fps:.2f} fps" in page.summary[2]
    assert "block_params = d*n*(2*e*n + 9*e + 9)" in page.sections[3].html  # NDNet's eq. (7)
    check = page.sections[4]
    assert "1 of 2 agree exactly" in check.text and "<td>1</td>" in check.html
    totals = re.findall(r"<tr><td class=text>total</td><td>([^<]+)</td>", page.sections[0].html)
    assert totals == ["19x128x256"]


def test_validation_page_from_saved_results():
    summary, rows = load_validation(RESULTS / "latency_validation.json")
    page = validation_page(summary, rows, command="archscope report results/latency_validation.json")
    assert len(page.figures) == 1 and len(rows) == 24
    model = f"archscope model: {100 * summary['within_10pct']:.0f}% within ±10%, MAPE {summary['mape']:.1f}%"
    assert model in page.summary[1]
    assert f"MACs baseline: {100 * summary['baseline']['within_10pct']:.0f}% within ±10%" in page.summary[1]
    sections = {section.title: section for section in page.sections}
    assert sections["Every validation network"].html.count("<tr>") == 25  # header + 24 networks
    assert sections["By family"].html.count("<tr>") == 2  # header + NDNet


def test_a_validation_needs_its_csv(tmp_path):
    (tmp_path / "v.json").write_text('{"device": "local"}')
    with pytest.raises(RunError, match="v.csv"):
        load_validation(tmp_path / "v.json")


def test_the_default_ndnet_run_places_the_papers_networks(titanx):
    from archscope.report.candidates import references
    from archscope.report.search_page import search_summary

    run = load_run(RESULTS / "runs" / "ndnet-default")
    summary = search_summary(run, references(run.space, titanx))
    verdicts = {line.split(":")[0]: line for line in summary[-4:]}
    assert list(verdicts) == ["ndnet29", "ndnet45", "ndnet61", "ndnet29-wide"]
    for name in ("ndnet29", "ndnet45", "ndnet61"):  # each lies inside the front (README: NDNet search)
        assert "dominated by the front point" in verdicts[name]
    assert verdicts["ndnet45"].endswith("dominated by the front point 16,32,64 | 1,10,23 (69 layers).")
    assert verdicts["ndnet29-wide"].endswith("28.23 fps predicted (paper: 28.23 fps), below the 50 fps constraint.")


def test_the_report_of_an_accuracy_aware_search(tiny_space_file, titanx, tmp_path, one_torch_thread):
    from archscope.search.objectives import parse_objectives
    from archscope.search.runner import SearchRequest, run_search
    from archscope.search.space import load_space

    space = load_space(tiny_space_file).with_overrides(
        objectives=parse_objectives("miou,layers"), min_fps=1.0,  # the paper's networks meet it too
        proxy={"steps": 2, "resolution": (32, 32), "batch": 2, "eval_images": 2})
    request = SearchRequest(space=space, sampler="random", seed=0, trials=6, out=tmp_path / "run", study_name="m",
                            pruner="none")
    run_search(request, titanx)
    report = search_page(load_run(tmp_path / "run"), titanx)
    assert [s.title for s in report.sections] == SEARCH_SECTIONS
    assert any("this search did not train it" in line for line in report.summary)
    front = report.sections[0].figure
    assert front.layout.xaxis.title.text == "mIoU on the proxy task"
    assert [t.name for t in front.data if t.name == "the paper's networks"] == []  # no mIoU: not drawn
