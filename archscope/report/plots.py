"""The report's figures as one call each, from what a user has at hand (a run folder, a
cost report and a device name, a validation); ``archscope.api`` re-exports them. Each
is ``*_figure(*_info(...))`` of ``archscope.report.figures``, whose ``*_info``
functions give the plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from archscope.costs import CostReport
from archscope.latency.model import predict
from archscope.latency.profile import DeviceProfile, load_profile
from archscope.search.folder import SearchRun, load_run

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from archscope.latency.validate import ValidationResult

__all__ = ["plot_accuracy", "plot_breakdown", "plot_learning_curves", "plot_pareto_front", "plot_roofline",
           "plot_space_map", "plot_trials", "plot_validation"]


def _profile(device: str | DeviceProfile) -> DeviceProfile:
    return device if isinstance(device, DeviceProfile) else load_profile(device)


def _run(run: str | Path | SearchRun) -> SearchRun:
    return run if isinstance(run, SearchRun) else load_run(run)


def plot_pareto_front(run: str | Path | SearchRun, *, x: str = "layers", y: str = "params") -> go.Figure:
    """A search run's Pareto front among its trials, the family's reference networks marked."""
    from archscope.report.candidates import references
    from archscope.report.figures import pareto_front_figure, pareto_front_info

    loaded = _run(run)
    profile = load_profile(loaded.space.constraints.device)
    return pareto_front_figure(pareto_front_info(loaded, references(loaded.space, profile), x=x, y=y))


def plot_trials(run: str | Path | SearchRun) -> go.Figure:
    """Every finished trial of a search run as parallel coordinates, feasible ones in blue."""
    from archscope.report.figures import trials_figure, trials_info

    return trials_figure(trials_info(_run(run)))


def plot_space_map(run: str | Path | SearchRun) -> go.Figure:
    """The run's space as width against depth: best fps per cell and the fps boundary."""
    from archscope.report.candidates import references
    from archscope.report.figures import space_map_figure, space_map_info, space_table

    loaded = _run(run)
    profile = load_profile(loaded.space.constraints.device)
    table, source = space_table(loaded, profile)
    return space_map_figure(space_map_info(loaded, table, source, references(loaded.space, profile)))


def plot_breakdown(
    reports: CostReport | Sequence[CostReport], device: str | DeviceProfile, *, by: str = "block",
    labels: Sequence[str] | None = None,
) -> go.Figure:
    """Params, MACs, traffic and predicted time of networks per ``block`` or ``op class``."""
    from archscope.report.candidates import Costed
    from archscope.report.figures import GroupBy, breakdown_figure, breakdown_info

    profile = _profile(device)
    many = [reports] if isinstance(reports, CostReport) else list(reports)
    names = list(labels) if labels is not None else [f"network {i + 1}" for i in range(len(many))]
    costed = [Costed(name, r, predict(r, profile)) for name, r in zip(names, many)]
    return breakdown_figure(breakdown_info(costed, by=GroupBy(by)))


def plot_roofline(report: CostReport, device: str | DeviceProfile) -> go.Figure:
    """Each kernel of a network at its arithmetic intensity and predicted throughput,
    under the device's roofs."""
    from archscope.report.figures import roofline_figure, roofline_info

    return roofline_figure(roofline_info(report, _profile(device)))


def plot_validation(result: ValidationResult | str | Path) -> go.Figure:
    """Predicted against measured latency of a validation (a result, or the .json that
    ``archscope validate latency --out`` wrote) for the model and the MACs baseline."""
    from archscope.report.figures import validation_figure, validation_info
    from archscope.report.validation_page import load_validation

    if not isinstance(result, (str, Path)):
        return validation_figure(validation_info(result.candidates, device=result.device))
    summary, rows = load_validation(result)
    return validation_figure(validation_info(rows, device=str(summary["device"])))


def plot_accuracy(folder: str | Path) -> go.Figure:
    """Trained networks (``archscope train --rows ... --out DIR``): mIoU against predicted fps."""
    from archscope.cohort.folder import load_cohort
    from archscope.report.figures import accuracy_figure, accuracy_info

    return accuracy_figure(accuracy_info(load_cohort(folder)))


def plot_learning_curves(folder: str | Path) -> go.Figure:
    """Trained networks: mIoU and training loss against the step, one line per network."""
    from archscope.cohort.folder import load_cohort
    from archscope.report.figures import learning_curves_figure, learning_curves_info

    return learning_curves_figure(learning_curves_info(load_cohort(folder)))
