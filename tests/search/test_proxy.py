"""Accuracy-aware search: ``miou`` measured by a short proxy training of feasible
candidates only, intermediate mIoU reported to Optuna's pruners, training steps counted."""

import json

import optuna
import pandas as pd
import pytest

from archscope.cli import main
from archscope.search.objective import ATTR, SpaceObjective
from archscope.search.objectives import parse_objectives
from archscope.search.proxy import ProxyPruned, ProxyTask, ProxyTraining, proxy_from_dict
from archscope.search.runner import SearchRequest, run_search
from archscope.search.space import SpaceError, space_from_dict
from archscope.search.study import StudyMismatch

TINY_TASK = {"steps": 4, "resolution": (32, 32), "batch": 2, "evaluations": 2, "eval_images": 2}


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    """Many tiny trainings: one torch thread."""


@pytest.fixture
def miou_space(tiny_space):
    return tiny_space.with_overrides(objectives=parse_objectives("miou,layers"), proxy=TINY_TASK)


def test_the_proxy_table_and_its_errors():
    task = proxy_from_dict({"steps": 300, "resolution": "128x64", "data": "shapes"}, "s.toml")
    assert (task.steps, task.resolution, task.eval_every) == (300, (128, 64), 37)
    assert proxy_from_dict(task.to_dict(), "again") == task
    for bad, message in [({"step": 3}, "unknown key"), ({"steps": 0}, "steps must be an integer >= 1"),
                         ({"resolution": "big"}, "resolution"), ({"evaluations": 9, "steps": 4}, "cannot exceed"),
                         ({"lr": -1}, "lr must be a positive number")]:
        with pytest.raises(SpaceError, match=message):
            proxy_from_dict(bad, "s.toml")


def test_a_learned_objective_brings_a_proxy_task_and_round_trips(miou_space, tiny_space):
    assert miou_space.learned == ("miou",) and miou_space.proxy == ProxyTask(**TINY_TASK)
    assert space_from_dict(miou_space.to_dict()) == miou_space
    plain = tiny_space.to_dict()
    plain["objectives"] = [{"metric": "miou", "direction": "maximize"}]
    assert space_from_dict(plain).proxy == ProxyTask()  # the default task
    plain["constraints"]["rules"] = ["miou >= 0.5"]
    with pytest.raises(SpaceError, match="measured by training"):
        space_from_dict(plain)


def test_objectives_from_the_command_line():
    objectives = parse_objectives("miou, latency_ms,params:minimize")
    assert [(o.metric, o.direction.value) for o in objectives] == [
        ("miou", "maximize"), ("latency_ms", "minimize"), ("params", "minimize")]
    for bad in ("accuracy", "miou,miou", "miou:up"):
        with pytest.raises(ValueError):
            parse_objectives(bad)


def _search(space, tmp_path, **kwargs):
    request = SearchRequest(**{**dict(space=space, sampler="tpe", seed=0, trials=16, out=tmp_path / "run",
                                      study_name="s", pruner="none"), **kwargs})
    return run_search(request, _titanx())


def _titanx():
    from archscope.latency.profile import load_profile

    return load_profile("titanx")


def test_only_feasible_candidates_are_trained_and_steps_are_counted(miou_space, tmp_path):
    outcome = _search(miou_space, tmp_path)
    trials = outcome.trials
    feasible, infeasible = trials[trials["feasible"]], trials[~trials["feasible"]]
    assert len(feasible) and len(infeasible)
    assert (infeasible["proxy_steps"] == 0).all() and infeasible["miou"].isna().all()  # never trained
    trained = feasible[feasible["proxy_steps"] > 0]
    assert (trained["proxy_steps"] == 4).all() and trained["miou"].between(0, 1).all()
    again = feasible[feasible["proxy_steps"] == 0]  # drawn again: the earlier result, not trained twice
    assert again["same_as_trial"].isin(trained["trial"]).all()
    companion = optuna.load_study(study_name="s.proxy", storage=f"sqlite:///{tmp_path / 'run' / 'study.db'}")
    assert sorted(t.user_attrs["search_trial"] for t in companion.trials) == sorted(trained["trial"])
    assert outcome.pareto["miou"].notna().all() and outcome.pareto["feasible"].all()
    config = (tmp_path / "run" / "config.toml").read_text()
    assert "[space.proxy]" in config and f"proxy_steps = {4 * len(trained)}" in config and 'pruner = "none"' in config


class AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial):
        return True


def test_a_pruned_training_stops_at_its_first_measurement(miou_space, tiny_space, titanx):
    companion = optuna.create_study(direction="maximize", pruner=AlwaysPrune())
    training = ProxyTraining(miou_space.proxy, "ndnet", companion)
    hyper = tiny_space.hyper(next(tiny_space.grid()))
    with pytest.raises(ProxyPruned) as pruned:
        training.train(hyper, search_trial=0)
    assert pruned.value.steps == miou_space.proxy.eval_every == 2
    assert companion.trials[0].state is optuna.trial.TrialState.PRUNED and companion.trials[0].intermediate_values
    # in a search: the trial is pruned, keeps its configuration and the steps it spent
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(SpaceObjective(miou_space, titanx, proxy=training), n_trials=12)
    pruned_trials = [t for t in study.trials if t.state is optuna.trial.TrialState.PRUNED]
    assert pruned_trials and all(t.user_attrs[ATTR]["proxy_steps"] in (0, 2) for t in pruned_trials)
    assert all(t.user_attrs[ATTR]["feasible"] for t in pruned_trials)
    assert all(not t.user_attrs[ATTR]["feasible"] for t in study.trials if t.state is optuna.trial.TrialState.COMPLETE)


def test_successive_halving_counts_pruned_trials_towards_the_budget(miou_space, tmp_path):
    outcome = _search(miou_space, tmp_path, pruner="successive-halving", trials=12)
    assert outcome.counts["trials"] == 12
    assert set(outcome.trials["state"]) <= {"COMPLETE", "PRUNED"}
    with pytest.raises(StudyMismatch, match="pruner"):  # joining it with another pruner
        _search(miou_space, tmp_path, pruner="hyperband", trials=13)


def test_exhaustive_cannot_measure_miou(miou_space, tmp_path):
    with pytest.raises(ValueError, match="cannot measure miou"):
        _search(miou_space, tmp_path, sampler="exhaustive")


def test_from_the_command_line(capsys, tiny_space_file, tmp_path):
    args = ["search", "--space", str(tiny_space_file), "--objective", "miou,layers", "--proxy-steps", "4",
            "--proxy-resolution", "32x32", "--proxy-batch", "2", "--trials", "24", "--out", str(tmp_path / "r")]
    assert main([*args, "--format", "json"]) in (0, 1)  # 1: every feasible candidate was pruned
    data = json.loads(capsys.readouterr().out)
    assert data["pruner"] == "successive-halving" and data["proxy_steps"] > 0
    assert [o["metric"] for o in data["objectives"]] == ["miou", "layers"]
    assert "proxy_steps" in pd.read_csv(tmp_path / "r" / "trials.csv")
    for bad, message in [(["--pruner", "median"], "'median' is not one of"), (["--objective", "accuracy"], "accuracy"),
                         (["--sampler", "exhaustive"], "cannot measure miou")]:
        code = main([*args[:-2], "--out", str(tmp_path / "bad"), *bad])
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1, err
    code = main(["search", "--space", str(tiny_space_file), "--pruner", "hyperband", "--out", str(tmp_path / "p")])
    err = capsys.readouterr().err
    assert code == 2 and "needs a learned objective" in err


@pytest.mark.parametrize("name", ["successive-halving", "hyperband"])
def test_no_training_is_judged_before_a_quarter_of_its_steps(name):
    from archscope.search.pruners import get_pruner
    from archscope.search.proxy import ProxyTask

    task = ProxyTask(steps=200, evaluations=8)
    assert (task.eval_every, task.first_rung) == (25, 50)
    assert ProxyTask(steps=300, evaluations=8).first_rung == 111  # the first measurement at or after 75 steps
    assert get_pruner(name).make(task)._min_resource == 50


def test_successive_halving_prunes_at_its_first_rung_not_before():
    from archscope.search.pruners import get_pruner
    from archscope.search.proxy import ProxyTask

    study = optuna.create_study(direction="maximize", pruner=get_pruner("successive-halving").make(ProxyTask(steps=200)))
    for value in (0.7, 0.8, 0.9):  # three finished trainings ahead of it, each the best so far
        trial = study.ask()
        for step in range(25, 201, 25):
            trial.report(value, step)
            assert not trial.should_prune()
        study.tell(trial, value)
    worst = study.ask()
    worst.report(0.0, 25)
    assert not worst.should_prune()  # the first measurement: too early to judge
    worst.report(0.0, 50)
    assert worst.should_prune()
