"""Optuna storages for a search (``--storage``).

- an SQLAlchemy URL: ``sqlite:///path/study.db`` (the default, in the run folder: embedded,
  nothing to start), ``postgresql://user@host/db`` (driver: ``pip install
  archscope[postgres]``), ``mysql+pymysql://...``: ``optuna.storages.RDBStorage``, with
  heartbeats so that trials of a killed worker are marked failed;
- anything else is a journal file path (``results/runs/x/journal.log``):
  ``JournalStorage(JournalFileBackend(path))``, safe for several processes on one machine
  or on a shared file system.
"""

from __future__ import annotations

import random
import time
import warnings
from pathlib import Path
from typing import Any

import optuna

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
