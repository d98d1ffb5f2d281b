"""The report of trained networks: mIoU against predicted fps, learning curves, the
summary, as plain data and as a page; ``archscope report DIR`` writes it."""

import pandas as pd
import pytest

from archscope import api
from archscope.cli import main
from archscope.cohort.folder import load_cohort
from archscope.report.cohort_page import cohort_page, cohort_summary
from archscope.report.figures import accuracy_info, learning_curves_info
from archscope.search.folder import RunError


def test_accuracy_against_fps_as_data(trained_cohort):
    info = accuracy_info(load_cohort(trained_cohort))
    summary = pd.read_csv(trained_cohort / "summary.csv").set_index("name")
    assert info.chosen.labels == sorted(["row0", "row1"], key=lambda n: summary.loc[n, "fps"])
    assert info.baselines.labels == ["ndnet29"]
    assert info.baselines.x == [summary.loc["ndnet29", "fps"]] and info.baselines.y == [summary.loc["ndnet29", "miou"]]
    assert info.chosen.x == sorted(info.chosen.x) and info.device == "titanx" and info.data == "shapes"
    assert "row0" in info.chosen.hover[info.chosen.labels.index("row0")]


def test_learning_curves_as_data(trained_cohort):
    info = learning_curves_info(load_cohort(trained_cohort))
    assert [c.name for c in info.curves] == ["row0", "row1", "ndnet29"] and info.missing == []
    curve = info.curves[0]
    assert curve.eval_steps == [0, 2, 4] and curve.train_steps == [1, 2, 3, 4] and len(curve.loss) == 4
    assert [c.baseline for c in info.curves] == [False, False, True]


def test_the_page_says_who_is_faster_and_more_accurate(trained_cohort):
    cohort = load_cohort(trained_cohort)
    lines = cohort_summary(cohort)
    assert lines[0].startswith("3 networks (2 front points, 1 baseline)") and "4 steps of batch 2 on 32x32" in lines[0]
    assert any(line.startswith("Most accurate:") for line in lines)
    assert any(line.startswith("ndnet29 (24,48,96 | 3,8,3): mIoU") for line in lines)
    page = cohort_page(cohort, command="archscope report x")
    assert [s.title for s in page.sections] == ["Accuracy against speed", "Learning curves", "Every network", "Recipe"]
    assert len(page.figures) == 2 and "row1" in page.sections[2].html


def test_the_api_draws_them(trained_cohort):
    assert api.plot_accuracy(trained_cohort).layout.title.text.startswith("Accuracy against speed")
    assert len(api.plot_learning_curves(trained_cohort).data) == 6  # mIoU and loss of 3 networks


def test_archscope_report_on_a_cohort_folder(capsys, trained_cohort, tmp_path):
    target = tmp_path / "trained.html"
    assert main(["report", str(trained_cohort), "--out", str(target)]) == 0
    assert 'name="archscope-figures" content="2"' in target.read_text()
    assert f"wrote {target} (2 figures)" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "cohort.toml").write_text("[cohort]\n")
    code = main(["report", str(broken)])
    err = capsys.readouterr().err
    assert code == 2 and "has no summary.csv" in err and err.count("\n") == 1
    with pytest.raises(RunError):
        load_cohort(broken)
