"""Metrics of a candidate network, objectives and constraints over them.

A candidate is costed with the full analytic model (``archscope.cost`` + the device's
latency prediction); its metrics are what objectives and rules refer to. Constraint
values follow Optuna's convention (feasible where every value is <= 0); fps,
max_latency_ms and layers violations are relative (0.1 = 10% short or over), rule
violations are in the rule's own units. Any registered family can be evaluated; the
``width`` metrics exist only for configurations with a ``widths`` tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.space import SearchSpace

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


def evaluate(family: str, hyper: Mapping[str, Any], profile: DeviceProfile) -> dict[str, float | int]:
    """Every metric of one configuration, from the full analytic model."""
    from archscope import api

    report = api.cost(family, **hyper)
    prediction = api.latency(report, profile)
    total = report.total
    return {
        "layers": int(total.layers),
        **width_metrics(hyper),
        "params": int(total.cost.params),
        "macs": int(total.cost.macs),
        "latency_ms": float(prediction.latency_ms),
        "fps": float(prediction.fps),
    }


def constraint_values(space: SearchSpace, values: Mapping[str, Any]) -> dict[str, Any]:
    """Optuna constraint values (feasible where all are <= 0), scalars or arrays.

    ``values`` holds the metrics and every parameter name's value.
    """
    constraints = space.constraints
    result: dict[str, Any] = {}
    if constraints.min_fps is not None:
        result["min_fps"] = (constraints.min_fps - values["fps"]) / constraints.min_fps
    if constraints.max_latency_ms is not None:
        result["max_latency_ms"] = (values["latency_ms"] - constraints.max_latency_ms) / constraints.max_latency_ms
    if constraints.min_layers is not None:
        result["min_layers"] = (constraints.min_layers - values["layers"]) / constraints.min_layers
    for rule in constraints.rules:
        result[rule.text] = rule.violation(values)
    return result


def is_feasible(violations: Mapping[str, Any]) -> Any:
    """True where every constraint value is <= 0 (a bool, or a bool array)."""
    feasible: Any = True
    for value in violations.values():
        feasible = feasible & (value <= 0)
    return feasible
