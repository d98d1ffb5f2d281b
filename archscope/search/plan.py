"""From what the user asked for to a ``SearchRequest``.

The run folder defaults to ``results/runs/<study name>/`` and the study name to the
folder's name (or ``<space>-<sampler>-<time>`` for a new run), the storage to SQLite in
that folder: running a command again with the same ``--out`` resumes its study. When
the study exists, its stored space, sampler, seed and trial budget are used for the
options not given; a different space or sampler is a ``StudyMismatch``. A run's
``config.toml`` given as the space supplies its sampler, seed and trials.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import optuna

from archscope.families.base import Resolution
from archscope.search.run import default_run_name
from archscope.search.runner import SearchRequest
from archscope.search.space import SearchSpace, load_space, space_from_dict
from archscope.search.constraints import BY_KEY
from archscope.search.objectives import Objective
from archscope.search.pruners import DEFAULT_PRUNER, PRUNERS
from archscope.search.samplers import SAMPLERS, get_sampler
from archscope.search.storage import is_url, open_storage
from archscope.search.study import StudyMismatch, StudySettings, find_study

RUNS_DIR = Path("results") / "runs"
DEFAULT_SPACE = "ndnet"
DEFAULT_TRIALS = 300
DEFAULT_SEED = 0
DEFAULT_SAMPLER = "tpe"


@dataclass(frozen=True)
class SearchOptions:
    """The options of ``archscope search``; ``None``: not given."""

    space: str | None = None
    device: str | None = None
    resolution: Resolution | None = None
    limits: Mapping[str, float | int] = field(default_factory=dict)  # bounds given (archscope.search.constraints)
    trials: int | None = None
    sampler: str | None = None  # a name in archscope.search.samplers.SAMPLERS
    seed: int | None = None
    storage: str | None = None
    study_name: str | None = None
    out: Path | None = None
    true_front: bool = True
    command: str = ""
    objectives: tuple[Objective, ...] | None = None  # replace the space's objectives
    proxy: Mapping[str, Any] = field(default_factory=dict)  # ProxyTask fields given (--proxy-steps ...)
    pruner: str | None = None  # a name in archscope.search.pruners.PRUNERS

    @property
    def overrides(self) -> dict[str, Any]:
        return {"device": self.device, "resolution": self.resolution,
                **{key: self.limits.get(key) for key in BY_KEY},
                "objectives": self.objectives, "proxy": {k: v for k, v in self.proxy.items() if v is not None} or None}


def run_defaults(space: str | None) -> dict[str, Any]:
    """The ``[run]`` table of a run's config.toml given as the space (else empty)."""
    path = Path(space) if space else None
    if path is None or path.suffix != ".toml" or not path.is_file():
        return {}
    try:
        run = tomllib.loads(path.read_text()).get("run", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # load_space reports it
    return run if isinstance(run, dict) else {}


def resolve_space(
    existing: StudySettings | None,
    requested: SearchSpace | None,
    default: Callable[[], SearchSpace],
    study_name: str,
) -> SearchSpace:
    """The space of a study: its stored one when it exists (a different requested one is
    an error), else the requested one, else the default."""
    if existing is None:
        return requested or default()
    stored = space_from_dict(existing.space, origin=f"study {study_name!r}")
    if requested is not None and requested.to_dict() != existing.space:
        raise StudyMismatch(
            f"study {study_name!r} exists with another space ({stored.name}, as stored in the study): "
            "drop --space and the constraint options to join it, or pick a new --study-name"
        )
    return stored


def _existing(
    options: SearchOptions, name: str | None, sampler: str | None
) -> tuple[optuna.storages.BaseStorage | None, StudySettings | None]:
    """The storage (opened when it may hold the study) and the study's settings."""
    if (sampler is not None and get_sampler(sampler).enumerates) or name is None:
        return None, None
    folder = options.out or RUNS_DIR / name
    storage = options.storage
    if storage and not is_url(storage) and Path(storage).resolve().parent == folder.resolve():
        folder.mkdir(parents=True, exist_ok=True)  # a journal file in the run folder
    if not storage and not (folder / "study.db").is_file():
        return None, None
    opened = open_storage(storage or f"sqlite:///{(folder / 'study.db').resolve()}")
    return opened, find_study(opened, name)


def plan(options: SearchOptions) -> tuple[SearchRequest, optuna.storages.BaseStorage | None]:
    """The request, and the storage when it was opened to look for the study.

    Raises ``SpaceError``, ``StorageError`` and ``StudyMismatch``.
    """
    defaults = run_defaults(options.space)
    given = options.space is not None or any(v is not None for v in options.overrides.values())
    requested = load_space(options.space or DEFAULT_SPACE).with_overrides(**options.overrides) if given else None
    sampler = options.sampler or (defaults["sampler"] if defaults.get("sampler") in SAMPLERS else None)
    name = options.study_name or (options.out.name if options.out is not None else None)
    opened, existing = _existing(options, name, sampler)
    space = resolve_space(existing, requested, lambda: load_space(DEFAULT_SPACE), name or "")
    if existing is not None and sampler is not None and sampler != existing.sampler:
        raise StudyMismatch(f"study {name!r} exists with sampler {existing.sampler}; drop --sampler to join it, or pick a new --study-name")
    sampler = sampler or (existing.sampler if existing else DEFAULT_SAMPLER)
    pruner = _pruner(options.pruner or (defaults["pruner"] if defaults.get("pruner") in PRUNERS else None),
                     existing, space, name)
    name = name or default_run_name(space.name, sampler)
    if options.seed is not None:
        seed = options.seed
    else:
        seed = existing.seed if existing else defaults.get("seed", DEFAULT_SEED)
    request = SearchRequest(
        space=space,
        sampler=sampler,
        seed=seed,
        trials=options.trials or (existing.trials if existing else int(defaults.get("trials", DEFAULT_TRIALS))),
        out=options.out or RUNS_DIR / name,
        study_name=name,
        storage=options.storage,
        true_front=options.true_front,
        command=options.command,
        pruner=pruner,
    )
    return request, opened


def _pruner(given: str | None, existing: StudySettings | None, space: SearchSpace, name: str | None) -> str | None:
    """The pruner of an accuracy-aware search (a study's own when it exists); none for a
    search without a learned objective."""
    if given is not None and given not in PRUNERS:
        raise ValueError(f"{given!r} is not one of {', '.join(PRUNERS)}")
    if not space.learned:
        if given is not None:
            raise ValueError("--pruner stops proxy trainings early: it needs a learned objective (--objective miou)")
        return None
    if existing is not None and given is not None and given != existing.pruner:
        raise StudyMismatch(f"study {name!r} exists with pruner {existing.pruner}; drop --pruner to join it, "
                            "or pick a new --study-name")
    return given or (existing.pruner if existing else None) or DEFAULT_PRUNER
