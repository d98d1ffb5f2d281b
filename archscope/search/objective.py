"""A study's objective: draw a configuration, cost it, set its constraints.

Constraints are set the Optuna 5 way, with ``trial.set_constraint`` inside the objective
(``constraints_func`` is deprecated since Optuna 5.0).
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

import optuna

from archscope.families.hyper import Label, text
from archscope.search.constraints import is_feasible
from archscope.search.vectorized import GridEvaluator

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.space import SearchSpace

ATTR = "archscope"  # the trial's (and study's) user attribute holding archscope's record


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _suggest(trial: optuna.Trial, name: str, values: tuple[Label, ...], *, log: bool = False, categorical: bool = False) -> Label:
    """An integer as an (evenly stepped) integer distribution, a categorical's labels or
    unevenly spaced integers as Optuna's categorical one."""
    if categorical:
        return trial.suggest_categorical(name, list(values))
    if log:
        return trial.suggest_int(name, int(values[0]), int(values[-1]), log=True)
    steps = {int(b) - int(a) for a, b in zip(values, values[1:])}
    if len(steps) <= 1:
        return trial.suggest_int(name, int(values[0]), int(values[-1]), step=steps.pop() if steps else 1)
    return int(trial.suggest_categorical(name, list(values)))


class SpaceObjective:
    """The study's objective: draw a configuration, cost it, set its constraints.

    Metrics are the full model's; for a family with a block-linear decomposition they
    are assembled from cached per-block costs (equal to the full model's, see
    ``archscope.search.vectorized``), so a trial costs a full evaluation only when it
    meets a new combination of block widths; for any other family, a full evaluation
    per configuration not drawn before.
    """

    def __init__(self, space: SearchSpace, profile: DeviceProfile, *, worker: str | None = None) -> None:
        self.space = space
        self.profile = profile
        self.worker = worker or worker_id()
        self._choices = space.choices()
        self._log = space.log_scaled()
        self._categorical = space.categorical()
        self._evaluator = GridEvaluator(space, profile)

    def metrics(self, drawn: dict[str, Any]) -> dict[str, Any]:
        """The full model's metrics; block-linear (same numbers, cached per block) when
        the family has a decomposition."""
        return self._evaluator.evaluate_one(drawn)

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        # a name with one value is not suggested (a storage write less), just used
        drawn = {
            name: values[0] if len(values) == 1
            else _suggest(trial, name, values, log=name in self._log, categorical=name in self._categorical)
            for name, values in self._choices.items()
        }
        metrics = self.metrics(drawn)
        values = {**self.space.entries(drawn), **metrics}
        violations = self.space.constraints.violations(values)
        for key, value in violations.items():
            trial.set_constraint(key, float(value))
        hyper = self.space.hyper(drawn)
        trial.set_user_attr(ATTR, {  # one attribute: every storage write is a commit
            "config": {p.hyper: text(hyper[p.hyper]) for p in self.space.parameters},
            "entries": self.space.entries(drawn),
            "metrics": metrics,
            "feasible": bool(is_feasible(violations)),
            "worker": self.worker,
        })
        return tuple(float(metrics[o.metric]) for o in self.space.objectives)
