"""The Python API: build a family's network, cost it, derive its formulas, check it,
predict its latency, and draw the reports' figures.

>>> import archscope
>>> report = archscope.cost("ndnet", widths=(16, 32, 64), depths=(4, 12, 6), head="none")
>>> report.total.cost.params, report.total.layers
(387328, 45)

The public facade: no module of the package imports it. The figures (``plot_*``) are
``archscope.report.plots``'s, loaded on first use (plotly is not imported before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from archscope.costs import CostReport, analyze
from archscope.families import get_family
from archscope.graph import Network

if TYPE_CHECKING:
    import sympy
    import torch

    from archscope.check import ToolCheck
    from archscope.latency.model import LatencyPrediction
    from archscope.latency.profile import DeviceProfile
    from archscope.report.plots import (  # noqa: F401  (re-exported below)
        plot_accuracy,
        plot_breakdown,
        plot_learning_curves,
        plot_pareto_front,
        plot_roofline,
        plot_space_map,
        plot_trials,
        plot_validation,
    )
    from archscope.search.folder import SearchRun

#: the figures of ``archscope.report.plots`` this module re-exports
PLOTS = ("plot_pareto_front", "plot_trials", "plot_space_map", "plot_breakdown", "plot_roofline", "plot_validation",
         "plot_accuracy", "plot_learning_curves")


def resolve_config(family: str, **hyper: Any) -> dict[str, Any]:
    """The family's full configuration: ``hyper`` over the build function's defaults."""
    return get_family(family).resolve(**hyper)


def build(family: str, **hyper: Any) -> Network:
    """The network of ``family`` with the given hyper-parameters (others at defaults)."""
    return get_family(family).network(**hyper)


def cost(family: str | Network, *, elem_bytes: int = 4, **hyper: Any) -> CostReport:
    """Cost report of a family configuration or of a built network."""
    network = family if isinstance(family, Network) else build(family, **hyper)
    return analyze(network, elem_bytes=elem_bytes)


def formulas(family: str, *, elem_bytes: int = 4, **hyper: Any) -> dict[str, "sympy.Expr"]:
    """Closed forms of the family (its own, e.g. per block, and the whole network's)."""
    from archscope.symbolic import all_formulas  # imports sympy

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
    from archscope.imports import from_module as trace_module  # imports torch

    return trace_module(module, input_shape)


def latency(report: CostReport, device: "str | DeviceProfile") -> "LatencyPrediction":
    """Predicted latency of a costed network on a device profile (name, path or profile)."""
    from archscope.latency.model import predict
    from archscope.latency.profile import DeviceProfile, load_profile

    profile = device if isinstance(device, DeviceProfile) else load_profile(device)
    return predict(report, profile)


def load_run(run_dir: Any) -> "SearchRun":
    """A search run folder (``archscope search --out DIR``) read back."""
    from archscope.search.folder import load_run as read

    return read(run_dir)


def __getattr__(name: str) -> Any:
    if name in PLOTS:
        from archscope.report import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'archscope.api' has no attribute {name!r}")
