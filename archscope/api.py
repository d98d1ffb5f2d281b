"""The Python API: build a family's network, cost it, derive its formulas, check it.

>>> import archscope
>>> report = archscope.cost("ndnet", widths=(16, 32, 64), depths=(4, 12, 6), head="none")
>>> report.total.cost.params, report.total.layers
(387328, 45)
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Sequence

import sympy

from archscope.costs import CostReport, analyze
from archscope.families import get_family
from archscope.graph import Network
from archscope.symbolic import all_formulas

if TYPE_CHECKING:
    from pathlib import Path

    import plotly.graph_objects as go
    import torch

    from archscope.check import ToolCheck
    from archscope.latency.model import LatencyPrediction
    from archscope.latency.profile import DeviceProfile
    from archscope.latency.validate import ValidationResult
    from archscope.report.run import SearchRun


def resolve_config(family: str, **hyper: Any) -> dict[str, Any]:
    """The family's full configuration: ``hyper`` over the build function's defaults."""
    build = get_family(family).build
    parameters = inspect.signature(build).parameters
    unknown = sorted(set(hyper) - set(parameters))
    if unknown:
        raise TypeError(f"{family} has no hyper-parameter(s) {', '.join(unknown)}; it takes {', '.join(parameters)}")
    return {name: hyper.get(name, p.default) for name, p in parameters.items()}


def build(family: str, **hyper: Any) -> Network:
    """The network of ``family`` with the given hyper-parameters (others at defaults)."""
    return get_family(family).build(**hyper)


def cost(family: str | Network, *, elem_bytes: int = 4, **hyper: Any) -> CostReport:
    """Cost report of a family configuration or of a built network."""
    network = family if isinstance(family, Network) else build(family, **hyper)
    return analyze(network, elem_bytes=elem_bytes)


def formulas(family: str, *, elem_bytes: int = 4, **hyper: Any) -> dict[str, sympy.Expr]:
    """Closed forms of the family (its own, e.g. per block, and the whole network's)."""
    return all_formulas(get_family(family), resolve_config(family, **hyper), elem_bytes=elem_bytes)


def check(report: CostReport, *, model: "torch.nn.Module | None" = None) -> dict[str, "ToolCheck"]:
    """Cross-check a report's counts against fvcore, ptflops and torch (running ``model``,
    the module an imported network came from, if given)."""
    from archscope.check import cross_check  # imports torch, fvcore and ptflops

    return cross_check(report, model=model)


def from_module(module: "torch.nn.Module", input_shape: Sequence[int]) -> Network:
    """The network of any ``nn.Module`` on an input of ``input_shape`` (N, C, H, W),
    traced with torch.fx; ``cost(network)`` then gives its report, whose
    ``unknown_ops`` lists the calls archscope has no formula for."""
    from archscope.fx_import import from_module as trace_module  # imports torch

    return trace_module(module, input_shape)


def latency(report: CostReport, device: "str | DeviceProfile") -> "LatencyPrediction":
    """Predicted latency of a costed network on a device profile (name, path or profile)."""
    from archscope.latency.model import predict
    from archscope.latency.profile import DeviceProfile, load_profile

    profile = device if isinstance(device, DeviceProfile) else load_profile(device)
    return predict(report, profile)


# Figures (plotly), as the HTML reports show them; each is ``*_figure(*_info(...))`` of
# ``archscope.report.figures``, whose ``*_info`` functions give the plain data.


def load_run(run_dir: "str | Path") -> "SearchRun":
    """A search run folder (``archscope search --out DIR``) read back."""
    from archscope.report.run import load_run as read

    return read(run_dir)


def _run_and_profile(run: "str | Path | SearchRun") -> tuple["SearchRun", "DeviceProfile"]:
    from archscope.latency.profile import load_profile
    from archscope.report.run import SearchRun

    loaded = run if isinstance(run, SearchRun) else load_run(run)
    return loaded, load_profile(loaded.space.constraints.device)


def plot_pareto_front(run: "str | Path | SearchRun", *, x: str = "layers", y: str = "params") -> "go.Figure":
    """A search run's Pareto front among its trials, the family's reference networks marked."""
    from archscope.report.candidates import references
    from archscope.report.figures import pareto_front_figure, pareto_front_info

    loaded, profile = _run_and_profile(run)
    return pareto_front_figure(pareto_front_info(loaded, references(loaded.space, profile), x=x, y=y))


def plot_trials(run: "str | Path | SearchRun") -> "go.Figure":
    """Every finished trial of a search run as parallel coordinates, feasible ones in blue."""
    from archscope.report.figures import trials_figure, trials_info
    from archscope.report.run import SearchRun

    return trials_figure(trials_info(run if isinstance(run, SearchRun) else load_run(run)))


def plot_space_map(run: "str | Path | SearchRun") -> "go.Figure":
    """The run's space as width against depth: best fps per cell and the fps boundary."""
    from archscope.report.candidates import references
    from archscope.report.figures import space_map_figure, space_map_info, space_table

    loaded, profile = _run_and_profile(run)
    table, source = space_table(loaded, profile)
    return space_map_figure(space_map_info(loaded, table, source, references(loaded.space, profile)))


def plot_breakdown(
    reports: "CostReport | Sequence[CostReport]", device: "str | DeviceProfile", *, by: str = "block",
    labels: Sequence[str] | None = None,
) -> "go.Figure":
    """Params, MACs, traffic and predicted time of networks per ``block`` or ``op class``."""
    from archscope.report.candidates import Costed
    from archscope.report.figures import GroupBy, breakdown_figure, breakdown_info

    many = [reports] if isinstance(reports, CostReport) else list(reports)
    names = list(labels) if labels is not None else [f"network {i + 1}" for i in range(len(many))]
    costed = [Costed(name, r, latency(r, device)) for name, r in zip(names, many)]
    return breakdown_figure(breakdown_info(costed, by=GroupBy(by)))


def plot_roofline(report: CostReport, device: "str | DeviceProfile") -> "go.Figure":
    """Each kernel of a network at its arithmetic intensity and predicted throughput,
    under the device's roofs."""
    from archscope.latency.profile import DeviceProfile, load_profile
    from archscope.report.figures import roofline_figure, roofline_info

    profile = device if isinstance(device, DeviceProfile) else load_profile(device)
    return roofline_figure(roofline_info(report, profile))


def plot_validation(result: "ValidationResult | str | Path") -> "go.Figure":
    """Predicted against measured latency of a validation (a result, or the .json that
    ``archscope validate latency --out`` wrote) for the model and the MACs baseline."""
    from archscope.latency.validate import ValidationResult
    from archscope.report.figures import validation_figure, validation_info
    from archscope.report.validation_page import load_validation

    if isinstance(result, ValidationResult):
        return validation_figure(validation_info(result.candidates, device=result.device))
    summary, rows = load_validation(result)
    return validation_figure(validation_info(rows, device=str(summary["device"])))
