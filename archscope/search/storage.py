"""Optuna storages for a search (``--storage``).

- an SQLAlchemy URL: ``sqlite:///path/study.db`` (the default, in the run folder: embedded,
  nothing to start), ``postgresql://user@host/db`` (driver: ``pip install
  archscope[postgres]``), ``mysql+pymysql://...``: ``optuna.storages.RDBStorage``, with
  heartbeats so that trials of a killed worker are marked failed;
- anything else is a journal file path (``results/runs/x/journal.log``):
  ``JournalStorage(JournalFileBackend(path))``, safe for several processes on one machine
  or on a shared file system, with the same heartbeats (``HeartbeatJournalStorage``).

A running trial's worker records a heartbeat every ``HEARTBEAT_S``; a trial whose last
heartbeat is older than ``GRACE_S`` belongs to a dead worker, and
``optuna.storages.fail_stale_trials`` marks it failed (``retry_stale``: and enqueues a
copy of it, Optuna's ``RetryHeartbeatStaleTrialCallback``, so that another worker takes
it again).
"""

from __future__ import annotations

import random
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import optuna
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.trial import FrozenTrial, TrialState

HEARTBEAT_S = 5
GRACE_S = 20


class StorageError(ValueError):
    """A storage that cannot be opened."""


def storage_url(value: str) -> str:
    """Normalised storage: ``postgresql://`` gets the psycopg (3) driver."""
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def is_url(value: str) -> bool:
    return "://" in value


StaleCallback = Callable[[optuna.Study, FrozenTrial], None]


class HeartbeatJournalStorage(optuna.storages.JournalStorage, BaseHeartbeat):
    """A journal storage with Optuna's heartbeat protocol (which only RDB storages have):
    the heartbeat of trial ``id`` is its system attribute ``heartbeat:<id>`` (wall-clock
    seconds; a retried copy of a trial carries its attributes, not its heartbeat). Workers
    on several machines need roughly synchronised clocks (``GRACE_S`` of slack)."""

    def __init__(self, backend: Any, *, on_stale: StaleCallback | None = None) -> None:
        super().__init__(backend)
        self._on_stale = on_stale

    def record_heartbeat(self, trial_id: int) -> None:
        self.set_trial_system_attr(trial_id, f"heartbeat:{trial_id}", time.time())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(f"heartbeat:{trial._trial_id}")
            if beat is not None and now - float(beat) > GRACE_S:
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int | None:
        return HEARTBEAT_S

    def get_heartbeat_stale_trial_callback(self) -> StaleCallback | None:
        return self._on_stale


def _stale_callback(retry_stale: bool) -> StaleCallback | None:
    if not retry_stale:
        return None
    with warnings.catch_warnings():  # "experimental"
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RetryHeartbeatStaleTrialCallback()


def open_storage(value: str, *, retry_stale: bool = False) -> optuna.storages.BaseStorage:
    """An Optuna storage for a URL or a journal file path; one-line ``StorageError``s.
    ``retry_stale``: a dead worker's trial is enqueued again (see the module docstring)."""
    url = storage_url(value)
    on_stale = _stale_callback(retry_stale)
    if not is_url(url):
        path = Path(url)
        if not path.parent.is_dir():
            raise StorageError(f"journal storage {value!r}: folder {str(path.parent)!r} does not exist")
        try:
            from optuna.storages.journal import JournalFileBackend

            return HeartbeatJournalStorage(JournalFileBackend(str(path)), on_stale=on_stale)
        except OSError as error:
            raise StorageError(f"journal storage {value!r}: {error.strerror or error}") from None
    import sqlalchemy

    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        connect_args["timeout"] = 60  # wait for other workers' writes instead of failing
    elif url.startswith(("postgresql", "mysql")):
        connect_args["connect_timeout"] = 10
    try:
        storage = _rdb_storage(url, connect_args, on_stale)
    except ModuleNotFoundError as error:
        hint = " (pip install 'archscope[postgres]')" if "psycopg" in str(error.name) else ""
        raise StorageError(f"storage {value!r} needs the database driver {error.name!r}{hint}") from None
    except (sqlalchemy.exc.SQLAlchemyError, ValueError) as error:
        detail = " ".join(str(getattr(error, "orig", None) or error).split())
        raise StorageError(f"cannot open storage {value!r}: {detail[:300]}") from None
    if url.startswith("sqlite"):
        _fast_sqlite(storage.engine)
    return storage


def _rdb_storage(
    url: str, connect_args: dict[str, Any], on_stale: StaleCallback | None, attempts: int = 5
) -> optuna.storages.RDBStorage:
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
                    heartbeat_stale_trial_callback=on_stale,
                )
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError, sqlalchemy.exc.OperationalError) as error:
            # PostgreSQL reports the lost race as an integrity or programming error,
            # SQLite as an operational one ("table studies already exists")
            lost_race = not isinstance(error, sqlalchemy.exc.OperationalError) or "already exists" in str(error)
            if attempt == attempts - 1 or not lost_race:
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


@contextmanager
def heartbeat(study: optuna.Study, trial_id: int) -> Iterator[None]:
    """Record the trial's heartbeat every ``HEARTBEAT_S`` while the block runs (what
    ``study.optimize`` does for its trials; for trials run outside it)."""
    storage = study._storage
    if not isinstance(storage, BaseHeartbeat) or storage.get_heartbeat_interval() is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while True:
            storage.record_heartbeat(trial_id)
            if stop.wait(timeout=HEARTBEAT_S):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale_trials(study: optuna.Study) -> None:
    """Mark the running trials of dead workers failed (and, for a storage opened with
    ``retry_stale``, enqueue them again): Optuna's ``fail_stale_trials``, quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
