"""Every finished trial of a search run as parallel coordinates: the searched values,
the metrics, and whether the trial met the constraints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from archscope.report.figures.common import FEASIBLE, INFEASIBLE, as_floats, empty_note, layout

if TYPE_CHECKING:
    from archscope.search.folder import SearchRun

#: metric -> (axis label with its unit, divisor)
AXES = {
    "layers": ("layers", 1.0),
    "params": ("params (M)", 1e6),
    "macs": ("MACs (G)", 1e9),
    "latency_ms": ("latency (ms)", 1.0),
    "fps": ("fps", 1.0),
}


@dataclass(frozen=True)
class Dimension:
    label: str
    values: list[float]
    tickvals: list[float] | None = None
    ticktext: list[str] | None = None


@dataclass(frozen=True)
class TrialsInfo:
    dimensions: list[Dimension]
    feasible: list[bool]
    left_out: int  # trials that finished without metrics (failed, pruned, running)

    @property
    def counts(self) -> tuple[int, int]:
        """(feasible, infeasible) trials shown."""
        feasible = sum(self.feasible)
        return feasible, len(self.feasible) - feasible


def trials_info(run: SearchRun) -> TrialsInfo:
    """One axis per searched name that varies, per metric, and a feasible/infeasible axis."""
    finished = run.finished
    dimensions = [
        _dimension(name, finished[name])
        for name in run.space.searched
        if name in finished and finished[name].nunique() > 1
    ]
    for metric, (label, scale) in AXES.items():
        if metric in finished:
            dimensions.append(Dimension(label, [float(v) / scale for v in finished[metric]]))
    feasible = [bool(v) for v in finished["feasible"]]
    dimensions.append(Dimension("constraints", [float(v) for v in feasible], [0.0, 1.0], ["infeasible", "feasible"]))
    return TrialsInfo(dimensions=dimensions, feasible=feasible, left_out=len(run.trials) - len(finished))


def _dimension(name: str, column: pd.Series) -> Dimension:
    """A numeric axis, or a categorical one (enums, booleans) with a tick per choice."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return Dimension(name, as_floats(column))
    categories = pd.Categorical(column.astype(str))
    ticks = [float(i) for i in range(len(categories.categories))]
    return Dimension(name, [float(c) for c in categories.codes], ticks, [str(c) for c in categories.categories])


def trials_figure(info: TrialsInfo) -> go.Figure:
    """Feasible trials in blue, infeasible in grey; drag along an axis to filter."""
    dimensions = []
    for d in info.dimensions:
        entry: dict[str, object] = {"label": d.label, "values": d.values}
        if d.tickvals is not None:
            entry.update(tickvals=d.tickvals, ticktext=d.ticktext, range=[-0.1, max(d.tickvals) + 0.1])
        dimensions.append(entry)
    colours = [1.0 if f else 0.0 for f in info.feasible]
    trace = go.Parcoords(
        dimensions=dimensions,
        line={"color": colours, "colorscale": [[0, INFEASIBLE], [1, FEASIBLE]], "cmin": 0, "cmax": 1},
        labelangle=0,
    )
    figure = go.Figure(trace)
    feasible, infeasible = info.counts
    title = f"All {feasible + infeasible} finished trials: {feasible} feasible (blue), {infeasible} infeasible (grey)"
    layout(figure, title=title, height=520)
    figure.update_layout(margin={"l": 60, "r": 60, "t": 110, "b": 40})
    if not info.feasible:
        empty_note(figure, "no finished trial")
    return figure
