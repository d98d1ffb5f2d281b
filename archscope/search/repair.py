"""Repairing NSGA-II's children onto a space's latency budget.

Under an fps or latency budget the Pareto front of an archscope space lies on the
budget's boundary: the objectives (layers, width, params, MACs) grow with the
parameters, and so does the latency. NSGA-II's crossover and mutation land near that
boundary, rarely on it, and a child over the budget is a wasted trial. A repair operator
(a classic constraint-handling technique of evolutionary search; NSGA-II by itself only
ranks infeasible children below feasible ones, Deb's constrained domination) moves such
a child back: one step of one parameter at a time, to the previous of its values, chosen
at random among the steps that reduce the budget violation (a parameter whose lower
values cost more, such as a number of groups, is never stepped), until the child fits or
no step helps. Children within the budget, and constraints other than the budget
(``min_layers``, a space's rules), are left alone. Each step costs an analytic
evaluation (cached per block for NDNet, well under a millisecond), not a trial.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import optuna

from archscope.search.constraints import BOUNDS

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

    from archscope.search.space import SearchSpace

#: the constraints a repair restores (the budget); others only rank children
BUDGET = tuple(bound.key for bound in BOUNDS if bound.budget)


class BudgetRepair:
    """Moves a configuration over the budget back within it, one parameter step at a time."""

    def __init__(self, space: SearchSpace, metrics: Any, seed: int | None, max_steps: int = 256) -> None:
        self.space = space
        self.metrics = metrics  # drawn values -> metrics (SpaceObjective.metrics)
        self.rng = random.Random(seed)
        self.max_steps = max_steps
        self._choices = {name: list(values) for name, values in space.choices().items()}
        self.evaluations = 0  # analytic evaluations spent on repairs

    def violation(self, params: dict[str, Any]) -> float:
        """The sum of the budget constraints' positive values (0: within the budget)."""
        self.evaluations += 1
        drawn = {name: params.get(name, values[0]) for name, values in self._choices.items()}
        values = {**self.space.entries(drawn), **self.metrics(drawn)}
        found = self.space.constraints.violations(values)
        return sum(max(0.0, float(found[k])) for k in BUDGET if k in found)

    def _steps(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every configuration one parameter one value lower."""
        result = []
        for name, value in params.items():
            values = self._choices.get(name, [])
            if value in values and values.index(value) > 0:
                result.append({**params, name: values[values.index(value) - 1]})
        return result

    def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        current, violation = dict(params), self.violation(params)
        for _ in range(self.max_steps):
            if violation <= 0:
                break
            better = [(v, p) for p in self._steps(current) if (v := self.violation(p)) < violation]
            if not better:
                break
            violation, current = self.rng.choice(better)
        return current


def budget_repair(objective: Any, seed: int | None) -> BudgetRepair | None:
    """The repair for a study's objective (a ``SpaceObjective``), or ``None`` when its
    space sets no budget."""
    if not any(bound.key in BUDGET for bound, _ in objective.space.constraints.bounds()):
        return None
    return BudgetRepair(objective.space, objective.metrics, seed)


class RepairingNSGAIISampler(optuna.samplers.NSGAIISampler):
    """Optuna's NSGA-II whose children (not the random first generation) are repaired
    onto the budget before they are evaluated; the repaired values are the trial's."""

    def __init__(self, *, repair: BudgetRepair, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repair = repair

    def sample_relative(
        self, study: optuna.Study, trial: optuna.trial.FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        params = super().sample_relative(study, trial, search_space)
        return self.repair(params) if params else params
