"""Pareto fronts, the hypervolume of a front and its reference point.

Objectives are turned into losses (maximised metrics negated) so that every front is a
minimisation front, as Optuna's hypervolume (``optuna._hypervolume.compute_hypervolume``,
the WFG algorithm Optuna's own samplers and plots use) expects.

The reference point is fixed by the space, not by a run, so that the fronts of two runs
(or a run and the exhaustive true front) are measured against the same point: each
objective's worst value over the space, clamped by the bounds on that metric
(``archscope.search.constraints``: a feasible point has fps >= min_fps...), then moved 1% of
the objective's range further, so that a front's extreme points count. A learned metric's
range is its own (mIoU: 0 to 1). An analytic metric's worst value is taken over every
configuration when the space was enumerated, else at the space's two corners (every
parameter at its first value, every parameter at its last: the extremes when costs grow
with every parameter, as NDNet's do; categorical choices are listed from the cheapest to
the costliest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import pandas as pd
from optuna._hypervolume import compute_hypervolume

from archscope.search.objectives import LEARNED, Direction, Objective, evaluate

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.space import SearchSpace

REFERENCE_MARGIN = 0.01


def losses(frame: pd.DataFrame, objectives: Sequence[Objective]) -> np.ndarray:
    """Rows x objectives, every objective to be minimised."""
    return np.column_stack([frame[o.metric].to_numpy(dtype=np.float64) * o.sign for o in objectives])


def non_dominated(loss: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows no other row dominates (ties are all kept)."""
    if len(loss) == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # lexicographically sorted
    if unique.shape[1] == 2:
        return _non_dominated_2d(unique)[inverse.reshape(-1)]
    keep = np.ones(len(unique), dtype=bool)
    for start in range(0, len(unique), 512):
        chunk = unique[start : start + 512]
        no_worse = (unique[None, :, :] <= chunk[:, None, :]).all(axis=2)
        better = (unique[None, :, :] < chunk[:, None, :]).any(axis=2)
        keep[start : start + 512] = ~(no_worse & better).any(axis=1)
    return keep[inverse.reshape(-1)]


def _non_dominated_2d(unique: np.ndarray) -> np.ndarray:
    """Unique, lexsorted 2-D losses: the first of each run of equal first losses, if its
    second loss beats every earlier run's."""
    starts = np.flatnonzero(np.r_[True, unique[1:, 0] != unique[:-1, 0]])
    seconds = unique[starts, 1]
    earlier_best = np.r_[np.inf, np.minimum.accumulate(seconds)[:-1]]
    keep = np.zeros(len(unique), dtype=bool)
    keep[starts[seconds < earlier_best]] = True
    return keep


def front(
    frame: pd.DataFrame,
    objectives: Sequence[Objective],
    *,
    config_columns: Sequence[str],
    prefer: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The feasible, non-dominated rows of ``frame``: one row per objective vector (the
    fastest configuration when several reach the same objectives, and among equally fast
    ones the one with the most ``prefer`` column values, e.g. the family's defaults: the
    configuration that names an identical network most plainly; ``alternatives`` counts
    the others), sorted by the first objective, best first."""
    feasible = frame[frame["feasible"].astype(bool)].drop_duplicates(subset=list(config_columns))
    if feasible.empty:
        return feasible.assign(alternatives=pd.Series(dtype=int))
    on_front = feasible[non_dominated(losses(feasible, objectives))]
    metrics = [o.metric for o in objectives]
    counts = on_front.groupby(metrics).size().rename("alternatives") - 1
    changes = pd.Series(0, index=on_front.index)
    for column, value in (prefer or {}).items():
        if column in on_front:
            changes += (on_front[column].astype(str) != value).astype(int)
    order = on_front.assign(_changes=changes).sort_values(["fps", "_changes"], ascending=[False, True], kind="stable")
    best = order.drop_duplicates(subset=metrics).drop(columns="_changes")
    best = best.join(counts, on=metrics)
    first = objectives[0]
    return best.sort_values(first.metric, ascending=first.direction is Direction.MINIMIZE, kind="stable").reset_index(drop=True)


def reference_point(space: SearchSpace, profile: DeviceProfile, *, table: pd.DataFrame | None = None) -> np.ndarray:
    """The space's reference point, in losses (see the module docstring); ``table``:
    every configuration's metrics, when the space was enumerated."""
    analytic = [o.metric for o in space.objectives if o.metric not in LEARNED]
    if table is not None and len(table):
        metrics = table[analytic]
        evaluated = [metrics.min().to_dict(), metrics.max().to_dict()]
    else:
        evaluated = [evaluate(space.family, space.hyper(corner), profile) for corner in space.corners()]
    evaluated = [{**values, **{name: LEARNED[name][i] for name in LEARNED}} for i, values in enumerate(evaluated)]
    point = []
    for objective in space.objectives:
        values = [float(c[objective.metric]) for c in evaluated]
        worst, best = (min(values), max(values)) if objective.direction is Direction.MAXIMIZE else (max(values), min(values))
        for bound, limit in space.constraints.bounds():
            if bound.metric == objective.metric and (bound.sense == "min") == (objective.direction is Direction.MAXIMIZE):
                worst = bound.clamp(worst, limit)
        margin = REFERENCE_MARGIN * max(abs(best - worst), 1e-12)
        point.append(objective.sign * worst + margin)
    return np.array(point, dtype=np.float64)


def hypervolume(frame: pd.DataFrame, objectives: Sequence[Objective], reference: np.ndarray) -> float:
    """Hypervolume the feasible rows of ``frame`` dominate, up to ``reference``."""
    if frame.empty:
        return 0.0
    rows = frame[frame["feasible"].astype(bool)] if "feasible" in frame else frame
    loss = losses(rows, objectives)
    loss = loss[(loss < reference).all(axis=1)]
    if len(loss) == 0:
        return 0.0
    return float(compute_hypervolume(loss, reference))
