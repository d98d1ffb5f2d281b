"""``archscope report``, ``archscope cost --report`` and ``archscope validate latency
--report``: files written, --open, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import shutil
import webbrowser
from pathlib import Path

import pandas as pd
import pytest

from archscope.check import ToolCheck
from archscope.cli import main
from archscope.cli.report import open_in_browser
from archscope.latency import validate as validate_module
from archscope.latency.validate import ValidationResult
from tests.report.conftest import infeasible_run, tiny_run, titanx  # noqa: F401  (fixtures)

RESULTS = Path(__file__).resolve().parents[2] / "results"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def figures(path: Path) -> int:
    text = path.read_text()
    return int(text.split('name="archscope-figures" content="')[1].split('"')[0])


def test_report_of_a_run_folder(capsys, tiny_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(tiny_run, folder)
    code, out, err = run(capsys, "report", str(folder))
    assert code == 0 and out == ""
    written = folder / "report.html"
    assert f"wrote {written} (5 figures)" in err
    assert figures(written) == 5 and written.stat().st_size > 3_000_000  # plotly.js embedded
    assert f"archscope report {folder}" in written.read_text()


def test_report_with_cdn_plotly_to_another_file(capsys, tiny_run, tmp_path):
    target = tmp_path / "out" / "search.html"
    code, _, _ = run(capsys, "report", str(tiny_run), "--out", str(target), "--plotly-js", "cdn")
    assert code == 0 and target.stat().st_size < 600_000 and "cdn.plot.ly" in target.read_text()


def test_zero_feasible_trials_still_report(capsys, infeasible_run, tmp_path):
    target = tmp_path / "r.html"
    code, _, err = run(capsys, "report", str(infeasible_run), "--out", str(target), "--plotly-js", "cdn")
    assert code == 0, err
    text = target.read_text()
    assert "No feasible trial: none of the 60 finished trials meets the constraints" in text and figures(target) == 5


def test_open_uses_the_browser_and_says_when_there_is_none(capsys, tiny_run, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    target = tmp_path / "r.html"
    code, _, err = run(capsys, "report", str(tiny_run), "--out", str(target), "--plotly-js", "cdn", "--open")
    assert code == 0 and opened == [target.resolve().as_uri()] and "no web browser" not in err
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    open_in_browser(target)
    assert f"no web browser found here: open {target} yourself" in capsys.readouterr().err


def _bad_runs(tiny_run: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty"
    empty.mkdir()
    partial = tmp_path / "partial"
    shutil.copytree(tiny_run, partial)
    (partial / "trials.csv").unlink()
    return {
        "missing": (tmp_path / "nowhere", "no such folder"),
        "not a run": (empty, "is not a search run folder"),
        "missing file": (partial, "has no trials.csv"),
        "missing json": (tmp_path / "validation.json", "no such file"),
    }


@pytest.mark.parametrize("case", ["missing", "not a run", "missing file", "missing json"])
def test_bad_input_is_one_line_and_exit_2(capsys, tiny_run, tmp_path, case):
    path, message = _bad_runs(tiny_run, tmp_path)[case]
    code, out, err = run(capsys, "report", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("archscope: error:") and message in err
    assert "Traceback" not in err


def test_report_to_a_name_that_is_not_html(capsys, tiny_run, tmp_path):
    code, _, err = run(capsys, "report", str(tiny_run), "--out", str(tmp_path / "r.txt"))
    assert code == 2 and "is not an .html file name" in err and err.count("\n") == 1


def test_report_of_a_saved_validation(capsys, tmp_path):
    for suffix in (".json", ".csv"):
        shutil.copy(RESULTS / f"latency_validation{suffix}", tmp_path / f"v{suffix}")
    code, _, err = run(capsys, "report", str(tmp_path / "v.json"), "--plotly-js", "cdn")
    assert code == 0 and figures(tmp_path / "v.html") == 1
    summary = json.loads((RESULTS / "latency_validation.json").read_text())
    assert f"{100 * summary['within_10pct']:.0f}% within ±10%" in (tmp_path / "v.html").read_text()


def test_cost_report_keeps_the_json_output(capsys, tmp_path, monkeypatch):
    checked = []

    def check(report):  # fvcore and ptflops take seconds: archscope.check's own tests run them
        checked.append(report.total.layers)
        return {"fvcore": ToolCheck(7, 7, "counts convs"), "torch_params": ToolCheck(5, 4, "all parameters")}

    monkeypatch.setattr("archscope.check.cross_check", check)
    target = tmp_path / "cost.html"
    code, out, err = run(capsys, "cost", "ndnet", "--resolution", "64x128", "--format", "json",
                         "--report", str(target), "--plotly-js", "shared")
    assert code == 0, err
    assert json.loads(out)["layers"] == 29 and "check" not in json.loads(out)  # the report does not change stdout
    text = target.read_text()
    assert figures(target) == 3 and len(list(tmp_path.glob("plotly-*.min.js"))) == 1
    titles = ("Cost by block", "Cost by op class", "Roofline", "Closed forms",
              "Cross-check with fvcore, ptflops and torch")
    for title in titles:
        assert f"<h2>{title}</h2>" in text
    assert "No --device given: predicted on titanx" in text
    assert checked == [29] and "1 of 2 agree exactly" in text  # the report runs the cross-check


@pytest.mark.parametrize(
    "args, message",
    [
        (["--report", "cost.txt"], "is not an .html file name"),
        (["--report", "r.html", "--device", "nosuch"], "unknown device"),
    ],
)
def test_cost_report_bad_input(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "cost", "ndnet", "--resolution", "64x128", "--format", "csv", *args)
    assert code == 2 and message in err and err.count("\n") == 1


def _saved_validation() -> ValidationResult:
    summary = json.loads((RESULTS / "latency_validation.json").read_text())
    rows = pd.read_csv(RESULTS / "latency_validation.csv")
    return ValidationResult(
        device="local",
        calibration=rows[rows["set"] == "calibration"].to_dict(orient="records"),
        candidates=rows[rows["set"] == "validation"].to_dict(orient="records"),
        model={k: summary[k] for k in ("within_10pct", "mape", "spearman")},
        baseline={k: summary["baseline"][k] for k in ("within_10pct", "mape", "spearman")},
        ms_per_gmac=summary["baseline"]["ms_per_gmac"],
        speed_factor=summary["speed_factor"],
        uncorrected=summary["uncorrected"],
    )


def test_validate_latency_report(capsys, tmp_path, monkeypatch):
    calls = []

    def measured(profile, **options):  # no timing in tests: the saved validation stands in
        calls.append(options)
        return _saved_validation()

    monkeypatch.setattr(validate_module, "validate_latency", measured)
    target = tmp_path / "validation.html"
    code, out, err = run(capsys, "validate", "latency", "--device", str(RESULTS / "latency_local_profile.toml"),
                         "--format", "json", "--report", str(target), "--plotly-js", "cdn")
    assert code == 0, err
    assert len(calls) == 1 and json.loads(out)["n"] == 24
    text = target.read_text()
    assert figures(target) == 1
    summary = json.loads((RESULTS / "latency_validation.json").read_text())
    assert f"archscope model: {100 * summary['within_10pct']:.0f}% within ±10%" in text
    assert f"MACs baseline: {100 * summary['baseline']['within_10pct']:.0f}% within ±10%" in text


def test_validate_report_name_is_checked_before_measuring(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(validate_module, "validate_latency", lambda *a, **k: pytest.fail("measured"))
    code, _, err = run(capsys, "validate", "latency", "--device", str(RESULTS / "latency_local_profile.toml"),
                       "--report", str(tmp_path / "v.json"))
    assert code == 2 and "is not an .html file name" in err
