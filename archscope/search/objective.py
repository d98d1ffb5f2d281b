"""A study's objective: draw a configuration, cost it, set its constraints, and (for
a learned objective such as ``miou``) train it briefly if it is feasible.

Constraints are set the Optuna 5 way, with ``trial.set_constraint`` inside the objective
(``constraints_func`` is deprecated since Optuna 5.0).
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from archscope.families.hyper import Label, text
from archscope.search.constraints import is_feasible
from archscope.search.objectives import LEARNED
from archscope.search.proxy import ProxyPruned
from archscope.search.vectorized import GridEvaluator

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.proxy import ProxyTraining
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


def _measured_before(trial: optuna.Trial, config: dict[str, str]) -> FrozenTrial | None:
    """An earlier trial of the study with the same configuration that was trained to the
    end (complete) or pruned."""
    for earlier in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
        record = earlier.user_attrs.get(ATTR, {})
        if record.get("config") == config and record.get("proxy_steps", 0) > 0:
            return earlier
    return None


class SpaceObjective:
    """The study's objective: draw a configuration, cost it, set its constraints.

    Metrics are the full model's; for a family with a block-linear decomposition they
    are assembled from cached per-block costs (equal to the full model's, see
    ``archscope.search.vectorized``), so a trial costs a full evaluation only when it
    meets a new combination of block widths; for any other family, a full evaluation
    per configuration not drawn before.
    """

    def __init__(
        self,
        space: SearchSpace,
        profile: DeviceProfile,
        *,
        worker: str | None = None,
        proxy: ProxyTraining | None = None,
    ) -> None:
        self.space = space
        self.profile = profile
        self.worker = worker or worker_id()
        self.proxy = proxy
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
        record = {  # one attribute: every storage write is a commit
            "config": {p.hyper: text(hyper[p.hyper]) for p in self.space.parameters},
            "entries": self.space.entries(drawn),
            "metrics": metrics,
            "feasible": bool(is_feasible(violations)),
            "worker": self.worker,
        }
        if self.space.learned:
            record["metrics"] = {**metrics, **self._learned(trial, hyper, record)}
        trial.set_user_attr(ATTR, record)
        return tuple(float(self._value(record["metrics"], o.metric)) for o in self.space.objectives)

    @staticmethod
    def _value(metrics: dict[str, Any], metric: str) -> float:
        """A metric's value for Optuna: a learned one not measured (an infeasible
        candidate) is its worst value, and the constraints keep it off the front."""
        value = metrics.get(metric)
        return LEARNED[metric][0] if value is None else float(value)

    def _learned(self, trial: optuna.Trial, hyper: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        """The learned metrics of a candidate: trained on the proxy task if feasible (the
        trial is pruned when its training is), else not measured; ``record`` gets the
        training steps spent (``proxy_steps``)."""
        record["proxy_steps"] = 0
        if not record["feasible"]:
            return {name: None for name in LEARNED}
        if self.proxy is None:
            raise ValueError(f"space {self.space.name!r} has a learned objective but the search has no proxy training")
        earlier = _measured_before(trial, record["config"])
        if earlier is not None:  # the sampler drew a configuration trained before: its result
            record["same_as_trial"] = earlier.number
            if earlier.state is TrialState.PRUNED:
                trial.set_user_attr(ATTR, record)
                raise optuna.TrialPruned(f"the same configuration as trial {earlier.number}, which was pruned")
            return {name: earlier.user_attrs[ATTR]["metrics"][name] for name in LEARNED}
        trial.set_user_attr(ATTR, record)  # a pruned or interrupted trial still shows its configuration
        try:
            outcome = self.proxy.train(hyper, search_trial=trial.number)
        except ProxyPruned as pruned:
            record["proxy_steps"], record["pruned_at_miou"] = pruned.steps, pruned.miou
            trial.set_user_attr(ATTR, record)
            raise
        record["proxy_steps"] = outcome.steps
        return {"miou": outcome.miou}
