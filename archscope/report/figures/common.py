"""What every figure shares: a point set, number formatting for hover text, the layout."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import plotly.graph_objects as go

from archscope.ops import OpClass

FEASIBLE = "#1f77b4"
INFEASIBLE = "#b0b0b0"
REFERENCE = "#d62728"
BOUNDARY = "#111111"
#: one colour per op class, per block (cycled)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
FPS_SCALE = "Viridis"

_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


@dataclass(frozen=True)
class Points:
    """Points of one trace: coordinates, a name per point and its hover text."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    color: list[float] = field(default_factory=list)  # a value per point for a colour scale

    def __len__(self) -> int:
        return len(self.x)


def si(value: float, unit: str = "") -> str:
    """``3797483520`` -> ``3.8G``: three significant digits and an SI prefix."""
    number = float(value)
    if not math.isfinite(number):
        return "-"
    for scale, prefix in _PREFIXES:
        if abs(number) >= scale:
            return f"{number / scale:.3g}{prefix}{unit}"
    return f"{number:.3g}{unit}"


def hover_text(values: Mapping[str, Any]) -> str:
    """``name value`` lines for plotly's hover box (``<br>`` separated)."""
    return "<br>".join(f"{name} <b>{value}</b>" for name, value in values.items() if value not in (None, ""))


def metric_text(metrics: Mapping[str, Any]) -> dict[str, str]:
    """The search metrics of a network, formatted for hover text."""
    shown: dict[str, str] = {}
    formats = {
        "layers": lambda v: str(int(v)),
        "width": lambda v: str(int(v)),
        "params": lambda v: f"{int(v):,}",
        "macs": lambda v: si(v, "MAC"),
        "latency_ms": lambda v: f"{v:.2f} ms",
        "fps": lambda v: f"{v:.2f}",
        "miou": lambda v: f"{100 * v:.1f}%",
    }
    for name, form in formats.items():
        value = metrics.get(name)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            shown[name] = form(value)
    return shown


def layout(figure: go.Figure, *, title: str, x_title: str = "", y_title: str = "", height: int = 520) -> go.Figure:
    """Title, axis titles and the house style."""
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=height,
        hoverlabel={"align": "left", "font": {"size": 13}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        margin={"l": 70, "r": 30, "t": 90, "b": 60},
    )
    if x_title:
        figure.update_xaxes(title_text=x_title)
    if y_title:
        figure.update_yaxes(title_text=y_title)
    return figure


def empty_note(figure: go.Figure, text: str) -> go.Figure:
    """A centred note on a figure that has no data to show."""
    figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 16})
    return figure


#: op classes in ``OpClass`` order: each keeps its colour in every figure
OP_CLASSES = tuple(str(c) for c in OpClass if c is not OpClass.INPUT)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def group_colour(name: str, index: int) -> str:
    """An op class's own colour; other groups (blocks) by their position."""
    return colour(OP_CLASSES.index(name) if name in OP_CLASSES else index)


def legend_below(figure: go.Figure) -> go.Figure:
    """The legend under the plot (figures whose subplot titles sit where it would)."""
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0.0},
                         margin={"b": 110})
    return figure


def as_floats(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values]
