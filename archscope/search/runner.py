"""One ``archscope search`` run: resolve the settings, check the constraints can be met,
run the study (or enumerate the space), measure the front, write the run folder."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import optuna
import pandas as pd

from archscope.search.exhaustive import MAX_CONFIGS, Enumeration, SpaceTooLarge, enumerate_space, enumeration_limit
from archscope.search.objectives import METRICS, evaluate
from archscope.search.pareto import hypervolume, reference_point
from archscope.search.run import pareto_frame, summarize, trials_frame, write_config, write_csv
from archscope.search.space import SearchSpace
from archscope.search.objective import ATTR, SpaceObjective
from archscope.search.proxy import ProxyTraining
from archscope.search.pruners import DEFAULT_PRUNER, get_pruner
from archscope.search.samplers import get_sampler
from archscope.search.storage import open_storage, storage_url
from archscope.search.study import FINISHED, StudySettings, companion_study, finished, open_study, run_trials
from archscope.version import version

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile

Progress = Callable[[int, int, int], None]  # (finished, total, feasible)


class Infeasible(ValueError):
    """No configuration of the space meets its constraints."""


@dataclass(frozen=True)
class SearchRequest:
    space: SearchSpace
    sampler: str  # a name in archscope.search.samplers.SAMPLERS
    seed: int | None
    trials: int
    out: Path
    study_name: str
    storage: str | None = None  # None: sqlite:///OUT/study.db
    true_front: bool = True
    max_configs: int = MAX_CONFIGS
    command: str = ""
    pruner: str | None = None  # a name in archscope.search.pruners.PRUNERS (learned objectives)

    @property
    def enumerates(self) -> bool:
        """The sampler evaluates every configuration (no study)."""
        return get_sampler(self.sampler).enumerates

    @property
    def storage_url(self) -> str:
        return storage_url(self.storage) if self.storage else f"sqlite:///{(self.out / 'study.db').resolve()}"


@dataclass
class SearchOutcome:
    request: SearchRequest
    trials: pd.DataFrame
    pareto: pd.DataFrame
    duration_s: float
    reference: np.ndarray
    hypervolume: float
    true_hypervolume: float | None = None
    true_front_size: int | None = None
    interrupted: bool = False
    created: bool = True
    worker_seed: int | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def hypervolume_ratio(self) -> float | None:
        if not self.true_hypervolume:
            return None
        return self.hypervolume / self.true_hypervolume

    @property
    def counts(self) -> dict[str, int]:
        return summarize(self.trials)


def _quiet_optuna() -> None:
    """Optuna logs every trial (INFO) and every failed one with its traceback (WARNING),
    e.g. the one a Ctrl-C interrupts; the run reports what matters itself."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _bounds_text(space: SearchSpace) -> str:
    parts = [bound.describe(limit) for bound, limit in space.constraints.bounds()]
    return ", ".join(parts + [f"{len(space.constraints.rules)} rule(s)"])


def check_feasible(space: SearchSpace, profile: DeviceProfile, enumeration: Enumeration | None) -> None:
    """Raise ``Infeasible`` when no configuration can meet the constraints: exactly for an
    enumerated space, else from the corners of an integer space (the cheapest misses a
    latency budget, or the deepest a minimum of layers: every metric grows with every
    parameter); a space with categorical parameters has no known cheapest corner and is
    not checked."""
    if enumeration is not None:
        if enumeration.feasible == 0:
            table = enumeration.table
            fastest = table.loc[table["fps"].idxmax()]
            deepest = int(table["layers"].max())
            raise Infeasible(
                f"no configuration of space {space.name!r} meets its constraints ({_bounds_text(space)}): "
                f"the fastest reaches {fastest['fps']:.1f} fps ({fastest['latency_ms']:.2f} ms) "
                f"with {int(fastest['layers'])} layers, the deepest has {deepest} layers"
            )
        return
    if not space.ordered:
        return
    low, high = (evaluate(space.family, space.hyper(c), profile) for c in space.corners())
    for bound, limit in space.constraints.bounds():
        # a budget is best met by the cheapest corner, a minimum of an objective by the costliest
        corner, name = (low, "cheapest") if bound.budget else (high, "costliest")
        value = corner[bound.metric]
        if not bound.met(limit, value):
            raise Infeasible(f"no configuration of space {space.name!r} meets {bound.describe(limit)}: "
                             f"the {name} has {bound.metric} {value:.4g}")


def maybe_enumerate(space: SearchSpace, profile: DeviceProfile, *, max_configs: int, force: bool) -> Enumeration | None:
    """The space's enumeration when it is small enough (``force``: or raise)."""
    if not force and space.size() > enumeration_limit(space, profile, max_configs):
        return None
    try:
        return enumerate_space(space, profile, max_configs=max_configs)
    except SpaceTooLarge:
        if force:
            raise
        return None


def proxy_totals(trials: pd.DataFrame) -> dict[str, int]:
    """Proxy trainings of a search with a learned objective: how many ran, were pruned,
    and the training steps they spent (``proxy_steps`` of every trial)."""
    if "proxy_steps" not in trials:
        return {}
    steps = trials["proxy_steps"].fillna(0).astype(int)
    return {
        "proxy_trainings": int((steps > 0).sum()),
        "proxy_pruned": int(((trials["state"] == "PRUNED") & (steps > 0)).sum()),
        "proxy_steps": int(steps.sum()),
    }


def _result(outcome: SearchOutcome) -> dict[str, Any]:
    counts = outcome.counts
    return {
        "finished_trials": counts["trials"],
        "feasible_trials": counts["feasible"],
        "front_points": len(outcome.pareto),
        "hypervolume": outcome.hypervolume,
        "true_front_hypervolume": outcome.true_hypervolume,
        "hypervolume_ratio": outcome.hypervolume_ratio,
        "reference_point": [float(v) for v in outcome.reference],
        "reference_point_note": "in losses: maximised objectives negated",
        "duration_s": round(outcome.duration_s, 3),
        "interrupted": outcome.interrupted,
        **proxy_totals(outcome.trials),
    }


def write_outputs(outcome: SearchOutcome) -> None:
    request = outcome.request
    request.out.mkdir(parents=True, exist_ok=True)
    files = [request.out / "trials.csv", request.out / "pareto.csv", request.out / "config.toml"]
    write_csv(files[0], outcome.trials)
    write_csv(files[1], outcome.pareto)
    run = {
        "command": request.command,
        "sampler": request.sampler,
        "pruner": request.pruner,
        "seed": request.seed,
        "worker_seed": outcome.worker_seed if outcome.worker_seed != request.seed else None,
        "trials": request.trials,
        "storage": None if request.enumerates else request.storage_url,
        "study_name": None if request.enumerates else request.study_name,
        "out": str(request.out),
        "archscope_version": version("archscope"),
        "optuna_version": optuna.__version__,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    write_config(files[2], request.space, run, _result(outcome))
    outcome.files = files


def _exhaustive(request: SearchRequest, enumeration: Enumeration, reference: np.ndarray, started: float) -> SearchOutcome:
    table = enumeration.table.copy()
    table.insert(0, "state", "COMPLETE")
    pareto = pareto_frame(table, request.space)
    space = request.space
    first = list(dict.fromkeys([p.hyper for p in space.parameters] + list(space.names) + [m for m in METRICS if m in table]))
    table = table[first + [c for c in table.columns if c not in first]]
    volume = hypervolume(pareto, request.space.objectives, reference)
    return SearchOutcome(
        request=request,
        trials=table.drop(columns=["state"]),
        pareto=pareto,
        duration_s=time.perf_counter() - started,
        reference=reference,
        hypervolume=volume,
        true_hypervolume=volume,
        true_front_size=len(pareto),
    )


def _proxy_training(request: SearchRequest, storage: optuna.storages.BaseStorage) -> ProxyTraining | None:
    """The proxy trainings of a search with a learned objective (``miou``): a companion
    study with the request's pruner (``archscope.search.proxy``)."""
    space = request.space
    if not space.learned:
        return None
    assert space.proxy is not None
    pruner = get_pruner(request.pruner or DEFAULT_PRUNER).make(space.proxy)
    return ProxyTraining(space.proxy, space.family, companion_study(storage, request.study_name, pruner))


def run_search(
    request: SearchRequest,
    profile: DeviceProfile,
    *,
    storage: optuna.storages.BaseStorage | None = None,
    progress: Progress | None = None,
) -> SearchOutcome:
    """Run (or resume, or join) the search; ``KeyboardInterrupt`` ends it early with
    ``interrupted`` set. Raises ``Infeasible``, ``SpaceTooLarge``, ``StorageError``."""
    _quiet_optuna()
    started = time.perf_counter()
    space = request.space
    exhaustive = request.enumerates
    # --no-true-front skips enumerating (one full model per configuration for families
    # other than NDNet): the constraints are then checked and the reference point taken
    # at the space's corners
    enumeration = None
    if exhaustive and space.learned:
        raise ValueError(f"the exhaustive sampler cannot measure {', '.join(space.learned)} (it needs training): use a sampler")
    if exhaustive or request.true_front:
        enumeration = maybe_enumerate(space, profile, max_configs=request.max_configs, force=exhaustive)
    check_feasible(space, profile, enumeration)
    reference = reference_point(space, profile, table=None if enumeration is None else enumeration.table)
    if exhaustive:
        assert enumeration is not None
        outcome = _exhaustive(request, enumeration, reference, started)
        write_outputs(outcome)
        return outcome

    request.out.mkdir(parents=True, exist_ok=True)
    storage = storage or open_storage(request.storage_url)
    settings = StudySettings(space=space.to_dict(), sampler=request.sampler, seed=request.seed, trials=request.trials,
                             pruner=request.pruner)
    objective = SpaceObjective(space, profile, proxy=_proxy_training(request, storage))
    study, created, worker_seed = open_study(storage, request.study_name, space, settings, objective)
    interrupted = False

    def on_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if progress is not None:
            done = study.get_trials(deepcopy=False, states=FINISHED)
            progress(len(done), request.trials, sum(bool(t.user_attrs.get(ATTR, {}).get("feasible")) for t in done))

    if progress is not None:
        progress(finished(study), request.trials, 0)
    try:
        interrupted = run_trials(study, objective, total=request.trials, on_trial=on_trial)
    except KeyboardInterrupt:  # a second Ctrl-C: Optuna has marked the running trial failed
        interrupted = True
    trials = trials_frame(study, space)
    pareto = pareto_frame(trials, space)
    true_volume = None
    if enumeration is not None and request.true_front and not space.learned:
        true_volume = hypervolume(enumeration.front, space.objectives, reference)
    outcome = SearchOutcome(
        request=request,
        trials=trials,
        pareto=pareto,
        duration_s=time.perf_counter() - started,
        reference=reference,
        hypervolume=hypervolume(pareto, space.objectives, reference),
        true_hypervolume=true_volume,
        true_front_size=None if enumeration is None or space.learned else len(enumeration.front),
        interrupted=interrupted,
        created=created,
        worker_seed=worker_seed,
    )
    write_outputs(outcome)
    return outcome

