"""Optuna studies over a search space, on Optuna's own storages.

Storage (``--storage``):

- an SQLAlchemy URL: ``sqlite:///path/study.db`` (the default, in the run folder: embedded,
  nothing to start), ``postgresql://user@host/db`` (driver: ``pip install
  archscope[postgres]``), ``mysql+pymysql://...``: ``optuna.storages.RDBStorage``, with
  heartbeats so that trials of a killed worker are marked failed;
- anything else is a journal file path (``results/runs/x/journal.log``):
  ``JournalStorage(JournalFileBackend(path))``, safe for several processes on one machine
  or on a shared file system.

Several ``archscope search`` processes given the same storage and study name are
workers of one study: the first creates it and records its space, sampler, seed and
trial budget in the study's user attributes; the others load them (a different space is
an error) and draw their own sampler seed. ``--trials`` is the study's total of finished
trials, so a worker stops when the study has that many, and an interrupted study resumes
by running the same command again: every finished trial is in the storage.

Constraints are set the Optuna 5 way, with ``trial.set_constraint`` inside the objective
(``constraints_func`` is deprecated since Optuna 5.0).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
import warnings
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import optuna
from optuna.trial import TrialState

from archscope.search.objectives import constraint_values, is_feasible
from archscope.search.parameters import Label, label
from archscope.search.vectorized import GridEvaluator

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.space import SearchSpace

ATTR = "archscope"  # the study's user attribute holding its run settings
HEARTBEAT_S = 5
GRACE_S = 20


class Sampler(StrEnum):
    TPE = "tpe"
    NSGA2 = "nsga2"
    RANDOM = "random"
    EXHAUSTIVE = "exhaustive"


class StorageError(ValueError):
    """A storage that cannot be opened."""


class StudyMismatch(ValueError):
    """A study that exists with other settings than the ones asked for."""


def storage_url(value: str) -> str:
    """Normalised storage: ``postgresql://`` gets the psycopg (3) driver."""
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def is_url(value: str) -> bool:
    return "://" in value


def open_storage(value: str) -> optuna.storages.BaseStorage:
    """An Optuna storage for a URL or a journal file path; one-line ``StorageError``s."""
    url = storage_url(value)
    if not is_url(url):
        path = Path(url)
        if not path.parent.is_dir():
            raise StorageError(f"journal storage {value!r}: folder {str(path.parent)!r} does not exist")
        try:
            from optuna.storages.journal import JournalFileBackend

            return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
        except OSError as error:
            raise StorageError(f"journal storage {value!r}: {error.strerror or error}") from None
    import sqlalchemy

    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        connect_args["timeout"] = 60  # wait for other workers' writes instead of failing
    elif url.startswith(("postgresql", "mysql")):
        connect_args["connect_timeout"] = 10
    try:
        storage = _rdb_storage(url, connect_args)
    except ModuleNotFoundError as error:
        hint = " (pip install 'archscope[postgres]')" if "psycopg" in str(error.name) else ""
        raise StorageError(f"storage {value!r} needs the database driver {error.name!r}{hint}") from None
    except (sqlalchemy.exc.SQLAlchemyError, ValueError) as error:
        detail = " ".join(str(getattr(error, "orig", None) or error).split())
        raise StorageError(f"cannot open storage {value!r}: {detail[:300]}") from None
    if url.startswith("sqlite"):
        _fast_sqlite(storage.engine)
    return storage


def _rdb_storage(url: str, connect_args: dict[str, Any], attempts: int = 5) -> optuna.storages.RDBStorage:
    """An RDBStorage; workers that start together on a fresh database race to create
    Optuna's tables, and the losers retry (the tables then exist)."""
    import sqlalchemy

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url,
                    engine_kwargs={"connect_args": connect_args},
                    heartbeat_interval=HEARTBEAT_S,
                    grace_period=GRACE_S,
                )
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random() * (attempt + 1))
    raise AssertionError("unreachable")


def _fast_sqlite(engine: Any) -> None:
    """Write-ahead log, no fsync per commit: a trial costs ~10 commits, and an fsync each
    makes SQLite the bottleneck on slow disks. A killed process still loses nothing
    committed (the WAL survives it); only a power cut can drop the last commits."""
    import sqlalchemy

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sqlalchemy.event.listen(engine, "connect", pragmas)
    engine.dispose()  # reconnect with the pragmas


def make_sampler(sampler: Sampler, seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.BaseSampler:
    """The Optuna sampler; NSGA-II given the study's objective repairs its children onto
    the space's budget (``archscope.search.repair``)."""
    if sampler is Sampler.TPE:
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    if sampler is Sampler.NSGA2:
        return nsga2(seed, objective)
    if sampler is Sampler.RANDOM:
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"{sampler} is not an Optuna sampler")


#: NSGA-II's settings for archscope's spaces (a few integer parameters, a budget of a few
#: hundred trials; chosen on seeds 10-19 of ``search_spaces/ndnet.toml``, benchmarked on
#: seeds 0-4 by ``benchmarks/search_hypervolume.py``): 16 per generation (Optuna's 50
#: leaves 10 generations in 500 trials), blend (BLX-alpha) crossover of half the pairs,
#: and every numerical parameter of a child mutated a little (polynomial mutation, Deb's
#: operator) instead of a quarter of them redrawn from scratch (Optuna's default).
NSGA2_SETTINGS = {"population_size": 16, "crossover_prob": 0.5, "mutation_prob": 1.0, "mutation_eta": 10.0}


def nsga2(seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.NSGAIISampler:
    """NSGA-II with :data:`NSGA2_SETTINGS`; with ``objective`` (and a space with an fps or
    latency budget) its children are repaired onto the budget."""
    from optuna.samplers.nsgaii import BLXAlphaCrossover, PolynomialMutation

    from archscope.search.repair import BUDGET, BudgetRepair, RepairingNSGAIISampler

    settings = NSGA2_SETTINGS
    with warnings.catch_warnings():  # both operators are marked "experimental" by Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        kwargs: dict[str, Any] = dict(
            seed=seed,
            population_size=int(settings["population_size"]),
            crossover=BLXAlphaCrossover(),
            crossover_prob=settings["crossover_prob"],
            mutation=PolynomialMutation(eta=settings["mutation_eta"]),
            mutation_prob=settings["mutation_prob"],
        )
        constraints = objective.space.constraints if objective is not None else None
        if objective is None or all(getattr(constraints, name) is None for name in BUDGET):
            return optuna.samplers.NSGAIISampler(**kwargs)
        return RepairingNSGAIISampler(repair=BudgetRepair(objective.space, objective.metrics, seed), **kwargs)


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


def _text(value: Any) -> str:
    return str(label(value))


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
        violations = constraint_values(self.space, values)
        for key, value in violations.items():
            trial.set_constraint(key, float(value))
        hyper = self.space.hyper(drawn)
        trial.set_user_attr(ATTR, {  # one attribute: every storage write is a commit
            "config": {p.hyper: _text(hyper[p.hyper]) for p in self.space.parameters},
            "entries": self.space.entries(drawn),
            "metrics": metrics,
            "feasible": bool(is_feasible(violations)),
            "worker": self.worker,
        })
        return tuple(float(metrics[o.metric]) for o in self.space.objectives)


@dataclass(frozen=True)
class StudySettings:
    """What a study was created with (stored in its user attributes)."""

    space: dict[str, Any]
    sampler: str
    seed: int | None
    trials: int

    def as_attr(self) -> dict[str, Any]:
        return {"space": self.space, "sampler": self.sampler, "seed": self.seed, "trials": self.trials}


def find_study(storage: optuna.storages.BaseStorage, name: str) -> StudySettings | None:
    """The settings of study ``name`` if it exists in ``storage``."""
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return None
    attr = storage.get_study_user_attrs(study_id).get(ATTR)
    if not isinstance(attr, dict):
        raise StudyMismatch(f"study {name!r} exists in the storage but was not created by archscope search")
    return StudySettings(space=attr["space"], sampler=attr["sampler"], seed=attr["seed"], trials=int(attr["trials"]))


def open_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    space: SearchSpace,
    settings: StudySettings,
    objective: SpaceObjective | None = None,
) -> tuple[optuna.Study, bool, int | None]:
    """(study, created by this call, this worker's sampler seed): create the study, or
    join it if it exists with the same space and sampler. ``objective`` is the one the
    worker will run (NSGA-II repairs its children with it)."""
    directions = [o.direction.value for o in space.objectives]
    seed = settings.seed
    try:
        study = optuna.create_study(
            storage=storage, study_name=name, directions=directions, sampler=make_sampler(Sampler(settings.sampler), seed, objective)
        )
        study.set_user_attr(ATTR, settings.as_attr())
        return study, True, seed
    except optuna.exceptions.DuplicatedStudyError:
        pass
    existing = find_study(storage, name)
    if existing is not None and (existing.space != settings.space or existing.sampler != settings.sampler):
        what = "space" if existing.space != settings.space else f"sampler ({existing.sampler})"
        raise StudyMismatch(f"study {name!r} exists with another {what}; join it without --space/--sampler overrides, or pick a new --study-name")
    # a joining worker draws its own seed so that it does not repeat the first one's trials
    seed = None if settings.seed is None else (settings.seed + 1 + int.from_bytes(os.urandom(3), "little"))
    study = optuna.load_study(study_name=name, storage=storage, sampler=make_sampler(Sampler(settings.sampler), seed, objective))
    return study, False, seed


def finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


class GracefulStop:
    """Ctrl-C (SIGINT) or SIGTERM during a search: finish the running trial, then stop.

    A KeyboardInterrupt raised at an arbitrary point could land inside a storage's
    locking or commit code (Optuna's journal file lock, for one, then raises a
    RuntimeError instead); a flag checked between trials cannot. A second signal
    interrupts at once. Handlers are installed only in the main thread.
    """

    def __init__(self) -> None:
        self.requested = False
        self._saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            self.__exit__()
            raise KeyboardInterrupt
        self.requested = True

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if self.requested:
            study.stop()

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()


def run_trials(
    study: optuna.Study,
    objective: SpaceObjective,
    *,
    total: int,
    on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None,
) -> bool:
    """Run trials until the study has ``total`` finished ones (shared by all workers);
    True if a signal stopped it early (see ``GracefulStop``). Every finished trial is in
    the storage as soon as it finishes.
    """
    remaining = total - finished(study)
    if remaining <= 0:
        return False
    with GracefulStop() as stop:
        callbacks: list[Callable[[optuna.Study, optuna.trial.FrozenTrial], None]] = [
            optuna.study.MaxTrialsCallback(total, states=(TrialState.COMPLETE,)),
            stop,
        ]
        if on_trial is not None:
            callbacks.append(on_trial)
        study.optimize(objective, n_trials=remaining, callbacks=callbacks, gc_after_trial=False)
    return stop.requested
