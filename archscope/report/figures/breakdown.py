"""Where the cost goes: params, MACs, memory traffic and predicted time of one or more
networks, per block or per op class."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from archscope.report.figures.common import empty_note, group_colour, layout

if TYPE_CHECKING:
    from archscope.report.candidates import Costed


class GroupBy(StrEnum):
    BLOCK = "block"
    OP_CLASS = "op class"


@dataclass(frozen=True)
class Quantity:
    name: str
    title: str  # with its unit
    hover_format: str  # d3 format of the hover value
    tick_format: str  # d3 format of the axis ticks


QUANTITIES = (
    Quantity("params", "parameters", ",.0f", ".3s"),
    Quantity("macs", "MACs", ".3s", ".3s"),
    Quantity("traffic_bytes", "memory traffic (bytes)", ".3s", ".3s"),
    Quantity("time_ms", "predicted time (ms)", ".3f", ""),
)


@dataclass(frozen=True)
class BreakdownInfo:
    by: GroupBy
    device: str
    candidates: list[str]
    groups: list[str]  # blocks or op classes, in network order
    values: dict[str, dict[str, list[float]]]  # quantity -> group -> one value per candidate


def _parts(candidate: Costed, by: GroupBy) -> dict[str, dict[str, float]]:
    """group -> quantity -> value for one network."""
    report, prediction = candidate.report, candidate.prediction
    totals = report.blocks if by is GroupBy.BLOCK else report.op_classes
    times = prediction.by_block_ms if by is GroupBy.BLOCK else prediction.by_class_ms
    return {
        t.name: {
            "params": float(t.cost.params),
            "macs": float(t.cost.macs),
            "traffic_bytes": float(t.traffic_bytes),
            "time_ms": float(times.get(t.name, 0.0)),
        }
        for t in totals
    }


def breakdown_info(candidates: Sequence[Costed], *, by: GroupBy = GroupBy.BLOCK) -> BreakdownInfo:
    """Each quantity of each candidate split by block or by op class (a group a network
    lacks counts zero)."""
    parts = [_parts(c, by) for c in candidates]
    groups = list(dict.fromkeys(g for p in parts for g in p))
    values = {q.name: {g: [p.get(g, {}).get(q.name, 0.0) for p in parts] for g in groups} for q in QUANTITIES}
    device = candidates[0].prediction.device if candidates else ""
    return BreakdownInfo(by=by, device=device, candidates=[c.label for c in candidates], groups=groups, values=values)


def _value(quantity: Quantity) -> str:
    """The hover line of a bar's value."""
    return f"{quantity.title}: <b>%{{y:{quantity.hover_format}}}</b>"


def _stacked(figure: go.Figure, info: BreakdownInfo) -> None:
    """One bar per candidate, stacked by group."""
    for index, quantity in enumerate(QUANTITIES):
        row, col = divmod(index, 2)
        for g, group in enumerate(info.groups):
            figure.add_trace(go.Bar(
                x=info.candidates, y=info.values[quantity.name][group], name=group, legendgroup=group,
                showlegend=index == 0, marker_color=group_colour(group, g),
                hovertemplate=f"{group}<br>%{{x}}<br>{_value(quantity)}<extra></extra>",
            ), row=row + 1, col=col + 1)
    figure.update_layout(barmode="stack")


def _single(figure: go.Figure, info: BreakdownInfo) -> None:
    """One network: one bar per group."""
    colours = [group_colour(group, g) for g, group in enumerate(info.groups)]
    for index, quantity in enumerate(QUANTITIES):
        row, col = divmod(index, 2)
        values = [info.values[quantity.name][group][0] for group in info.groups]
        figure.add_trace(go.Bar(
            x=info.groups, y=values, marker_color=colours, showlegend=False, name=quantity.title,
            hovertemplate=f"%{{x}}<br>{_value(quantity)}<extra></extra>",
        ), row=row + 1, col=col + 1)


def breakdown_figure(info: BreakdownInfo) -> go.Figure:
    """Four panels (params, MACs, traffic, predicted time)."""
    figure = make_subplots(rows=2, cols=2, subplot_titles=[q.title for q in QUANTITIES],
                           vertical_spacing=0.2, horizontal_spacing=0.09)
    if len(info.candidates) == 1:
        _single(figure, info)
    elif info.candidates:
        _stacked(figure, info)
    for index, quantity in enumerate(QUANTITIES):
        figure.update_yaxes(tickformat=quantity.tick_format, row=index // 2 + 1, col=index % 2 + 1)
    figure.update_xaxes(tickangle=-30 if len(info.candidates) > 4 else 0)
    on = f" on {info.device}" if info.device else ""
    what = f" of {len(info.candidates)} networks" if len(info.candidates) > 1 else ""
    layout(figure, title=f"Cost by {info.by}{what} (time predicted{on})", height=760)
    figure.update_layout(legend={"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.01},
                         margin={"r": 130})
    if not info.candidates:
        empty_note(figure, "no network to break down")
    return figure
