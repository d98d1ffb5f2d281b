"""Fitting a profile's free parameters to measured latencies (least squares on log time).

Two kinds of data:

- op micro-benchmarks (``archscope calibrate``): one-op networks per op class; each class
  gets its own compute efficiency, memory efficiency, overhead and time per output
  position;
- whole networks with a measured fps (``archscope calibrate --from FILE.csv``): a few
  device-wide parameters shared by every class (by default the compute efficiency, the
  memory efficiency and the per-kernel overhead), so that four published fps figures fit
  three physical parameters, not a curve;
- the ops of whole networks, each timed where it runs (``archscope calibrate``): they
  join the micro-benchmarks of their class, so each class is fitted to ops both alone and
  in the cache state a real network leaves them; the whole networks' times then fix the
  framework's per-kernel overhead (``fit_with_networks``).

Errors are relative (log time), so a 1 ms network weighs as much as a 100 ms one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from scipy.optimize import least_squares

from archscope.costs import CostReport
from archscope.latency.model import Kernel, kernel_time, kernels
from archscope.latency.model import work as kernel_work
from archscope.latency.profile import Combine, DeviceProfile, Residual, kind_levels

#: class parameters a fit may free, with their bounds
BOUNDS = {
    "compute_efficiency": (1e-3, 1.5),
    "memory_efficiency": (1e-3, 1.5),
    "overhead_us": (0.0, 5e3),
    "position_ns": (0.0, 1e3),
}
#: what a device-wide fit to a few published fps figures frees: three physical
#: parameters, so that four figures do not fit a curve
DEVICE_WIDE = ("compute_efficiency", "memory_efficiency", "overhead_us")


@dataclass(frozen=True)
class Sample:
    """One measured network: its kernels under the profile's fusion rule and its time."""

    kernels: tuple[Kernel, ...]
    measured_s: float
    label: str = ""
    #: a whole network's framework time between its ops, each timed where it runs
    #: (``None``: not timed op by op)
    framework_s: float | None = None


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
    profile: DeviceProfile, samples: Sequence[Sample], names: Sequence[str] = DEVICE_WIDE
) -> tuple[DeviceProfile, float]:
    """One value of each parameter in ``names`` for every class, fitted to whole networks."""
    if len(samples) < len(names):
        raise ValueError(f"{len(samples)} measured networks cannot determine {len(names)} free parameters")
    return _fit(profile, samples, names, list(profile.classes))


#: samples weigh (time / median time) ** this in the per-kind fits: a network's time is
#: mostly its large ops, which are few among many small ones (0: every op alike)
TIME_WEIGHT_POWER = 0.5


def time_weights(measured_s: np.ndarray) -> np.ndarray:
    """Square roots of the least-squares weights of samples that took ``measured_s``,
    normalised to mean weight 1."""
    weights = (measured_s / np.median(measured_s)) ** TIME_WEIGHT_POWER
    return np.sqrt(weights / weights.mean())


#: kernel kinds (``conv:3x3``) get parameters of their own from this many samples;
#: fewer, and they use their op class's (fitted on every sample of the class)
MIN_KIND_SAMPLES = 8


def _arrays(samples: Sequence[Sample], profile: DeviceProfile) -> tuple[np.ndarray, ...]:
    """(work, output positions, traffic bytes, seconds per byte at their traffic: the
    profile's bandwidth curve) of single-kernel samples."""
    work = np.array([kernel_work(s.kernels[0], profile) for s in samples], dtype=float)
    positions = np.array([s.kernels[0].positions for s in samples], dtype=float)
    traffic = np.array([s.kernels[0].traffic_bytes for s in samples], dtype=float)
    per_byte = np.array([profile.seconds_per_byte(t) for t in traffic])
    return work, positions, traffic, per_byte


def _fit_class(profile: DeviceProfile, name: str, samples: Sequence[Sample]) -> tuple[DeviceProfile, float]:
    """One class's (or kind's) parameters (:data:`BOUNDS`) fitted to its single-kernel
    samples (log error, weighted by :func:`time_weights`), the roofline vectorised over
    them; returns the profile and the (unweighted) RMS log error."""
    work, positions, traffic, per_byte = _arrays(samples, profile)
    measured = np.array([s.measured_s for s in samples])
    target, weight = np.log(measured), time_weights(measured)
    names = [n for n in BOUNDS if n != "compute_efficiency" or work.any()]  # nothing to compute: not identifiable
    start_params = profile.params(name)
    start = [min(max(getattr(start_params, n), BOUNDS[n][0] * 1.01), BOUNDS[n][1] * 0.99) for n in names]
    combine = np.maximum if profile.combine is Combine.MAX else np.add

    def seconds(values: np.ndarray) -> np.ndarray:
        p = dict(zip(names, values))
        compute = work / (profile.peak_macs_per_s * p.get("compute_efficiency", start_params.compute_efficiency))
        compute = compute + positions * p["position_ns"] * 1e-9
        memory = traffic * per_byte / p["memory_efficiency"]
        return combine(compute, memory) + p["overhead_us"] * 1e-6

    lower, upper = zip(*(BOUNDS[n] for n in names))
    # plain least squares: ops in context that run slower than the same op looped alone
    # are what networks are made of, not outliers to discount
    result = least_squares(lambda v: weight * (np.log(seconds(v)) - target), start, bounds=(lower, upper),
                           x_scale="jac")
    fitted = replace(start_params, **dict(zip(names, (float(v) for v in result.x))))
    error = float(np.sqrt(np.mean((np.log(seconds(result.x)) - target) ** 2)))
    return profile.with_classes(**{name: fitted}), error


def fit_per_class(profile: DeviceProfile, samples_by_class: dict[str, Sequence[Sample]]) -> tuple[DeviceProfile, dict[str, float]]:
    """Each op class's parameters fitted to every sample of the class (its kinds'
    included), then, coarse to fine, each kernel kind (``pooling:maxpool``, then
    ``pooling:maxpool:3x3``) with ``MIN_KIND_SAMPLES`` samples or more to its own.
    Samples are single kernels, keyed by their kind or class."""
    by_level: dict[str, list[Sample]] = {}
    for kind, samples in samples_by_class.items():
        for level in kind_levels(kind):
            by_level.setdefault(level, []).extend(samples)
    errors = {}
    for level in sorted(by_level, key=lambda name: name.count(":")):
        if ":" not in level or len(by_level[level]) >= MIN_KIND_SAMPLES:
            profile, errors[level] = _fit_class(profile, level, by_level[level])
    return profile, errors


#: a kind (or a class) gets a learned correction from this many samples
MIN_RESIDUAL_SAMPLES = 12
#: ridge penalty of the correction's weights (features are log2 sizes)
RIDGE = 2.0


def fit_residuals(profile: DeviceProfile, samples_by_kind: dict[str, Sequence[Sample]]) -> tuple[DeviceProfile, dict[str, float]]:
    """Each parameter set's learned correction (``Residual``): a ridge regression of
    log(measured / roofline) on the kernels' shape features, over the single-kernel
    samples that use it; returns the profile and each correction's RMS log error after."""
    grouped: dict[str, list[Sample]] = {}
    for kind, samples in samples_by_kind.items():
        grouped.setdefault(profile.owner(kind), []).extend(samples)
    plain = profile.without_residuals()
    residuals, errors = {}, {}
    for name, samples in grouped.items():
        if len(samples) < MIN_RESIDUAL_SAMPLES:
            continue
        features = np.array([s.kernels[0].features(profile.cache_bytes) for s in samples])
        target = np.log([s.measured_s / predicted_s(s, plain) for s in samples])
        root = time_weights(np.array([s.measured_s for s in samples]))
        mean = np.average(target, weights=root**2)
        center = np.average(features, axis=0, weights=root**2)
        x = (features - center) * root[:, None]
        weights = np.linalg.solve(x.T @ x + RIDGE * np.eye(x.shape[1]), x.T @ ((target - mean) * root))
        # the intercept stays with the roofline's overhead and efficiencies: a correction
        # only bends the fit along the shape (its mean factor is 1)
        residuals[name] = Residual(tuple(float(w) for w in weights), tuple(float(c) for c in center))
        errors[name] = float(np.sqrt(np.mean((target - mean - (features - center) @ weights) ** 2)))
    return replace(profile, residuals=residuals), errors


@dataclass(frozen=True)
class NetworkFit:
    """A per-class fit completed by whole networks: the profile, the framework overhead
    per kernel it includes, and its RMS log error on the whole networks."""

    profile: DeviceProfile
    errors: dict[str, float]
    framework_overhead_us: float
    network_rms_log_error: float


def rms_log_error(samples: Sequence[Sample], profile: DeviceProfile) -> float:
    return float(np.sqrt(np.mean([np.log(predicted_s(s, profile) / s.measured_s) ** 2 for s in samples])))


def framework_us(networks: Sequence[Sample], profile: DeviceProfile) -> float:
    """The framework's time per kernel, the median over ``networks``: measured directly
    where their ops were timed (whole pass minus its timed ops), else what the whole pass
    takes beyond the profile's prediction."""
    def gap(n: Sample) -> float:
        between_s = n.framework_s if n.framework_s is not None else n.measured_s - predicted_s(n, profile)
        return 1e6 * between_s / len(n.kernels)

    return float(np.median([gap(n) for n in networks]))


def fit_with_networks(
    profile: DeviceProfile,
    samples_by_class: dict[str, Sequence[Sample]],
    networks: Sequence[Sample],
    *,
    residuals: bool = True,
) -> NetworkFit:
    """The per-class fit (with ``residuals``, followed by its learned corrections),
    completed by the framework's time per kernel measured on whole ``networks``
    (:func:`framework_us`, the profile's ``kernel_overhead_us``)."""
    if not networks:
        raise ValueError("no whole network to measure the framework's time per kernel on")
    fitted, errors = fit_per_class(replace(profile, residuals={}, kernel_overhead_us=0.0), samples_by_class)
    if residuals:
        fitted, residual_errors = fit_residuals(fitted, samples_by_class)
        errors.update({f"residual.{name}": e for name, e in residual_errors.items()})
    between_us = framework_us(networks, fitted)
    fitted = replace(fitted, kernel_overhead_us=max(0.0, between_us))
    return NetworkFit(fitted, errors, between_us, rms_log_error(networks, fitted))
