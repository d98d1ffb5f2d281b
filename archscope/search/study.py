"""Optuna studies over a search space: create or join, run until the budget, stop cleanly.

Several ``archscope search`` processes given the same storage (``archscope.search.storage``)
and study name are workers of one study: the first creates it and records its space,
sampler, seed and trial budget in the study's user attributes; the others load them (a
different space is an error) and draw their own sampler seed. ``--trials`` is the
study's total of finished trials, so a worker stops when the study has that many, and an
interrupted study resumes by running the same command again: every finished trial is in
the storage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import optuna
from optuna.trial import TrialState

from archscope.search.objective import ATTR, SpaceObjective
from archscope.search.samplers import get_sampler
from archscope.search.signals import GracefulStop

if TYPE_CHECKING:
    from archscope.search.space import SearchSpace


class StudyMismatch(ValueError):
    """A study that exists with other settings than the ones asked for."""


@dataclass(frozen=True)
class StudySettings:
    """What a study was created with (stored in its user attributes)."""

    space: dict[str, Any]
    sampler: str
    seed: int | None
    trials: int
    pruner: str | None = None  # a name in archscope.search.pruners.PRUNERS (learned objectives only)

    def as_attr(self) -> dict[str, Any]:
        return {"space": self.space, "sampler": self.sampler, "seed": self.seed, "trials": self.trials,
                "pruner": self.pruner}


def find_study(storage: optuna.storages.BaseStorage, name: str) -> StudySettings | None:
    """The settings of study ``name`` if it exists in ``storage``."""
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return None
    attr = storage.get_study_user_attrs(study_id).get(ATTR)
    if not isinstance(attr, dict):
        raise StudyMismatch(f"study {name!r} exists in the storage but was not created by archscope search")
    return StudySettings(space=attr["space"], sampler=attr["sampler"], seed=attr["seed"], trials=int(attr["trials"]),
                         pruner=attr.get("pruner"))


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
            storage=storage, study_name=name, directions=directions, sampler=get_sampler(settings.sampler).make(seed, objective)
        )
        study.set_user_attr(ATTR, settings.as_attr())
        return study, True, seed
    except optuna.exceptions.DuplicatedStudyError:
        pass
    existing = find_study(storage, name)
    if existing is not None:
        _check_same(name, existing, settings)
    # a joining worker draws its own seed so that it does not repeat the first one's trials
    seed = None if settings.seed is None else (settings.seed + 1 + int.from_bytes(os.urandom(3), "little"))
    study = optuna.load_study(study_name=name, storage=storage, sampler=get_sampler(settings.sampler).make(seed, objective))
    return study, False, seed


def _check_same(name: str, existing: StudySettings, settings: StudySettings) -> None:
    """A worker joins a study only with its space, sampler and pruner."""
    for what in ("space", "sampler", "pruner"):
        stored = getattr(existing, what)
        if stored != getattr(settings, what):
            shown = "space" if what == "space" else f"{what} ({stored})"
            raise StudyMismatch(f"study {name!r} exists with another {shown}; join it without --space/--sampler/"
                                "--pruner overrides, or pick a new --study-name")


#: trials that count towards a study's budget (pruned ones: an accuracy-aware search's)
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))


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
            optuna.study.MaxTrialsCallback(total, states=FINISHED),
            stop,
        ]
        if on_trial is not None:
            callbacks.append(on_trial)
        study.optimize(objective, n_trials=remaining, callbacks=callbacks, gc_after_trial=False)
    return stop.requested


def companion_study(storage: optuna.storages.BaseStorage, name: str, pruner: optuna.pruners.BasePruner) -> optuna.Study:
    """The single-objective study ``<name>.proxy`` that holds a search's proxy trainings
    and their pruner (``archscope.search.proxy``); created by the first worker."""
    return optuna.create_study(
        storage=storage, study_name=f"{name}.proxy", direction="maximize", pruner=pruner, load_if_exists=True
    )
