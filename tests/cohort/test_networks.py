"""Which networks a cohort trains: rows of a run's front or trials, the family's presets,
with the search's metrics; bad rows and baselines are one-line errors."""

import pytest

from archscope.cohort.networks import CohortError, Member, choose, parse_rows
from archscope.search.objectives import evaluate


@pytest.mark.parametrize(("text", "expected"), [("front", "front"), (" ALL ", "all"), ("0,3,3,5", [0, 3, 5])])
def test_rows_are_front_all_or_numbers(text, expected):
    assert parse_rows(text) == expected


@pytest.mark.parametrize("text", ["first", "1,x", "-1", ""])
def test_bad_rows_are_refused(text):
    with pytest.raises(CohortError):
        parse_rows(text)


def test_the_front_rows_with_the_search_metrics(loaded_run, titanx):
    members = choose(loaded_run, titanx, rows="front", baselines=None)
    pareto = loaded_run.pareto
    assert [m.name for m in members] == [f"row{i}" for i in range(len(pareto))]
    for member, row in zip(members, pareto.to_dict(orient="records")):
        assert member.kind == "front" and member.family == "ndnet"
        assert member.config == {"widths": row["widths"], "depths": row["depths"], "expansion": str(row["expansion"])}
        assert member.metrics["layers"] == row["layers"] and member.metrics["params"] == row["params"]
        assert member.metrics["fps"] == pytest.approx(row["fps"], rel=1e-5)
        # trained with the family's head, classes from the data, the run's crop and batch
        assert set(member.train) & {"resolution", "classes", "batch", "head"} == set()
        assert member.train["widths"] == [int(w) for w in row["widths"].split(",")]
        assert Member.from_attr(member.as_attr()) == member


def test_all_is_every_feasible_trial_once(loaded_run, titanx):
    members = choose(loaded_run, titanx, rows="all", baselines=None)
    feasible = loaded_run.feasible.drop_duplicates(subset=["widths", "depths", "expansion"])
    assert [m.name for m in members] == [f"trial{t}" for t in feasible["trial"]]
    assert {m.kind for m in members} == {"trial"}


def test_baselines_are_presets_under_the_runs_setting(loaded_run, titanx):
    members = choose(loaded_run, titanx, rows="0", baselines="NDNet29,ndnet45")
    assert [m.name for m in members] == ["row0", "ndnet29", "ndnet45"]
    ndnet45 = members[2]
    assert ndnet45.kind == "baseline" and ndnet45.config["widths"] == "16,32,64"
    expected = evaluate("ndnet", {**loaded_run.space.fixed, "widths": (16, 32, 64), "depths": (4, 12, 6)}, titanx)
    assert ndnet45.metrics["fps"] == expected["fps"] and ndnet45.metrics["layers"] == 45


@pytest.mark.parametrize(("rows", "baselines", "message"), [
    ("99", None, "99 is not a row of"),
    (None, "ndnet99", "unknown baseline 'ndnet99' (ndnet's presets: ndnet29, ndnet45"),
    (None, " , ", "names no baseline"),
    ("0,0", None, None),  # repeated rows are one network
])
def test_bad_choices_say_what_is_wrong(loaded_run, titanx, rows, baselines, message):
    if message is None:
        assert len(choose(loaded_run, titanx, rows=rows, baselines=baselines)) == 1
        return
    with pytest.raises(CohortError, match=message.replace("(", r"\(").replace(")", r"\)")):
        choose(loaded_run, titanx, rows=rows, baselines=baselines)


def test_a_run_without_a_front_has_nothing_to_train(tmp_path, titanx):
    from archscope.search.folder import load_run
    from tests.search.conftest import write_run

    run = load_run(write_run(tmp_path / "infeasible", min_fps=1e9))
    with pytest.raises(CohortError, match="has no front"):
        choose(run, titanx, rows="front", baselines=None)
    with pytest.raises(CohortError, match="no feasible trial"):
        choose(run, titanx, rows="all", baselines=None)
    assert [m.name for m in choose(run, titanx, rows=None, baselines="ndnet61")] == ["ndnet61"]
