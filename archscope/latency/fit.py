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
  in the cache state a real network leaves them; the whole networks' times then fix the
  framework's per-kernel overhead and the effective cache capacity
  (``fit_with_networks``).

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


@dataclass(frozen=True)
class NetworkFit:
    """A per-class fit completed by whole networks: the profile, the framework overhead
    per kernel it includes, and its RMS log error on the networks for every cache
    capacity tried (bytes -> error)."""

    profile: DeviceProfile
    errors: dict[str, float]
    framework_overhead_us: float
    cache_rms_log_error: dict[int, float]


def cache_candidates(largest: float, memory: float, smallest: int = 2**18) -> list[int]:
    """Cache capacities to try, from none to all: 0 (every byte at the DRAM rate, which
    each class's memory efficiency then scales), powers of two from ``smallest`` up to
    the largest cache, the largest cache itself, and ``memory`` (every byte at the cache
    rate: nothing a network moves outgrows the cache)."""
    sizes = [0]
    size = smallest
    while size < largest:
        sizes.append(size)
        size *= 2
    return list(dict.fromkeys([*sizes, int(largest), int(memory)]))


def rms_log_error(samples: Sequence[Sample], profile: DeviceProfile) -> float:
    return float(np.sqrt(np.mean([np.log(predicted_s(s, profile) / s.measured_s) ** 2 for s in samples])))


def fit_with_networks(
    profile: DeviceProfile,
    samples_by_class: dict[str, Sequence[Sample]],
    networks: Sequence[Sample],
    caches: Sequence[int],
) -> NetworkFit:
    """Per-class fits for each cache capacity in ``caches``, each completed by the
    framework's per-kernel overhead (the median over ``networks`` of (measured -
    predicted) / kernels); keeps the capacity whose profile predicts the whole networks
    best. The capacity is the share of the cache a network's ops really find their
    data in: on a shared CPU it can be far below the last-level cache sysfs lists."""
    fits = []
    for cache in caches:
        fitted, errors = fit_per_class(replace(profile, cache_bytes=float(cache)), samples_by_class)
        between_us = float(np.median([1e6 * (n.measured_s - predicted_s(n, fitted)) / len(n.kernels) for n in networks]))
        fitted = with_extra_overhead(fitted, between_us)
        fits.append((rms_log_error(networks, fitted), int(cache), fitted, errors, between_us))
    if not fits:
        raise ValueError("no cache capacity to try")
    _, _, fitted, errors, between_us = min(fits, key=lambda f: f[0])
    return NetworkFit(fitted, errors, between_us, {cache: rms for rms, cache, *_ in fits})
