"""Metrics of a candidate network, objectives and constraints over them.

A candidate is costed with the full analytic model (``archscope.cost`` + the device's
latency prediction); its metrics are what objectives and constraints
(``archscope.search.constraints``) refer to. Any registered family can be evaluated; the
``width`` metrics exist only for configurations with a ``widths`` tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Mapping

from archscope.costs import CostReport, analyze
from archscope.families import get_family
from archscope.latency.model import LatencyPrediction, predict

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile

#: metric name -> what it is
METRICS: dict[str, str] = {
    "layers": "depth as the family's paper counts it (NDNet: 1 + 2 per residual layer)",
    "width": "first entry of the channel combination (widths[0]); names the combination when widths are tied",
    "max_width": "widest tensor of a block: expansion x max(widths) (NDNet Table II's 'max width')",
    "params": "weights and biases (the papers' convention; BN's are norm_params, not counted)",
    "macs": "multiply-accumulates of convs and linear layers",
    "latency_ms": "predicted latency on the space's device, ms",
    "fps": "predicted frames per second on the space's device (batch / latency)",
}
INT_METRICS = ("layers", "width", "max_width", "params", "macs")
#: metrics read from a ``widths`` tuple (families without one have none)
WIDTH_METRICS = ("width", "max_width")


class Direction(StrEnum):
    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


@dataclass(frozen=True)
class Objective:
    metric: str
    direction: Direction

    @property
    def sign(self) -> float:
        """Multiplies the metric into a loss (Optuna's hypervolume minimises)."""
        return -1.0 if self.direction is Direction.MAXIMIZE else 1.0


def width_metrics(hyper: Mapping[str, Any]) -> dict[str, int]:
    """``width`` and ``max_width`` of a configuration with a ``widths`` tuple."""
    widths = hyper.get("widths")
    if not widths:
        return {}
    return {"width": int(widths[0]), "max_width": int(hyper.get("expansion", 1)) * int(max(widths))}


def metrics_of(report: CostReport, prediction: LatencyPrediction, hyper: Mapping[str, Any]) -> dict[str, float | int]:
    """Every metric of a costed configuration."""
    total = report.total
    return {
        "layers": int(total.layers),
        **width_metrics(hyper),
        "params": int(total.cost.params),
        "macs": int(total.cost.macs),
        "latency_ms": float(prediction.latency_ms),
        "fps": float(prediction.fps),
    }


def evaluate(family: str, hyper: Mapping[str, Any], profile: DeviceProfile) -> dict[str, float | int]:
    """Every metric of one configuration, from the full analytic model."""
    report = analyze(get_family(family).network(**hyper))
    return metrics_of(report, predict(report, profile), hyper)
