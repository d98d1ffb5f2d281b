"""Ground truth: every configuration of a small enough space, and its true Pareto front."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from archscope.search.constraints import is_feasible
from archscope.search.objectives import LEARNED
from archscope.search.pareto import front
from archscope.search.vectorized import GridEvaluator

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.space import SearchSpace

#: largest space enumerated by default (the block-linear NDNet model does ~1M per second)
MAX_CONFIGS = 5_000_000
#: largest space enumerated without a block-linear decomposition (one full model each)
MAX_CONFIGS_FULL_MODEL = 2_000


class SpaceTooLarge(ValueError):
    """The space has more configurations than exhaustive enumeration allows."""


@dataclass(frozen=True)
class Enumeration:
    """Every configuration (``table``) and the true front (``front``)."""

    table: pd.DataFrame
    front: pd.DataFrame
    full_evaluations: int

    @property
    def feasible(self) -> int:
        return int(self.table["feasible"].sum())


def enumeration_limit(space: SearchSpace, profile: DeviceProfile, max_configs: int = MAX_CONFIGS) -> int:
    """How many configurations ``space`` may have to be enumerated."""
    return max_configs if GridEvaluator(space, profile).block_linear else min(max_configs, MAX_CONFIGS_FULL_MODEL)


def config_columns(space: SearchSpace) -> list[str]:
    """Columns that identify a configuration."""
    return [p.hyper for p in space.parameters]


def enumerate_space(space: SearchSpace, profile: DeviceProfile, *, max_configs: int = MAX_CONFIGS) -> Enumeration:
    """Evaluate every configuration; raise ``SpaceTooLarge`` above the limit."""
    evaluator = GridEvaluator(space, profile)
    limit = enumeration_limit(space, profile, max_configs)
    size = space.size()
    if size > limit:
        how = "block-linear model" if evaluator.block_linear else "full model (no block-linear decomposition)"
        raise SpaceTooLarge(f"space {space.name!r} has {size:,} configurations, more than the {limit:,} the exhaustive {how} enumerates")
    columns = evaluator.evaluate_all()
    violations = space.constraints.violations(columns)
    table = pd.DataFrame(columns)
    for key, value in violations.items():
        table[f"violation[{key}]"] = value
    table["feasible"] = is_feasible(violations) if violations else True
    # a learned objective (miou) is not enumerated: the front of the analytic ones
    analytic = tuple(o for o in space.objectives if o.metric not in LEARNED)
    true_front = front(table, analytic, config_columns=config_columns(space), prefer=space.defaults()) if analytic else table.iloc[:0]
    return Enumeration(table=table, front=true_front, full_evaluations=evaluator.full_evaluations)
