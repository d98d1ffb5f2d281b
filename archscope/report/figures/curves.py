"""The learning curves of a cohort: each network's mIoU at every evaluation and its
training loss, against the training step (from its ``metrics.csv``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from archscope.report.figures.common import REFERENCE, colour, empty_note, layout, legend_below

if TYPE_CHECKING:
    from archscope.cohort.folder import CohortFolder


@dataclass(frozen=True)
class Curve:
    name: str
    baseline: bool
    eval_steps: list[int] = field(default_factory=list)
    miou: list[float] = field(default_factory=list)
    train_steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class CurvesInfo:
    curves: list[Curve]
    missing: list[str]  # networks without a metrics.csv here (trained on another machine, not started)


#: the loss of every step is drawn as a running mean over this many steps
SMOOTHING_STEPS = 10


def learning_curves_info(cohort: CohortFolder) -> CurvesInfo:
    curves, missing = [], []
    for row in cohort.summary.to_dict(orient="records"):
        metrics = cohort.metrics(str(row["name"]))
        if metrics.empty:
            missing.append(str(row["name"]))
            continue
        evals = metrics[metrics["phase"] == "eval"].dropna(subset=["miou"])
        train = metrics[metrics["phase"] == "train"].dropna(subset=["loss"])
        loss = train["loss"].rolling(SMOOTHING_STEPS, min_periods=1).mean()
        curves.append(Curve(
            name=str(row["name"]), baseline=row["kind"] == "baseline",
            eval_steps=[int(s) for s in evals["step"]], miou=[float(v) for v in evals["miou"]],
            train_steps=[int(s) for s in train["step"]], loss=[float(v) for v in loss],
        ))
    return CurvesInfo(curves=curves, missing=missing)


def learning_curves_figure(info: CurvesInfo) -> go.Figure:
    """mIoU against step (left) and the smoothed training loss (right), one colour per
    network, baselines dashed."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("mIoU at each evaluation (%)",
                                                           f"training loss (mean of {SMOOTHING_STEPS} steps)"))
    for index, curve in enumerate(info.curves):
        style = {"color": REFERENCE if curve.baseline and len(info.curves) == 1 else colour(index),
                 "dash": "dash" if curve.baseline else "solid"}
        figure.add_trace(go.Scatter(x=curve.eval_steps, y=[100 * v for v in curve.miou], mode="lines+markers",
                                    name=curve.name, legendgroup=curve.name, line=style), row=1, col=1)
        figure.add_trace(go.Scatter(x=curve.train_steps, y=curve.loss, mode="lines", name=curve.name,
                                    legendgroup=curve.name, showlegend=False, line=style), row=1, col=2)
    figure.update_xaxes(title_text="training step")
    layout(figure, title="Learning curves", height=520)
    legend_below(figure)
    if not info.curves:
        empty_note(figure, "no metrics.csv in this folder yet")
    return figure
