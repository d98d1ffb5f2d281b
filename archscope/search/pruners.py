"""The pruners ``archscope search --pruner`` offers (accuracy-aware searches only).

A ``SearchPruner`` has a ``name`` (the CLI choice), a one-line ``help`` and ``make``,
which returns the Optuna pruner for the proxy task: its resource is training steps, the
smallest ``ProxyTask.first_rung`` (no training is judged on its first quarter, where its
mIoU says little about its last) and the largest the task's steps.
``register_pruner`` adds one to ``PRUNERS`` (a name once).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, TypeVar

if TYPE_CHECKING:
    import optuna

    from archscope.search.proxy import ProxyTask

#: the reduction factor of successive halving and Hyperband: a third of the trainings that
#: reach a rung go on to the next
REDUCTION_FACTOR = 3


class SearchPruner(ABC):
    """One way of stopping unpromising proxy trainings early."""

    name: ClassVar[str]
    help: ClassVar[str]

    @abstractmethod
    def make(self, task: ProxyTask) -> optuna.pruners.BasePruner:
        """The Optuna pruner for trainings on ``task``."""


PRUNERS: dict[str, SearchPruner] = {}
_P = TypeVar("_P", bound=type[SearchPruner])


def register_pruner(cls: _P) -> _P:
    """Add a pruner class to the registry (its ``name`` once)."""
    if cls.name in PRUNERS:
        raise ValueError(f"pruner {cls.name!r} is already registered")
    PRUNERS[cls.name] = cls()
    return cls


def get_pruner(name: str) -> SearchPruner:
    """The pruner called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return PRUNERS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not one of {', '.join(PRUNERS)}") from None


@register_pruner
class SuccessiveHalving(SearchPruner):
    name = "successive-halving"
    help = "asynchronous successive halving: a third of the trainings go on at each rung"

    def make(self, task: ProxyTask) -> optuna.pruners.BasePruner:
        import optuna

        return optuna.pruners.SuccessiveHalvingPruner(min_resource=task.first_rung, reduction_factor=REDUCTION_FACTOR)


@register_pruner
class Hyperband(SearchPruner):
    name = "hyperband"
    help = "Hyperband: successive halving in several brackets of early-stopping rates"

    def make(self, task: ProxyTask) -> optuna.pruners.BasePruner:
        import optuna

        return optuna.pruners.HyperbandPruner(
            min_resource=task.first_rung, max_resource=task.steps, reduction_factor=REDUCTION_FACTOR
        )


@register_pruner
class NoPruning(SearchPruner):
    name = "none"
    help = "every feasible candidate trains for the task's steps"

    def make(self, task: ProxyTask) -> optuna.pruners.BasePruner:
        import optuna

        return optuna.pruners.NopPruner()


DEFAULT_PRUNER = SuccessiveHalving.name
