"""The networks a search report looks at closely: the run's front points and the
family's published reference networks (its presets, e.g. NDNet29/45/61), each built
under the space's fixed settings (input size, head, classes) and costed with the full
analytic and latency models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from archscope.costs import CostReport, analyze
from archscope.families import get_family
from archscope.latency.model import LatencyPrediction, predict
from archscope.search.objectives import Direction, Objective, metrics_of

if TYPE_CHECKING:
    import pandas as pd

    from archscope.latency.profile import DeviceProfile
    from archscope.search.folder import SearchRun
    from archscope.search.space import SearchSpace


@dataclass(frozen=True)
class Costed:
    """A network with its cost report and its latency prediction."""

    label: str
    report: CostReport
    prediction: LatencyPrediction

    def metrics(self, hyper: Mapping[str, Any] | None = None) -> dict[str, float]:
        """The search's metrics of this network (``archscope.search.objectives.METRICS``;
        the width metrics need its ``hyper``)."""
        return metrics_of(self.report, self.prediction, hyper or {})


@dataclass(frozen=True)
class Reference:
    """A published configuration of the family, costed as the run's candidates are."""

    name: str
    hyper: Mapping[str, Any]
    costed: Costed
    paper: Mapping[str, Any] = field(default_factory=dict)  # the figures the paper publishes

    @property
    def metrics(self) -> dict[str, float]:
        return self.costed.metrics(self.hyper)


def cost_network(label: str, family: str, hyper: Mapping[str, Any], profile: DeviceProfile) -> Costed:
    report = analyze(get_family(family).network(**hyper))
    return Costed(label=label, report=report, prediction=predict(report, profile))


def references(space: SearchSpace, profile: DeviceProfile) -> list[Reference]:
    """The family's presets under the space's fixed settings."""
    family = get_family(space.family)
    result = []
    for name, preset in family.presets.items():
        hyper = {**space.fixed, **preset.hyper}
        result.append(Reference(name, hyper, cost_network(name, space.family, hyper, profile), preset.paper))
    return result


def varying(space: SearchSpace) -> list[str]:
    """The searched hyper-parameters that take more than one value (they name a candidate)."""
    return [p.hyper for p in space.parameters if p.size() > 1] or [p.hyper for p in space.parameters]


def row_hyper(space: SearchSpace, row: Mapping[str, Any]) -> dict[str, Any]:
    """The build arguments of a row of ``pareto.csv`` or ``trials.csv``."""
    hyper: dict[str, Any] = dict(space.fixed)
    for parameter in space.parameters:
        hyper[parameter.hyper] = parameter.read(str(row[parameter.hyper]).strip())
    return hyper


def row_label(space: SearchSpace, row: Mapping[str, Any]) -> str:
    """``8,16,32 | 1,24,24``: the varying hyper-parameters of a row."""
    return " | ".join(str(row[name]) for name in varying(space))


def front_candidates(run: SearchRun, profile: DeviceProfile) -> list[Costed]:
    """The run's front points, costed."""
    return [
        cost_network(row_label(run.space, row), run.space.family, row_hyper(run.space, row), profile)
        for row in run.pareto.to_dict(orient="records")
    ]


def dominating(point: Mapping[str, float], front: pd.DataFrame, objectives: tuple[Objective, ...]) -> int | None:
    """Index of the first row of ``front`` that dominates ``point`` in the objectives."""
    for index, row in enumerate(front.to_dict(orient="records")):
        better = [_compare(row[o.metric], point[o.metric], o.direction) for o in objectives]
        if all(b >= 0 for b in better) and any(b > 0 for b in better):
            return index
    return None


def _compare(value: float, other: float, direction: Direction) -> int:
    """1 if ``value`` is better than ``other``, -1 if worse, 0 if equal."""
    order = (value > other) - (value < other)
    return order if direction is Direction.MAXIMIZE else -order
