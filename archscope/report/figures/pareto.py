"""The Pareto front of a search run among its trials, with the family's reference
networks (the paper's configurations) marked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from archscope.families.hyper import text
from archscope.report.figures.common import (
    FEASIBLE,
    FPS_SCALE,
    INFEASIBLE,
    REFERENCE,
    Points,
    empty_note,
    hover_text,
    layout,
    metric_text,
)

if TYPE_CHECKING:
    from archscope.report.candidates import Reference
    from archscope.search.folder import SearchRun
    from archscope.search.space import SearchSpace

#: axis titles of the search metrics, with units
METRIC_TITLES = {
    "layers": "depth (layers)",
    "width": "width n1 (channels)",
    "max_width": "max width (channels)",
    "params": "parameters",
    "macs": "MACs per image",
    "latency_ms": "predicted latency (ms)",
    "fps": "predicted frames per second",
    "miou": "mIoU on the proxy task",
}

VERBS = {"maximize": "maximise", "minimize": "minimise"}


@dataclass(frozen=True)
class ParetoFrontInfo:
    x_metric: str
    y_metric: str
    front: Points  # colour: fps
    feasible: Points  # feasible trials off the front
    infeasible: Points
    references: Points  # labels: preset names; colour: fps
    objectives: str


def front_axes(space: SearchSpace) -> tuple[str, str]:
    """The front's axes: the objectives' metrics, a width shown as the params it costs
    (NDNet's maximise layers and width: layers against params); one objective against fps."""
    metrics = ["params" if m in ("width", "max_width") else m for m in (o.metric for o in space.objectives)]
    x = metrics[0]
    y = next((m for m in metrics[1:] if m != x), "fps" if x != "fps" else "params")
    return x, y


def trial_hover(space: SearchSpace, row: Mapping[str, Any]) -> str:
    """A trial's configuration and metrics for the hover box."""
    values: dict[str, Any] = {p.hyper: row.get(p.hyper) for p in space.parameters}
    values.update(metric_text(row))
    trial = row.get("trial")
    if trial is not None and trial != "" and pd.notna(trial):
        values["trial"] = int(trial)
    return hover_text(values)


def frame_points(frame: pd.DataFrame, space: SearchSpace, x: str, y: str, *, color: str | None = None) -> Points:
    rows = frame.to_dict(orient="records")
    return Points(
        x=[float(r[x]) for r in rows],
        y=[float(r[y]) for r in rows],
        labels=[" | ".join(str(r[p.hyper]) for p in space.parameters) for r in rows],
        hover=[trial_hover(space, r) for r in rows],
        color=[float(r[color]) for r in rows] if color else [],
    )


def reference_points(references: Sequence[Reference], x: str, y: str) -> Points:
    """The references at (x, y); none when an axis is a metric they do not have (mIoU:
    the search did not train them)."""
    references = [r for r in references if x in r.metrics and y in r.metrics]
    metrics = [r.metrics for r in references]
    hover = []
    for reference, values in zip(references, metrics):
        shown = {k: text(v) for k, v in reference.hyper.items() if k in ("widths", "depths", "expansion")}
        shown.update(metric_text(values))
        shown.update({f"paper's {k}": f"{v:,}" for k, v in reference.paper.items()})
        hover.append(f"<b>{reference.name}</b> (the paper's network)<br>" + hover_text(shown))
    return Points(
        x=[float(m[x]) for m in metrics],
        y=[float(m[y]) for m in metrics],
        labels=[r.name for r in references],
        hover=hover,
        color=[float(m["fps"]) for m in metrics],
    )


def _config_keys(frame: pd.DataFrame, space: SearchSpace) -> set[tuple[str, ...]]:
    columns = [p.hyper for p in space.parameters]
    return {tuple(str(v) for v in row) for row in frame[columns].itertuples(index=False)}


def pareto_front_info(
    run: SearchRun, references: Sequence[Reference] = (), *, x: str = "layers", y: str = "params"
) -> ParetoFrontInfo:
    """The front, the other trials (feasible or not) and the references in ``x``, ``y``."""
    space, finished = run.space, run.finished
    on_front = _config_keys(run.pareto, space)
    columns = [p.hyper for p in space.parameters]
    keys = finished[columns].astype(str).apply(tuple, axis=1) if len(finished) else pd.Series(dtype=object)
    off_front = finished[finished["feasible"] & ~keys.isin(on_front)] if len(finished) else finished
    objectives = ", ".join(f"{VERBS[o.direction.value]} {o.metric}" for o in space.objectives)
    return ParetoFrontInfo(
        x_metric=x,
        y_metric=y,
        front=frame_points(run.pareto, space, x, y, color="fps"),
        feasible=frame_points(off_front, space, x, y),
        infeasible=frame_points(finished[~finished["feasible"]], space, x, y),
        references=reference_points(references, x, y),
        objectives=objectives,
    )


def _scatter(points: Points, name: str, **marker: Any) -> go.Scatter:
    return go.Scatter(x=points.x, y=points.y, mode="markers", name=name, hovertext=points.hover,
                      hovertemplate="%{hovertext}<extra></extra>", marker=marker)


def pareto_front_figure(info: ParetoFrontInfo) -> go.Figure:
    """Infeasible trials (grey crosses), feasible ones (small dots), the front (large,
    coloured by fps, joined in front order) and the reference networks (stars)."""
    figure = go.Figure()
    figure.add_trace(_scatter(info.infeasible, f"infeasible trials ({len(info.infeasible)})",
                              color=INFEASIBLE, symbol="x-thin", size=7, line={"width": 1, "color": INFEASIBLE}))
    figure.add_trace(_scatter(info.feasible, f"feasible trials off the front ({len(info.feasible)})",
                              color=FEASIBLE, size=7, opacity=0.45))
    front = _scatter(info.front, f"Pareto front ({len(info.front)} points)", color=info.front.color,
                     coloraxis="coloraxis", size=14, line={"width": 1.5, "color": "#222"})
    front.update(mode="lines+markers", line={"color": "#444", "dash": "dot", "width": 1})
    figure.add_trace(front)
    if len(info.references):
        stars = _scatter(info.references, "the paper's networks", color=info.references.color, coloraxis="coloraxis",
                         symbol="star", size=19, line={"width": 1.5, "color": REFERENCE})
        stars.update(mode="markers+text", text=info.references.labels, textposition="top center",
                     textfont={"color": REFERENCE, "size": 13})
        figure.add_trace(stars)
    figure.update_layout(coloraxis={"colorscale": FPS_SCALE, "colorbar": {"title": {"text": "fps"}, "len": 0.8}})
    y_title = METRIC_TITLES.get(info.y_metric, info.y_metric)
    title = f"Pareto front ({info.objectives}): {y_title} against {info.x_metric}"
    layout(figure, title=title, x_title=METRIC_TITLES.get(info.x_metric, info.x_metric),
           y_title=y_title, height=600)
    if not len(info.front):
        empty_note(figure, "no feasible trial: the front is empty")
    return figure
