"""Predicted against measured latency of the validation networks, for the latency model
and for the MACs baseline, with the ±10% band."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from archscope.report.figures.common import FEASIBLE, REFERENCE, empty_note, layout, legend_below

BAND = 0.10
#: prediction column of the validation rows -> series name
SERIES = {"predicted_ms": "archscope model", "baseline_ms": "MACs baseline"}


@dataclass(frozen=True)
class Series:
    name: str
    measured_ms: list[float]
    predicted_ms: list[float]
    labels: list[str]

    @property
    def errors(self) -> list[float]:
        """Relative errors, predicted / measured - 1."""
        return [p / m - 1 for p, m in zip(self.predicted_ms, self.measured_ms)]

    @property
    def within(self) -> float:
        """Share of the networks predicted within the band."""
        errors = self.errors
        return sum(abs(e) <= BAND + 1e-12 for e in errors) / len(errors) if errors else 0.0


@dataclass(frozen=True)
class ValidationInfo:
    device: str
    series: list[Series]
    band: float = BAND


def validation_info(rows: Sequence[Mapping[str, Any]], *, device: str) -> ValidationInfo:
    """``rows``: the validation networks (``network``, ``measured_ms``, ``predicted_ms``,
    ``baseline_ms``), as ``ValidationResult.candidates`` or the CSV's validation rows."""
    measured = [float(r["measured_ms"]) for r in rows]
    labels = [str(r["network"]) for r in rows]
    series = [Series(name, measured, [float(r[column]) for r in rows], labels) for column, name in SERIES.items()]
    return ValidationInfo(device=device, series=series)


def _band(lo: float, hi: float, band: float, *, legend: bool) -> list[go.Scatter]:
    """The band's lower edge, its upper edge filled down to the lower one, the diagonal."""
    x = np.geomspace(lo, hi, 2)
    edge = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    return [
        go.Scatter(x=x, y=x * (1 - band), showlegend=False, **edge),
        go.Scatter(x=x, y=x * (1 + band), fill="tonexty", fillcolor="rgba(44,160,44,0.18)",
                   name=f"±{band:.0%} band", showlegend=legend, **edge),
        go.Scatter(x=x, y=x, mode="lines", line={"color": "#2ca02c", "width": 1.5}, name="predicted = measured",
                   hoverinfo="skip", showlegend=legend),
    ]


def validation_figure(info: ValidationInfo) -> go.Figure:
    """One panel per series, log-log, the band around the diagonal."""
    titles = [f"{s.name}: {s.within:.0%} within ±{info.band:.0%}" for s in info.series]
    figure = make_subplots(rows=1, cols=len(info.series), subplot_titles=titles, shared_yaxes=True,
                           horizontal_spacing=0.06)
    values = [v for s in info.series for v in (*s.measured_ms, *s.predicted_ms)] or [1.0]
    lo, hi = min(values) / 1.3, max(values) * 1.3
    for col, series in enumerate(info.series, start=1):
        for trace in _band(lo, hi, info.band, legend=col == 1):
            figure.add_trace(trace, row=1, col=col)
        hover = [f"{n}<br>measured <b>{m:.2f} ms</b>, predicted <b>{p:.2f} ms</b> ({100 * e:+.1f}%)"
                 for n, m, p, e in zip(series.labels, series.measured_ms, series.predicted_ms, series.errors)]
        figure.add_trace(go.Scatter(
            x=series.measured_ms, y=series.predicted_ms, mode="markers", name=series.name, hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            marker={"size": 9, "color": FEASIBLE if col == 1 else REFERENCE, "line": {"width": 1, "color": "white"}},
        ), row=1, col=col)
    figure.update_xaxes(type="log", title_text="measured latency (ms)")
    figure.update_yaxes(type="log")
    figure.update_yaxes(title_text="predicted latency (ms)", row=1, col=1)
    count = len(info.series[0].labels) if info.series else 0
    title = f"Predicted against measured latency on {info.device}: {count} validation networks"
    layout(figure, title=title, height=600)
    legend_below(figure)
    if not count:
        empty_note(figure, "no validation networks")
    return figure
