"""The samplers' registry and contract: every registered sampler gives an Optuna sampler
that runs a study on the tiny space, and the CLI offers exactly the registry's names."""

import optuna
import pytest

from archscope.cli import main
from archscope.search.objective import SpaceObjective
from archscope.search.samplers import SAMPLERS, SearchSampler, get_sampler, register_sampler

STUDY_SAMPLERS = [name for name, sampler in SAMPLERS.items() if not sampler.enumerates]


@pytest.mark.parametrize("name", STUDY_SAMPLERS)
def test_every_sampler_drives_a_study(name, tiny_space, titanx):
    objective = SpaceObjective(tiny_space, titanx)
    sampler = get_sampler(name).make(0, objective)
    assert isinstance(sampler, optuna.samplers.BaseSampler)
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=sampler)
    study.optimize(objective, n_trials=20)
    assert len(study.trials) == 20 and all(t.state.name == "COMPLETE" for t in study.trials)


def test_the_same_seed_draws_the_same_trials(tiny_space, titanx):
    draws = []
    for _ in range(2):
        objective = SpaceObjective(tiny_space, titanx)
        study = optuna.create_study(directions=["maximize", "maximize"], sampler=get_sampler("tpe").make(3, objective))
        study.optimize(objective, n_trials=12)
        draws.append([t.params for t in study.trials])
    assert draws[0] == draws[1]


def test_exhaustive_enumerates_and_has_no_optuna_sampler():
    assert SAMPLERS["exhaustive"].enumerates
    with pytest.raises(TypeError, match="enumerates"):
        get_sampler("exhaustive").make(0)


def test_a_name_is_registered_once_and_unknown_names_are_named():
    class Again(SearchSampler):
        name, help = "tpe", "a second tpe"

        def make(self, seed, objective=None):
            raise NotImplementedError

    with pytest.raises(ValueError, match="'tpe' is already registered"):
        register_sampler(Again)
    with pytest.raises(ValueError, match="'annealing' is not one of tpe, nsga2, random, exhaustive"):
        get_sampler("annealing")


def test_the_cli_offers_the_registry(capsys):
    assert main(["search", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "|".join(SAMPLERS) in text
    for sampler in SAMPLERS.values():
        assert f"{sampler.name}: {sampler.help}" in text
