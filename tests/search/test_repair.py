"""NSGA-II's children repaired onto the budget: within it, by lowering values only."""

import optuna

from archscope.search.repair import BudgetRepair, RepairingNSGAIISampler
from archscope.search.objective import SpaceObjective
from archscope.search.samplers import NSGA2_SETTINGS, get_sampler


def _costliest(space):
    """Every parameter at its last value: over the tiny space's 1800 fps budget."""
    return {name: values[-1] for name, values in space.choices().items() if len(values) > 1}


def test_a_child_over_the_budget_is_moved_within_it_by_lowering_values(tiny_space, titanx):
    objective = SpaceObjective(tiny_space, titanx)
    repair = BudgetRepair(tiny_space, objective.metrics, seed=0)
    params = _costliest(tiny_space)
    assert repair.violation(params) > 0
    repaired = repair(params)
    assert repair.violation(repaired) == 0
    choices = tiny_space.choices()
    for name, value in repaired.items():
        assert list(choices[name]).index(value) <= list(choices[name]).index(params[name])
    # it stopped at the first configuration within the budget: the one step before was over it
    assert any(repair.violation({**repaired, name: list(choices[name])[list(choices[name]).index(value) + 1]}) > 0
               for name, value in repaired.items() if value != params[name])


def test_a_child_within_the_budget_is_left_alone(tiny_space, titanx):
    objective = SpaceObjective(tiny_space, titanx)
    repair = BudgetRepair(tiny_space, objective.metrics, seed=0)
    cheapest = {name: values[0] for name, values in tiny_space.choices().items() if len(values) > 1}
    assert repair.violation(cheapest) == 0
    assert repair(cheapest) == cheapest


def test_nsga2_children_are_within_the_budget(tiny_space, titanx):
    objective = SpaceObjective(tiny_space, titanx)
    sampler = get_sampler("nsga2").make(0, objective)
    assert isinstance(sampler, RepairingNSGAIISampler)
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=sampler)
    study.optimize(objective, n_trials=64)
    children = study.trials[int(NSGA2_SETTINGS["population_size"]):]  # after the random first generation
    assert children and sampler.repair.evaluations > 0
    assert all(t.user_attrs["archscope"]["metrics"]["fps"] >= 1800 for t in children)


def test_without_the_objective_nsga2_does_not_repair(tiny_space, titanx):
    assert not isinstance(get_sampler("nsga2").make(0), RepairingNSGAIISampler)
