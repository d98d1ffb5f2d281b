"""Fitting a profile's free parameters to measured latencies (least squares on log time).

Two kinds of data:

- op micro-benchmarks (``archscope calibrate``): one-op networks per op class; each class
  gets its own compute efficiency, memory efficiency and overhead;
- whole networks with a measured fps (``archscope calibrate --from FILE.csv``): a few
  device-wide parameters shared by every class (by default the compute efficiency, the
  memory efficiency and the per-kernel overhead), so that four published fps figures fit
  three physical parameters, not a curve;
- the ops of whole networks, each timed where it runs (``archscope calibrate``): they
  join the micro-benchmarks of their class, so each class is fitted to ops both alone and
  in the cache state a real network leaves them.

Errors are relative (log time), so a 1 ms network weighs as much as a 100 ms one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from scipy.optimize import least_squares

from archscope.costs import CostReport
from archscope.latency.model import Kernel, kernel_time, kernels
from archscope.latency.profile import DeviceProfile

#: class parameters a fit may free, with their bounds
BOUNDS = {
    "compute_efficiency": (1e-3, 1.5),
    "memory_efficiency": (1e-3, 1.5),
    "overhead_us": (0.0, 5e3),
}


@dataclass(frozen=True)
class Sample:
    """One measured network: its kernels under the profile's fusion rule and its time."""

    kernels: tuple[Kernel, ...]
    measured_s: float
    label: str = ""


def sample(report: CostReport, profile: DeviceProfile, measured_s: float, label: str = "") -> Sample:
    return Sample(tuple(kernels(report, profile.fusion)), measured_s, label)


def predicted_s(s: Sample, profile: DeviceProfile) -> float:
    return sum(kernel_time(k, profile).time_s for k in s.kernels)


def _with_values(profile: DeviceProfile, names: Sequence[str], values: Sequence[float], classes: Sequence[str]) -> DeviceProfile:
    updates = {}
    for cls in classes:
        params = profile.classes[cls]
        updates[cls] = replace(params, **dict(zip(names, (float(v) for v in values))))
    return profile.with_classes(**updates)


def _fit(
    profile: DeviceProfile, samples: Sequence[Sample], names: Sequence[str], classes: Sequence[str]
) -> tuple[DeviceProfile, float]:
    """Fit ``names`` (shared by ``classes``) to ``samples``; returns the profile and the
    root-mean-square log error."""
    first = profile.classes[classes[0]]
    start = [min(max(getattr(first, n), BOUNDS[n][0] * 1.01), BOUNDS[n][1] * 0.99) for n in names]
    lower, upper = zip(*(BOUNDS[n] for n in names))
    target = np.log([s.measured_s for s in samples])

    def residuals(values: np.ndarray) -> np.ndarray:
        candidate = _with_values(profile, names, values, classes)
        return np.log([predicted_s(s, candidate) for s in samples]) - target

    result = least_squares(residuals, start, bounds=(lower, upper), x_scale="jac", loss="soft_l1", f_scale=0.1)
    fitted = _with_values(profile, names, result.x, classes)
    return fitted, float(np.sqrt(np.mean(residuals(result.x) ** 2)))


def fit_device_wide(
    profile: DeviceProfile, samples: Sequence[Sample], names: Sequence[str] = tuple(BOUNDS)
) -> tuple[DeviceProfile, float]:
    """One value of each parameter in ``names`` for every class, fitted to whole networks."""
    if len(samples) < len(names):
        raise ValueError(f"{len(samples)} measured networks cannot determine {len(names)} free parameters")
    return _fit(profile, samples, names, list(profile.classes))


def with_extra_overhead(profile: DeviceProfile, extra_us: float) -> DeviceProfile:
    """``profile`` with ``extra_us`` added to every class's per-kernel overhead."""
    updates = {name: replace(p, overhead_us=max(0.0, p.overhead_us + extra_us)) for name, p in profile.classes.items()}
    return profile.with_classes(**updates)


def fit_per_class(profile: DeviceProfile, samples_by_class: dict[str, Sequence[Sample]]) -> tuple[DeviceProfile, dict[str, float]]:
    """Each class's three parameters, fitted to its own micro-benchmarks."""
    errors = {}
    for cls, samples in samples_by_class.items():
        names = list(BOUNDS)
        if all(k.macs + k.vector_ops == 0 for s in samples for k in s.kernels):
            names.remove("compute_efficiency")  # nothing to compute: not identifiable
        profile, errors[cls] = _fit(profile, samples, names, [cls])
    return profile, errors

