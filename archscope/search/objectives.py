"""Metrics of a candidate network, objectives and constraints over them.

A candidate is costed with the full analytic model (``archscope.cost`` + the device's
latency prediction); its metrics are what objectives and constraints
(``archscope.search.constraints``) refer to. Any registered family can be evaluated; the
``width`` metrics exist only for configurations with a ``widths`` tuple. A *learned*
metric (``miou``) is not analytic: it is measured by training the candidate briefly on
a proxy task (``archscope.search.proxy``), only for feasible candidates.
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
    "miou": "mIoU after a short training on the space's proxy task (feasible candidates only; infeasible ones get 0)",
}
INT_METRICS = ("layers", "width", "max_width", "params", "macs")
#: metrics read from a ``widths`` tuple (families without one have none)
WIDTH_METRICS = ("width", "max_width")
#: metrics measured by training (name -> (worst, best) value), not by the analytic model
LEARNED: dict[str, tuple[float, float]] = {"miou": (0.0, 1.0)}


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


#: metrics ``--objective METRIC`` minimises (the others it maximises)
MINIMISED = ("latency_ms", "macs")


def parse_objectives(text: str) -> tuple[Objective, ...]:
    """``"miou,layers"`` or ``"miou,latency_ms:minimize"``: objectives in the given order,
    each in its usual direction unless ``:maximize``/``:minimize`` follows it."""
    objectives = []
    for item in (part.strip() for part in text.split(",")):
        metric, _, direction = item.partition(":")
        if metric not in METRICS:
            raise ValueError(f"{metric!r} is not a metric ({', '.join(METRICS)})")
        direction = direction.strip() or ("minimize" if metric in MINIMISED else "maximize")
        if direction not in ("maximize", "minimize"):
            raise ValueError(f"{item!r}: the direction must be maximize or minimize")
        objectives.append(Objective(metric=metric, direction=Direction(direction)))
    if len({o.metric for o in objectives}) != len(objectives):
        raise ValueError(f"{text!r} names a metric twice")
    return tuple(objectives)


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
