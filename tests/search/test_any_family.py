"""Spaces over any registered family: categorical parameters (enums, bools, floats, whole
tuples) decoded to build arguments, a latency budget, exhaustive enumeration with the
full model, Optuna studies drawing labels, and the shipped ERFNet and ESPNet spaces."""

import json
import tomllib

import optuna
import pandas as pd
import pytest

from archscope.cli import main
from archscope.families.erfnet import ConvKind, Decoder
from archscope.families.icnet import Branches
from archscope.search.exhaustive import enumerate_space
from archscope.search.constraints import is_feasible
from archscope.search.objectives import evaluate
from archscope.search.pareto import reference_point
from archscope.search.runner import SearchRequest, run_search
from archscope.search.space import SpaceError, load_space, space_from_dict
from archscope.search.objective import SpaceObjective
from archscope.search.toml_out import dumps

OBJECTIVES = [{"metric": "params", "direction": "maximize"}, {"metric": "latency_ms", "direction": "minimize"}]


def erfnet_space(max_latency_ms: float | None = None, **parameters) -> dict:
    """24 ERFNet grouping configurations at 64x128 on jetson-tx2."""
    constraints = {"device": "jetson-tx2", "resolution": "64x128", "rules": []}
    if max_latency_ms is not None:
        constraints["max_latency_ms"] = max_latency_ms
    return {
        "name": "erfnet-small",
        "family": "erfnet",
        "constraints": constraints,
        "parameters": parameters or {
            "conv": {"choices": ["separable", "grouped", "dense"]},
            "scope": {"choices": ["encoder", "all"]},
            "groups": {"choices": [2, 4]},
            "decoder": {"choices": ["light", "erfnet"]},
        },
        "objectives": OBJECTIVES,
    }


@pytest.fixture(scope="module")
def tx2():
    from archscope.latency.profile import load_profile

    return load_profile("jetson-tx2")


def test_categoricals_decode_to_build_arguments():
    space = space_from_dict(erfnet_space(
        conv={"choices": ["separable", "dense"]},
        widths={"name": "w", "choices": [[16, 64, 128], [8, 32, 64]]},
        decoder={"choices": ["light", "erfnet"]},
    ))
    assert space.size() == 8 and space.categorical() == {"conv", "w", "decoder"} and not space.ordered
    assert space.choices() == {"conv": ("separable", "dense"), "w": ("16,64,128", "8,32,64"), "decoder": ("light", "erfnet")}
    hyper = space.hyper({"conv": "dense", "w": "8,32,64", "decoder": "light"})
    assert hyper["conv"] is ConvKind.DENSE and hyper["widths"] == (8, 32, 64) and hyper["decoder"] is Decoder.LIGHT
    low, high = space.corners()  # a categorical's first and last listed choices
    assert low == {"conv": "separable", "w": "16,64,128", "decoder": "light"} and high["conv"] == "dense"
    assert space.defaults() == {"conv": "dense", "widths": "16,64,128", "decoder": "erfnet"}
    assert space_from_dict(tomllib.loads(dumps(space.to_dict()))) == space

    icnet = space_from_dict({
        "name": "icnet", "family": "icnet", "constraints": {"device": "titanx"},
        "parameters": {"kernel_keep": {"name": "keep", "choices": [0.25, 0.5, 1.0]}, "branches": {"choices": ["sub4", "sub124"]},
                       "aux_heads": {"choices": [False, True]}},
        "objectives": OBJECTIVES,
    })
    hyper = icnet.hyper({"keep": 0.25, "branches": "sub124", "aux_heads": True})
    assert hyper == {"kernel_keep": 0.25, "branches": Branches.SUB124, "aux_heads": True}
    assert space_from_dict(tomllib.loads(dumps(icnet.to_dict()))) == icnet


BAD = {
    "not a choice": ({"conv": {"choices": ["dense", "sparse"]}}, "conv: 'sparse' is not one of dense, grouped"),
    "twice": ({"conv": {"choices": ["dense", "dense"]}}, "listed twice"),
    "a range": ({"conv": {"low": 1, "high": 2}}, "unknown key(s) high, low"),
    "empty": ({"decoder": {"choices": []}}, "needs choices"),
    "not a tuple": ({"widths": {"name": "w", "choices": [16, 64]}}, "is not a list of integers"),
    "a tuple below its minimum": ({"depths": {"name": "d", "choices": [[0, 8], [5, -1]]}}, "entries of 5,-1 must be >= 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_categoricals_name_the_problem(case):
    parameters, message = BAD[case]
    with pytest.raises(SpaceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        space_from_dict(erfnet_space(**parameters), origin="bad.toml")


def test_rules_and_metrics_a_family_cannot_give():
    data = erfnet_space()
    data["constraints"]["rules"] = ["conv >= 1"]
    with pytest.raises(SpaceError, match="names conv, a categorical without numeric values"):
        space_from_dict(data)
    data = erfnet_space()
    data["objectives"] = [{"metric": "width", "direction": "maximize"}]
    with pytest.raises(SpaceError, match="metric width needs widths"):
        space_from_dict(data)
    data["fixed"] = {"widths": [16, 64, 128]}  # ERFNet has widths: fixing them gives the metric
    assert space_from_dict(data).fixed["widths"] == (16, 64, 128)
    searched = space_from_dict(erfnet_space(resolution={"choices": ["64x128", "128x256"]}) | {"constraints": {"device": "titanx"}})
    with pytest.raises(SpaceError, match="resolution is searched"):
        searched.with_overrides(resolution=(32, 64))


def test_enumeration_is_the_full_model_and_names_identical_networks_plainly(tx2):
    space = space_from_dict(erfnet_space())
    enumeration = enumerate_space(space, tx2)
    table = enumeration.table
    assert len(table) == space.size() == 24 and enumeration.full_evaluations == 24
    for row in table.to_dict(orient="records")[::5]:
        drawn = {name: row[name] for name in space.searched}
        full = evaluate("erfnet", space.hyper(drawn), tx2)
        assert (row["params"], row["macs"], row["layers"]) == (full["params"], full["macs"], full["layers"])
        assert row["latency_ms"] == pytest.approx(full["latency_ms"], rel=1e-12)
    front = enumeration.front
    # a dense network is built by 4 configurations (scope and groups do not matter): the
    # front shows the one that keeps the family's defaults (scope all, groups 4)
    dense = front[front["conv"] == "dense"]
    assert len(dense) >= 1 and set(dense["scope"]) == {"all"} and set(dense["groups"].astype(str)) == {"4"}
    assert (dense["alternatives"] >= 3).all()
    assert front["params"].is_monotonic_decreasing and front["latency_ms"].is_monotonic_decreasing


def test_a_latency_budget(tx2):
    space = space_from_dict(erfnet_space(max_latency_ms=10.0))
    assert space.constraints.limit("max_latency_ms") == 10.0
    violations = space.constraints.violations({"latency_ms": 12.0})
    assert violations == {"max_latency_ms": pytest.approx(0.2)} and not is_feasible(violations)
    assert is_feasible(space.constraints.violations({"latency_ms": 9.0}))
    latency = enumerate_space(space, tx2).table["latency_ms"]
    budget = float(latency.median())
    budgeted = space.with_overrides(max_latency_ms=budget)
    enumeration = enumerate_space(budgeted, tx2)
    assert enumeration.feasible == int((latency <= budget).sum())
    # the latency objective's worst value is the budget, not the slowest configuration's
    point = reference_point(budgeted, tx2, table=enumeration.table)
    assert point[1] == pytest.approx(budget + 0.01 * (budget - latency.min()))


def test_a_study_draws_labels_and_evaluates_each_configuration_once(tx2):
    space = space_from_dict(erfnet_space(max_latency_ms=45.0))
    objective = SpaceObjective(space, tx2)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=40)
    drawn = {tuple(t.params[n] for n in space.searched) for t in study.trials}
    assert objective._evaluator.full_evaluations == len(drawn) < 40
    for trial in study.trials:
        assert trial.params["conv"] in ("separable", "grouped", "dense") and trial.params["groups"] in (2, 4)
        info = trial.user_attrs["archscope"]
        assert set(trial.constraints) == {"max_latency_ms"}
        assert info["feasible"] == (info["metrics"]["latency_ms"] <= 45.0)
        assert info["config"]["conv"] == trial.params["conv"] and "width" not in info["metrics"]


def test_the_shipped_erfnet_space_from_the_cli(capsys, tmp_path):
    out = tmp_path / "run"
    args = ["search", "--space", "erfnet-grouping", "--resolution", "64x128", "--sampler", "exhaustive", "--out", str(out)]
    code = main([*args, "--format", "json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(stdout)
    assert data["trials"] == 96 and data["hypervolume_ratio"] == 1.0 and data["front"]
    pareto = pd.read_csv(out / "pareto.csv", dtype={"groups": str})
    assert list(pareto.columns[:5]) == ["family", "conv", "scope", "groups", "decoder"]
    assert "width" not in pareto and (pareto["latency_ms"] <= 200).all() and pareto["feasible"].all()
    header = (out / "trials.csv").read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header)) and header[:4] == ["conv", "scope", "groups", "decoder"]
    config = tomllib.loads((out / "config.toml").read_text())
    assert config["space"]["constraints"]["max_latency_ms"] == 200.0
    assert load_space(out / "config.toml") == load_space("erfnet-grouping").with_overrides(resolution=(64, 128))
    # a budget no configuration meets: one line, exit 2
    small = tmp_path / "small.toml"
    small.write_text(dumps(erfnet_space(max_latency_ms=200.0)))
    code = main(["search", "--space", str(small), "--sampler", "exhaustive", "--out", str(out), "--max-latency-ms", "0.5"])
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "meets its constraints (latency ≤ 0.5 ms" in lines[0], err


def test_the_shipped_espnet_space_narrowed(tx2, tmp_path):
    data = load_space("espnet").with_overrides(resolution=(64, 128)).to_dict()
    assert data["parameters"]["branches"]["name"] == "K" and data["parameters"]["decoder"]["choices"] == [False, True]
    data["parameters"].update(alpha2={"name": "alpha2", "choices": [1, 2]}, alpha3={"name": "alpha3", "choices": [1, 2, 3]},
                              branches={"name": "K", "choices": [2, 3]})
    space = space_from_dict(data)
    request = SearchRequest(space=space, sampler="tpe", seed=0, trials=20, out=tmp_path / "run", study_name="s",
                            storage=str(tmp_path / "journal.log"))
    outcome = run_search(request, tx2)
    assert outcome.true_front_size and 0 < outcome.hypervolume_ratio <= 1 + 1e-12
    pareto = pd.read_csv(tmp_path / "run" / "pareto.csv")
    assert set(pareto["decoder"]) <= {True, False} and pareto["layers"].is_monotonic_decreasing
    trials = pd.read_csv(tmp_path / "run" / "trials.csv")
    assert {"alpha2", "alpha3", "branches", "K", "decoder", "latency_ms", "violation[max_latency_ms]"} <= set(trials.columns)


def test_no_true_front_skips_enumerating_the_800_espnet_configurations(tx2, tmp_path, monkeypatch):
    import archscope.search.runner as runner

    def refuse(*args, **kwargs):
        raise AssertionError("enumerated")

    monkeypatch.setattr(runner, "enumerate_space", refuse)
    space = load_space("espnet").with_overrides(resolution=(64, 128))
    request = SearchRequest(space=space, sampler="random", seed=0, trials=6, out=tmp_path / "run", study_name="s",
                            storage=str(tmp_path / "journal.log"), true_front=False)
    outcome = run_search(request, tx2)
    assert outcome.counts["trials"] == 6 and outcome.true_hypervolume is None and len(outcome.pareto) >= 1
