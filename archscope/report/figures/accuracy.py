"""Accuracy against speed of a cohort: each trained network's mIoU against the fps the
latency model predicts for it on the run's device, the search's chosen networks joined
in order of fps, the baselines (the paper's networks) as stars."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import plotly.graph_objects as go

from archscope.report.figures.common import FEASIBLE, REFERENCE, Points, empty_note, hover_text, layout, metric_text

if TYPE_CHECKING:
    from archscope.cohort.folder import CohortFolder


@dataclass(frozen=True)
class AccuracyInfo:
    chosen: Points  # the search's networks (front rows or trials), by fps
    baselines: Points  # labels: preset names
    device: str
    resolution: str
    data: str

    def best(self) -> tuple[str, float] | None:
        """(name, mIoU) of the most accurate network."""
        points = list(zip(self.chosen.labels + self.baselines.labels, self.chosen.y + self.baselines.y))
        return max(points, key=lambda p: p[1]) if points else None


def _hover(row: Mapping[str, Any]) -> str:
    shown: dict[str, Any] = {"configuration": row.get("label"), "mIoU": f"{100 * float(row['miou']):.1f}%"}
    if row.get("pixel_accuracy") == row.get("pixel_accuracy"):
        shown["pixel accuracy"] = f"{100 * float(row['pixel_accuracy']):.1f}%"
    shown.update(metric_text(row))
    return f"<b>{row['name']}</b><br>" + hover_text(shown)


def _points(rows: list[dict[str, Any]]) -> Points:
    rows = sorted(rows, key=lambda r: float(r["fps"]))
    return Points(x=[float(r["fps"]) for r in rows], y=[float(r["miou"]) for r in rows],
                  labels=[str(r["name"]) for r in rows], hover=[_hover(r) for r in rows])


def accuracy_info(cohort: CohortFolder) -> AccuracyInfo:
    """The trained networks: the search's (by fps) and the baselines."""
    rows = cohort.trained.to_dict(orient="records")
    return AccuracyInfo(
        chosen=_points([r for r in rows if r["kind"] != "baseline"]),
        baselines=_points([r for r in rows if r["kind"] == "baseline"]),
        device=str(cohort.cohort.get("device", "")),
        resolution=str(cohort.cohort.get("resolution", "")),
        data=str(cohort.recipe.get("data", "")),
    )


def accuracy_figure(info: AccuracyInfo) -> go.Figure:
    """mIoU (%) against predicted fps: the search's networks joined by fps, baselines as stars."""
    figure = go.Figure()
    chosen = go.Scatter(x=info.chosen.x, y=[100 * v for v in info.chosen.y], mode="lines+markers+text",
                        name=f"the search's networks ({len(info.chosen)})", text=info.chosen.labels,
                        textposition="bottom center", hovertext=info.chosen.hover,
                        hovertemplate="%{hovertext}<extra></extra>",
                        marker={"size": 12, "color": FEASIBLE, "line": {"width": 1.5, "color": "#222"}},
                        line={"color": "#444", "dash": "dot", "width": 1})
    figure.add_trace(chosen)
    if len(info.baselines):
        stars = go.Scatter(x=info.baselines.x, y=[100 * v for v in info.baselines.y], mode="markers+text",
                           name="the paper's networks", text=info.baselines.labels, textposition="top center",
                           hovertext=info.baselines.hover, hovertemplate="%{hovertext}<extra></extra>",
                           textfont={"color": REFERENCE, "size": 13},
                           marker={"symbol": "star", "size": 19, "color": REFERENCE, "line": {"width": 1, "color": "#222"}})
        figure.add_trace(stars)
    where = " at ".join(v for v in (info.device, info.resolution) if v)
    layout(figure, title=f"Accuracy against speed: mIoU on {info.data} against fps predicted on {where}",
           x_title=f"predicted frames per second ({where})", y_title=f"mIoU on {info.data} (%)", height=560)
    if not len(info.chosen) and not len(info.baselines):
        empty_note(figure, "no network has finished training yet")
    return figure
