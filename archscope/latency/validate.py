"""Validation of the latency model against measurements on this machine.

Candidates are drawn at random from the registered families' samplers (widths, depths,
expansions...) at two or more input resolutions. The calibration networks are the ones
``archscope calibrate`` fitted the profile's in-network corrections on (drawn again from
the profile's record with :data:`CALIBRATION_SEED`); they are measured again here and the
MACs-proportional baseline (latency = k · MACs) is fitted on them, so the model and the
baseline learn from the same networks. Validation candidates never include a
calibration network.

A shared CPU's speed drifts between minutes (measured here: the same network 21.4 ms in
one run, 25.0 ms five minutes later), which no profile saved earlier can know. So the
model gets what the baseline gets: one factor fitted on the calibration networks of the
same interleaved run (``speed_factor``, the geometric mean of measured / predicted)
scales its predictions, as ``k`` scales MACs for the baseline. The profile's shape (how
time splits over op classes, sizes and kernels) is what is validated; the scores of the
profile as saved are reported too (``uncorrected``). Both are then scored on the validation candidates: the share within
±10%, the mean absolute percentage error and Spearman's rank correlation, over all of
them and per family (with the median signed error, which shows a family's bias).

A user's modules can join the candidates (``ModuleCandidate``: ``pkg.mod:factory`` at an
input shape): the module itself is timed and its imported network predicted.

The noise floor: every candidate's rounds are split into a first and a second half, and
``repeatability`` is the share of candidates whose two halves agree within ±10%: the
best share a model could reach on this machine that day if its speed held still. A shared machine's speed
drifts within a run (one half of every network's rounds 10% slower than the other), which
the model does not see: its speed factor is fitted over the whole run. So
``repeatability_same_speed`` compares the halves as the model is compared with the
measurements: after one factor between the halves, fitted on the calibration networks.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Collection, Mapping, Sequence

from scipy.stats import spearmanr

from archscope.costs import analyze
from archscope.families import get_family
from archscope.families.base import Resolution
from archscope.families.hyper import text
from archscope.graph import Network
from archscope.latency.measure import measure_many
from archscope.latency.model import predict
from archscope.latency.profile import DeviceProfile


@dataclass(frozen=True)
class Candidate:
    family: str
    hyper: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.family}(" + " ".join(f"{k}={text(v)}" for k, v in self.hyper.items()) + ")"

    @property
    def resolution(self) -> str:
        return str(self.hyper["resolution"])

    def network(self) -> Network:
        return get_family(self.family).network(**self.hyper)

    def timed(self, network: Network) -> Network:
        """What is timed, given its built ``network``: the network's torch module."""
        return network


@dataclass(frozen=True)
class ModuleCandidate:
    """A user's module (``pkg.mod:factory``) on an input ``shape``: timed as it is,
    predicted from its imported network; its family in the scores is ``modules``."""

    spec: str
    shape: tuple[int, ...]
    family: str = "modules"

    @property
    def label(self) -> str:
        return f"{self.spec}@{'x'.join(map(str, self.shape))}"

    @property
    def resolution(self) -> str:
        return f"{self.shape[2]}x{self.shape[3]}"

    @cached_property
    def _module(self) -> Any:
        from archscope.imports import load_factory

        return load_factory(self.spec)

    @cached_property
    def _network(self) -> Network:
        from archscope.imports import from_module

        return from_module(self._module, self.shape, name=self.spec)

    def network(self) -> Network:
        """The imported network (imported once)."""
        return self._network

    def timed(self, network: Network) -> Any:
        """What is timed: the module itself, not its imported ``network``."""
        from archscope.latency.measure import UserModule

        return UserModule(self._module, self.shape)


def parse_module_candidate(text: str) -> ModuleCandidate:
    """``pkg.mod:factory@1x3x224x224`` -> a module candidate (``ValueError`` names it)."""
    from archscope.imports import parse_input_shape

    spec, _, shape = text.partition("@")
    if ":" not in spec or not shape:
        raise ValueError(f"{text!r} is not pkg.mod:factory@NxCxHxW (e.g. mymodel:build@1x3x224x224)")
    return ModuleCandidate(spec, parse_input_shape(shape))


#: seed of the calibration networks; validation draws exclude them whatever their seed
CALIBRATION_SEED = 20_161_101


def draw_candidates(
    families: Sequence[str],
    count: int,
    *,
    resolutions: Sequence[tuple[int, int]],
    seed: int,
    exclude: Collection[Candidate] = (),
) -> list[Candidate]:
    """``count`` distinct random configurations, spread over families and resolutions,
    none of them in ``exclude``."""
    rng = random.Random(seed)
    result: list[Candidate] = []
    seen: set[str] = {c.label for c in exclude}
    attempts = 0
    while len(result) < count:
        attempts += 1
        if attempts > 100 * count:
            raise ValueError(f"could not draw {count} distinct candidates from {', '.join(families)}")
        family = families[len(result) % len(families)]
        sampler = get_family(family).sample
        if sampler is None:
            raise ValueError(f"family {family!r} has no sampler for random candidates")
        hyper = dict(sampler(rng))
        hyper["resolution"] = Resolution(*resolutions[(len(result) // len(families)) % len(resolutions)])
        candidate = Candidate(family, hyper)
        if candidate.label not in seen:
            seen.add(candidate.label)
            result.append(candidate)
    return result


@dataclass(frozen=True)
class CalibrationSet:
    """Which networks a profile's in-network corrections were fitted on."""

    families: tuple[str, ...]
    count: int
    resolutions: tuple[tuple[int, int], ...]

    def candidates(self) -> list[Candidate]:
        return draw_candidates(self.families, self.count, resolutions=self.resolutions, seed=CALIBRATION_SEED)

    def record(self) -> dict[str, Any]:
        """Entries for a profile's ``fit`` table."""
        return {
            "calibration_families": list(self.families),
            "calibration_networks": self.count,
            "calibration_resolutions": [f"{h}x{w}" for h, w in self.resolutions],
        }

    @classmethod
    def from_record(cls, fit: Mapping[str, Any]) -> CalibrationSet | None:
        if "calibration_networks" not in fit:
            return None
        sizes = tuple(tuple(int(v) for v in str(r).split("x")) for r in fit["calibration_resolutions"])
        return cls(tuple(fit["calibration_families"]), int(fit["calibration_networks"]), sizes)  # type: ignore[arg-type]


def scores(predicted: Sequence[float], measured: Sequence[float]) -> dict[str, float]:
    """within_10pct (share, 0-1), mape (percent), median signed error (percent) and
    spearman (``nan`` for fewer than three) of predictions."""
    errors = [p / m - 1 for p, m in zip(predicted, measured)]
    return {
        "within_10pct": sum(abs(e) <= 0.10 for e in errors) / len(errors),
        "mape": 100 * sum(abs(e) for e in errors) / len(errors),
        "median_error_pct": 100 * statistics.median(errors),
        "spearman": _spearman(predicted, measured),
    }


def _spearman(predicted: Sequence[float], measured: Sequence[float]) -> float:
    """Spearman's rank correlation; ``nan`` where it is undefined (fewer than three,
    or a constant side)."""
    if len(predicted) < 3 or len(set(predicted)) < 2 or len(set(measured)) < 2:
        return math.nan
    return float(spearmanr(predicted, measured).statistic)


def group_scores(group: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The model's and the MACs baseline's scores on some candidates, and their repeatability."""
    measured = [r["measured_ms"] for r in group]
    return {
        "n": len(group),
        **scores([r["predicted_ms"] for r in group], measured),
        "baseline": scores([r["baseline_ms"] for r in group], measured),
        "repeatability": sum(r["repeatable"] for r in group) / len(group),
    }


def by_family(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The model's and the MACs baseline's scores on each family's candidates."""
    families = dict.fromkeys(r["family"] for r in rows)
    return {family: group_scores([r for r in rows if r["family"] == family]) for family in families}


def fit_proportional(x: Sequence[float], measured_ms: Sequence[float]) -> float:
    """k of ``latency = k · x`` minimising the squared log error: the geometric mean of
    the ratios. The MACs baseline (x = MACs) and the speed factor (x = predicted ms)."""
    return math.exp(sum(math.log(t / m) for m, t in zip(x, measured_ms)) / len(x))


def same_speed_repeatability(calibration: Sequence[Mapping[str, Any]], candidates: Sequence[Mapping[str, Any]]) -> float:
    """Share of ``candidates`` whose two halves of rounds agree within ±10% once one factor
    between the halves, fitted on the ``calibration`` networks as the speed factor is,
    takes out the machine's drift between them (rows with ``first_half_ms``,
    ``second_half_ms``); ``nan`` without calibration networks."""
    if not calibration or not candidates:
        return math.nan
    drift = fit_proportional([r["second_half_ms"] for r in calibration], [r["first_half_ms"] for r in calibration])
    agree = [abs(r["first_half_ms"] / (drift * r["second_half_ms"]) - 1) <= 0.10 for r in candidates]
    return sum(agree) / len(agree)


@dataclass(frozen=True)
class ValidationResult:
    device: str
    calibration: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    model: dict[str, float]
    baseline: dict[str, float]
    ms_per_gmac: float
    speed_factor: float
    uncorrected: dict[str, float]
    #: the profile without its learned corrections (a pure roofline), with its own speed factor
    roofline_only: dict[str, float] | None = None

    @property
    def repeatability(self) -> float:
        """Share of the candidates whose two halves of rounds agree within ±10%."""
        return sum(r["repeatable"] for r in self.candidates) / len(self.candidates)

    @property
    def repeatability_same_speed(self) -> float:
        """The same after the drift between the halves is taken out (module docstring)."""
        return same_speed_repeatability(self.calibration, self.candidates)

    def drawn(self) -> dict[str, Any] | None:
        """Scores on the candidates drawn from the families, without the user's modules
        (``None`` when there are none)."""
        rows = [r for r in self.candidates if r["family"] != ModuleCandidate.family]
        return group_scores(rows) if rows else None

    def summary(self) -> dict[str, Any]:
        repeatability, same_speed = self.repeatability, self.repeatability_same_speed
        return {
            "device": self.device,
            "n": len(self.candidates),
            **self.model,
            "repeatability": repeatability,
            "share_of_repeatability": self.model["within_10pct"] / repeatability if repeatability else math.nan,
            "repeatability_same_speed": same_speed,
            "share_of_repeatability_same_speed": self.model["within_10pct"] / same_speed if same_speed > 0 else math.nan,
            "speed_factor": self.speed_factor,
            "baseline": {**self.baseline, "ms_per_gmac": self.ms_per_gmac},
            "uncorrected": self.uncorrected,
            "roofline_only": self.roofline_only,
            "by_family": by_family(self.candidates),
            "drawn": self.drawn(),
            "calibration_networks": len(self.calibration),
        }


def _row(candidate: Candidate | ModuleCandidate, report: Any, measured: Any, profile: DeviceProfile) -> dict[str, Any]:
    prediction = predict(report, profile)
    roofline = predict(report, profile.without_residuals()) if profile.residuals else prediction
    first, second = measured.halves_ms
    return {
        "network": candidate.label,
        "family": candidate.family,
        "resolution": candidate.resolution,
        "macs": int(report.total.cost.macs),
        "params": int(report.total.cost.params),
        "layers": int(report.total.layers),
        "kernels": prediction.kernels,
        "predicted_raw_ms": prediction.latency_ms,
        "roofline_raw_ms": roofline.latency_ms,
        "measured_ms": measured.median_ms,
        "spread_pct": measured.spread_pct,
        "first_half_ms": first,
        "second_half_ms": second,
        "repeatable": measured.repeatable,
    }


def validate_latency(
    profile: DeviceProfile,
    *,
    families: Sequence[str] = ("ndnet",),
    count: int = 24,
    calibration_count: int = 6,
    resolutions: Sequence[tuple[int, int]] = ((256, 512), (512, 1024)),
    seed: int = 0,
    rounds: int = 11,
    modules: Sequence[ModuleCandidate] = (),
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ValidationResult:
    """Measure calibration and validation networks (disjoint) and score the model and
    the MACs baseline on the validation networks. The calibration networks are the
    profile's own (see :class:`CalibrationSet`); a profile without that record (one
    fitted elsewhere) gets ``calibration_count`` networks drawn like the candidates."""
    recorded = CalibrationSet.from_record(profile.fit)
    calibration_set = recorded or CalibrationSet(tuple(families), calibration_count, tuple(resolutions))
    calibration = calibration_set.candidates()
    validation = draw_candidates(families, count, resolutions=resolutions, seed=seed, exclude=calibration) if count else []
    groups = {"calibration": calibration, "validation": [*validation, *modules]}
    reports = {name: [analyze(c.network()) for c in group] for name, group in groups.items()}
    # one interleaved measurement of both sets, so that drifts of the machine's speed
    # hit calibration and validation networks alike
    networks = [c.timed(r.network) for name in groups for c, r in zip(groups[name], reports[name])]
    progress = (lambda r: on_progress("calibration and validation", r, rounds)) if on_progress else None
    measured = measure_many(networks, rounds=rounds, memory_format=profile.memory_format, on_round=progress)
    by_group = {"calibration": measured[: len(calibration)], "validation": measured[len(calibration):]}
    rows = {
        name: [_row(c, r, m, profile) for c, r, m in zip(group, reports[name], by_group[name])]
        for name, group in groups.items()
    }
    calibration_ms = [r["measured_ms"] for r in rows["calibration"]]
    per_mac = fit_proportional([r["macs"] for r in rows["calibration"]], calibration_ms)
    speed = fit_proportional([r["predicted_raw_ms"] for r in rows["calibration"]], calibration_ms)
    roofline_speed = fit_proportional([r["roofline_raw_ms"] for r in rows["calibration"]], calibration_ms)
    for row in rows["calibration"] + rows["validation"]:
        row["baseline_ms"] = per_mac * row["macs"]
        row["predicted_ms"] = speed * row["predicted_raw_ms"]
        row["roofline_ms"] = roofline_speed * row["roofline_raw_ms"]
    measured_ms = [r["measured_ms"] for r in rows["validation"]]
    return ValidationResult(
        device=profile.name,
        calibration=rows["calibration"],
        candidates=rows["validation"],
        model=scores([r["predicted_ms"] for r in rows["validation"]], measured_ms),
        baseline=scores([r["baseline_ms"] for r in rows["validation"]], measured_ms),
        ms_per_gmac=per_mac * 1e9,
        speed_factor=speed,
        uncorrected=scores([r["predicted_raw_ms"] for r in rows["validation"]], measured_ms),
        roofline_only=scores([r["roofline_ms"] for r in rows["validation"]], measured_ms) if profile.residuals else None,
    )
