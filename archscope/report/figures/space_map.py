"""The search space as a width-versus-depth map: the best fps any configuration of each
(width, layers) cell reaches, the fps constraint's boundary, and where the trials went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import pandas as pd
import plotly.graph_objects as go

from archscope.report.figures.common import BOUNDARY, FEASIBLE, FPS_SCALE, INFEASIBLE, REFERENCE, Points, layout
from archscope.report.figures.pareto import frame_points, reference_points

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.report.candidates import Reference
    from archscope.search.folder import SearchRun

#: the largest space enumerated for the map (block-linear model, about 1 s per 200K)
MAX_MAP_CONFIGS = 1_000_000


@dataclass(frozen=True)
class SpaceMapInfo:
    widths: list[int]  # x: the width metric (first entry of the channel combination)
    layers: list[int]  # y
    best_fps: list[list[float | None]]  # [layers][widths]; None where no configuration lands
    boundary: Points  # per width, the most layers that still reach min_fps
    min_fps: float | None
    min_layers: int | None
    source: str  # what the map was computed from
    feasible: Points
    infeasible: Points
    references: Points


def space_table(run: SearchRun, profile: DeviceProfile) -> tuple[pd.DataFrame, str]:
    """Every configuration of the space when the block-linear model enumerates it
    quickly, else the run's finished trials; and a phrase saying which."""
    from archscope.search.exhaustive import enumerate_space
    from archscope.search.vectorized import GridEvaluator

    space = run.space
    if space.size() <= MAX_MAP_CONFIGS and GridEvaluator(space, profile).block_linear:
        table = enumerate_space(space, profile, max_configs=MAX_MAP_CONFIGS).table
        return table, f"all {len(table):,} configurations of the space (enumerated)"
    return run.finished, f"the run's {len(run.finished):,} finished trials (the space is too large to enumerate here)"


def space_map_info(
    run: SearchRun, table: pd.DataFrame, source: str, references: Sequence[Reference] = ()
) -> SpaceMapInfo:
    """The map of ``table`` (columns ``width``, ``layers``, ``fps``); raises ``ValueError``
    for a space without a width metric (a family without a ``widths`` tuple)."""
    if "width" not in table or table["width"].isna().all():
        raise ValueError(f"space {run.space.name!r} has no width metric (its family has no widths tuple)")
    best = table.groupby(["layers", "width"])["fps"].max().unstack("width").sort_index()
    grid = [[None if pd.isna(v) else float(v) for v in row] for row in best.to_numpy()]
    constraints = run.space.constraints
    finished = run.finished
    return SpaceMapInfo(
        widths=[int(w) for w in best.columns],
        layers=[int(n) for n in best.index],
        best_fps=grid,
        boundary=_boundary(table, constraints.limit("min_fps")),
        min_fps=constraints.limit("min_fps"),
        min_layers=constraints.limit("min_layers"),
        source=source,
        feasible=frame_points(finished[finished["feasible"]], run.space, "width", "layers"),
        infeasible=frame_points(finished[~finished["feasible"]], run.space, "width", "layers"),
        references=reference_points(references, "width", "layers"),
    )


def _boundary(table: pd.DataFrame, min_fps: float | None) -> Points:
    if min_fps is None:
        return Points()
    deepest = table[table["fps"] >= min_fps].groupby("width")["layers"].max().sort_index()
    hover = [f"width {int(w)}: the deepest configuration reaching {min_fps:g} fps has <b>{int(n)}</b> layers"
             for w, n in deepest.items()]
    return Points(x=[float(w) for w in deepest.index], y=[float(n) for n in deepest], hover=hover)


def _marks(points: Points, name: str, **marker: object) -> go.Scatter:
    return go.Scatter(x=points.x, y=points.y, mode="markers", name=name, hovertext=points.hover,
                      hovertemplate="%{hovertext}<extra></extra>", marker=marker)


def space_map_figure(info: SpaceMapInfo) -> go.Figure:
    """Heat map of the best fps per cell, the boundary line, the min-layers line, trials
    and reference networks on top."""
    figure = go.Figure(go.Heatmap(
        x=info.widths, y=info.layers, z=info.best_fps, colorscale=FPS_SCALE, name="best fps",
        colorbar={"title": {"text": "best fps"}, "len": 0.8},
        hovertemplate="width %{x}, %{y} layers<br>best fps <b>%{z:.1f}</b><extra></extra>",
    ))
    figure.add_trace(_marks(info.infeasible, f"infeasible trials ({len(info.infeasible)})", color=INFEASIBLE,
                            symbol="x-thin", size=6, line={"width": 1, "color": "#eeeeee"}))
    figure.add_trace(_marks(info.feasible, f"feasible trials ({len(info.feasible)})", color=FEASIBLE, size=6,
                            line={"width": 1, "color": "white"}))
    if len(info.boundary):
        figure.add_trace(go.Scatter(
            x=info.boundary.x, y=info.boundary.y, mode="lines+markers", name=f"fps ≥ {info.min_fps:g} boundary",
            line={"color": BOUNDARY, "width": 3, "shape": "linear"}, marker={"size": 6, "color": BOUNDARY},
            hovertext=info.boundary.hover, hovertemplate="%{hovertext}<extra></extra>",
        ))
    if len(info.references):
        stars = _marks(info.references, "the paper's networks", color=REFERENCE, symbol="star", size=16,
                       line={"width": 1, "color": "white"})
        stars.update(mode="markers+text", text=info.references.labels, textposition="top center",
                     textfont={"color": REFERENCE, "size": 13})
        figure.add_trace(stars)
    if info.min_layers is not None:
        figure.add_hline(y=info.min_layers, line={"color": BOUNDARY, "dash": "dash", "width": 2},
                         annotation_text=f"min {info.min_layers} layers", annotation_position="bottom right")
    title = f"The space: width against depth, best fps of each cell ({info.source})"
    return layout(figure, title=title, x_title="width n1 (channels)", y_title="depth (layers)", height=620)
