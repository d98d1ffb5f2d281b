"""Optuna studies in-process: constraints the Optuna 5 way, fronts, resumption, joining."""

import optuna
import pytest

from archscope.search.run import pareto_frame, trials_frame
from archscope.search.runner import SearchRequest, run_search
from archscope.search.objective import SpaceObjective
from archscope.search.samplers import SAMPLERS
from archscope.search.storage import open_storage
from archscope.search.study import StudyMismatch


def _request(space, tmp_path, **kwargs):
    defaults = dict(space=space, sampler="tpe", seed=0, trials=25, out=tmp_path / "run", study_name="s")
    return SearchRequest(**{**defaults, **kwargs})


def test_constraints_are_set_on_the_trial(tiny_space, titanx):
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(SpaceObjective(tiny_space, titanx), n_trials=20)
    for trial in study.trials:
        assert set(trial.constraints) == {"min_fps", "min_layers"}
        info = trial.user_attrs["archscope"]
        feasible = all(v <= 0 for v in trial.constraints.values())
        assert info["feasible"] == feasible == (info["metrics"]["fps"] >= 1800 and info["metrics"]["layers"] >= 7)
        assert trial.values == [info["metrics"]["layers"], info["metrics"]["width"]]
    # Optuna's own constrained front and ours hold the same objective vectors
    ours = {(r.layers, r.width) for r in pareto_frame(trials_frame(study, tiny_space), tiny_space).itertuples()}
    assert ours == {tuple(int(v) for v in t.values) for t in study.best_trials}


@pytest.mark.parametrize("sampler", [name for name, s in SAMPLERS.items() if not s.enumerates])
def test_a_run_writes_its_folder(sampler, tiny_space, titanx, tmp_path):
    # the default storage (SQLite in the run folder) for one sampler, a journal file for the others
    storage = None if sampler == "tpe" else str(tmp_path / "journal.log")
    outcome = run_search(_request(tiny_space, tmp_path, sampler=sampler, storage=storage), titanx)
    assert outcome.counts["trials"] == 25
    assert (tmp_path / "run" / "study.db").is_file() == (storage is None)
    for name in ("trials.csv", "pareto.csv", "config.toml"):
        assert (tmp_path / "run" / name).is_file()
    assert outcome.pareto["feasible"].all() and len(outcome.pareto) >= 1
    assert {"widths", "depths", "expansion", "layers", "params", "macs", "latency_ms", "fps", "feasible"} <= set(outcome.pareto)
    assert 0 < outcome.hypervolume_ratio <= 1 + 1e-12


def test_resuming_keeps_every_finished_trial(tiny_space, titanx, tmp_path):
    storage = str(tmp_path / "journal.log")
    first = run_search(_request(tiny_space, tmp_path, trials=12, storage=storage), titanx)
    before = first.trials.set_index("trial")[["widths", "depths", "layers", "fps"]]
    second = run_search(_request(tiny_space, tmp_path, trials=20, storage=storage), titanx)
    assert second.counts["trials"] == 20 and not second.created
    after = second.trials.set_index("trial").loc[before.index, before.columns]
    assert after.equals(before)


def test_the_exhaustive_sampler_is_the_true_front(tiny_space, titanx, tmp_path):
    outcome = run_search(_request(tiny_space, tmp_path, sampler="exhaustive"), titanx)
    assert outcome.counts["trials"] == 162 and outcome.hypervolume_ratio == 1.0
    assert not (tmp_path / "run" / "study.db").exists()


def test_joining_with_another_space_is_refused(tiny_space, titanx, tmp_path):
    storage = str(tmp_path / "journal.log")
    run_search(_request(tiny_space, tmp_path, storage=storage, trials=3), titanx)
    other = tiny_space.with_overrides(min_fps=1000.0)
    with pytest.raises(StudyMismatch, match="another space"):
        run_search(_request(other, tmp_path, storage=storage, trials=6), titanx, storage=open_storage(storage))


def test_nsga2_runs_generations_of_its_population_size(tiny_space, titanx):
    """archscope's NSGA-II breeds generations of NSGA2_SETTINGS' size, not Optuna's 50."""
    from archscope.search.samplers import NSGA2_SETTINGS, get_sampler

    size = int(NSGA2_SETTINGS["population_size"])
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=get_sampler("nsga2").make(0))
    study.optimize(SpaceObjective(tiny_space, titanx), n_trials=3 * size)
    generations = [t.system_attrs["NSGAIISampler:generation"] for t in study.trials]
    assert generations == [g for g in range(3) for _ in range(size)]
