"""A search space's constraints: bounds on metrics, from one table, and rules.

Each ``Bound`` is a ``[constraints]`` key of a space (``min_fps = 50``), an ``archscope
search`` option (``--min-fps``) and a limit on one metric. The space parser, the
objective's Optuna constraint values, feasibility checks, the hypervolume's reference
point, NSGA-II's repair (``budget`` bounds) and the reports all read this table, so a
new bound is one line here.

Violations follow Optuna's convention (feasible where <= 0) and are relative: 0.1 is
10% short of a minimum or over a maximum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from archscope.search.rules import Rule


@dataclass(frozen=True)
class Bound:
    """A lower (``min``) or upper (``max``) limit on ``metric``."""

    key: str
    metric: str
    sense: Literal["min", "max"]
    help: str
    symbol: str  # how a report writes it: "fps ≥ 50"
    unit: str = ""
    integer: bool = False
    budget: bool = False  # a latency budget (NSGA-II repairs its children onto it)

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    def violation(self, limit: float, value: Any) -> Any:
        """Relative shortfall or excess (<= 0: met); scalars or arrays."""
        return (limit - value) / limit if self.sense == "min" else (value - limit) / limit

    def met(self, limit: float, value: float) -> bool:
        return value >= limit if self.sense == "min" else value <= limit

    def clamp(self, worst: float, limit: float) -> float:
        """The worst value a *feasible* point can have, given the worst seen."""
        return max(worst, limit) if self.sense == "min" else min(worst, limit)

    def describe(self, limit: float) -> str:
        """``fps ≥ 50``, ``latency ≤ 20 ms``, ``layers ≥ 25``."""
        return f"{self.symbol} {'≥' if self.sense == 'min' else '≤'} {limit:g}" + (f" {self.unit}" if self.unit else "")

    def missed(self, limit: float) -> str:
        """``below the 50 fps constraint``, ``over the 20 ms budget``."""
        if self.sense == "min":
            return f"below the {limit:g} {self.symbol} constraint"
        return f"over the {limit:g} {self.unit or self.symbol} budget"

    def parse(self, value: Any) -> float | int:
        """A limit from a space file or an option: a positive number (an integer for an
        integer metric); ``ValueError`` says what it must be."""
        if self.integer:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{self.key} must be a positive integer, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{self.key} must be a positive number, got {value!r}")
        return float(value)


BOUNDS: tuple[Bound, ...] = (
    Bound("min_fps", "fps", "min", "predicted fps >= this", "fps", budget=True),
    Bound("max_latency_ms", "latency_ms", "max", "predicted latency <= this, ms", "latency", unit="ms", budget=True),
    Bound("min_layers", "layers", "min", "layers >= this", "layers", integer=True),
)
BY_KEY: dict[str, Bound] = {bound.key: bound for bound in BOUNDS}


def active(limits: Mapping[str, float | int | None]) -> list[tuple[Bound, float]]:
    """The bounds with a limit set, in table order."""
    return [(bound, limits[bound.key]) for bound in BOUNDS if limits.get(bound.key) is not None]  # type: ignore[misc]


@dataclass(frozen=True)
class Constraints:
    """What a feasible configuration meets: limits on metrics (by bound key:
    ``{"min_fps": 50.0}``) and rules, on the predictions for ``device``."""

    device: str
    limits: Mapping[str, float | int] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()

    def limit(self, key: str) -> float | int | None:
        """The limit of bound ``key`` (``min_fps``), ``None`` when unset."""
        return self.limits.get(key)

    def bounds(self) -> list[tuple[Bound, float]]:
        """(bound, limit) of every limit set, in the table's order."""
        return active(self.limits)

    def violations(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Optuna constraint values (feasible where all are <= 0), scalars or arrays;
        ``values`` holds the metrics and every parameter name's value."""
        result: dict[str, Any] = {bound.key: bound.violation(limit, values[bound.metric]) for bound, limit in self.bounds()}
        for rule in self.rules:
            result[rule.text] = rule.violation(values)
        return result

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"device": self.device}
        data.update({bound.key: limit for bound, limit in self.bounds()})
        data["rules"] = [rule.text for rule in self.rules]
        return data


def is_feasible(violations: Mapping[str, Any]) -> Any:
    """True where every constraint value is <= 0 (a bool, or a bool array)."""
    feasible: Any = True
    for value in violations.values():
        feasible = feasible & (value <= 0)
    return feasible
