"""The samplers ``archscope search --sampler`` offers, behind one small contract.

A ``SearchSampler`` has a ``name`` (the CLI choice), a one-line ``help`` and ``make``,
which returns the Optuna sampler for a study given the worker's seed and the study's
objective. ``register_sampler`` adds one to ``SAMPLERS`` (a name once); the CLI's
choices are that registry's keys. ``exhaustive`` is registered too but ``enumerates``:
it runs no study, every configuration of the space is evaluated
(``archscope.search.exhaustive``).

Optuna is imported inside ``make``, so listing the samplers costs nothing.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    import optuna

    from archscope.search.objective import SpaceObjective


class SearchSampler(ABC):
    """One way of drawing a study's trials."""

    name: ClassVar[str]
    help: ClassVar[str]
    #: evaluates every configuration instead of running an Optuna study
    enumerates: ClassVar[bool] = False

    @abstractmethod
    def make(self, seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.BaseSampler:
        """The Optuna sampler of one worker (``objective``: the study's, when known)."""


SAMPLERS: dict[str, SearchSampler] = {}
_S = TypeVar("_S", bound=type[SearchSampler])


def register_sampler(cls: _S) -> _S:
    """Add a sampler class to the registry (its ``name`` once)."""
    if cls.name in SAMPLERS:
        raise ValueError(f"sampler {cls.name!r} is already registered")
    SAMPLERS[cls.name] = cls()
    return cls


def get_sampler(name: str) -> SearchSampler:
    """The sampler called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not one of {', '.join(SAMPLERS)}") from None


@register_sampler
class TPE(SearchSampler):
    name = "tpe"
    help = "Optuna's multivariate TPE (constant liar for parallel workers)"

    def make(self, seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.BaseSampler:
        import optuna

        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)


#: NSGA-II's settings for archscope's spaces (a few integer parameters, a budget of a few
#: hundred trials; chosen on seeds 10-19 of ``archscope/spaces/ndnet.toml``, benchmarked on
#: seeds 0-4 by ``benchmarks/search_hypervolume.py``): 16 per generation (Optuna's 50
#: leaves 10 generations in 500 trials), blend (BLX-alpha) crossover of half the pairs,
#: and every numerical parameter of a child mutated a little (polynomial mutation, Deb's
#: operator) instead of a quarter of them redrawn from scratch (Optuna's default).
NSGA2_SETTINGS = {"population_size": 16, "crossover_prob": 0.5, "mutation_prob": 1.0, "mutation_eta": 10.0}


@register_sampler
class NSGA2(SearchSampler):
    name = "nsga2"
    help = "NSGA-II with archscope's settings, children repaired onto the latency budget"

    def make(self, seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.BaseSampler:
        """With ``objective`` (and a space with a latency budget) the children are
        repaired onto the budget (``archscope.search.repair``)."""
        import optuna
        from optuna.samplers.nsgaii import BLXAlphaCrossover, PolynomialMutation

        from archscope.search.repair import RepairingNSGAIISampler, budget_repair

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
            repair = budget_repair(objective, seed) if objective is not None else None
            if repair is None:
                return optuna.samplers.NSGAIISampler(**kwargs)
            return RepairingNSGAIISampler(repair=repair, **kwargs)


@register_sampler
class Random(SearchSampler):
    name = "random"
    help = "independent uniform draws (a baseline)"

    def make(self, seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.BaseSampler:
        import optuna

        return optuna.samplers.RandomSampler(seed=seed)


@register_sampler
class Exhaustive(SearchSampler):
    name = "exhaustive"
    help = "every configuration of the space: the true front (small spaces)"
    enumerates = True

    def make(self, seed: int | None, objective: SpaceObjective | None = None) -> optuna.samplers.BaseSampler:
        raise TypeError("exhaustive enumerates the space: it has no Optuna sampler")
