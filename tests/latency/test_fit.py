"""Calibration fits recover known parameters from synthetic measurements."""

import dataclasses

import pytest

from archscope import api
from archscope.latency.calibrate import micro_benchmarks
from archscope.latency.fit import (
    Sample,
    cache_candidates,
    fit_device_wide,
    fit_per_class,
    fit_with_networks,
    predicted_s,
    sample,
    with_extra_overhead,
)
from archscope.latency.profile import CLASSES, ClassParams, ProfileError, load_profile
from archscope.costs import analyze


def with_classes(profile, **params):
    return dataclasses.replace(profile, classes={c: ClassParams(**params) for c in CLASSES})


def test_device_wide_fit_recovers_known_parameters():
    truth = with_classes(load_profile("titanx"), compute_efficiency=0.4, memory_efficiency=0.6, overhead_us=12.0)
    start = with_classes(truth, compute_efficiency=0.9, memory_efficiency=0.2, overhead_us=40.0)
    configs = [((8, 16, 32), (2, 2, 2)), ((32, 64, 128), (4, 8, 4)), ((64, 128, 256), (2, 6, 2)), ((12, 24, 48), (8, 8, 8)), ((128, 256, 512), (1, 1, 1))]
    samples = []
    for widths, depths in configs:
        report = api.cost("ndnet", widths=widths, depths=depths, resolution=(512, 1024))
        measured = predicted_s(sample(report, truth, 1.0), truth)
        samples.append(sample(report, start, measured))
    fitted, rms = fit_device_wide(start, samples)
    params = fitted.classes["pointwise"]
    assert rms < 1e-4
    assert params.compute_efficiency == pytest.approx(0.4, rel=0.02)
    assert params.memory_efficiency == pytest.approx(0.6, rel=0.02)
    assert params.overhead_us == pytest.approx(12.0, rel=0.05)


def test_too_few_networks_for_the_free_parameters():
    profile = load_profile("titanx")
    one = [sample(api.cost("ndnet", resolution=(64, 128)), profile, 0.01)]
    with pytest.raises(ValueError, match="cannot determine"):
        fit_device_wide(profile, one)


def test_per_class_fit_recovers_each_class():
    base = load_profile("local")
    truth = base.with_classes(
        depthwise=ClassParams(0.2, 0.3, 40.0), **{"norm/activation": ClassParams(0.5, 0.7, 8.0)}
    )
    by_class = {}
    for cls, network in micro_benchmarks():
        if cls in ("depthwise", "norm/activation"):
            report = analyze(network)
            by_class.setdefault(cls, []).append(sample(report, base, predicted_s(sample(report, truth, 1.0), truth)))
    fitted, errors = fit_per_class(base, by_class)
    assert fitted.classes["depthwise"].memory_efficiency == pytest.approx(0.3, rel=0.03)
    assert fitted.classes["depthwise"].overhead_us == pytest.approx(40.0, rel=0.05)
    assert fitted.classes["norm/activation"].memory_efficiency == pytest.approx(0.7, rel=0.03)
    assert fitted.classes["norm/activation"].overhead_us == pytest.approx(8.0, rel=0.05)
    assert max(errors.values()) < 1e-3
    assert fitted.classes["conv"] == base.classes["conv"]  # classes without data keep their values


def test_extra_overhead_is_added_to_every_class_and_never_below_zero():
    profile = with_classes(load_profile("titanx"), compute_efficiency=0.5, memory_efficiency=0.5, overhead_us=10.0)
    raised = with_extra_overhead(profile, 2.5)
    assert {p.overhead_us for p in raised.classes.values()} == {12.5}
    assert {p.compute_efficiency for p in raised.classes.values()} == {0.5}
    assert {p.overhead_us for p in with_extra_overhead(profile, -20.0).classes.values()} == {0.0}


def test_cache_candidates_run_from_none_to_all_of_memory():
    assert cache_candidates(2**20, 2**33) == [0, 2**18, 2**19, 2**20, 2**33]
    assert cache_candidates(3 * 2**19, 2**33) == [0, 2**18, 2**19, 2**20, 3 * 2**19, 2**33]


def test_a_profile_refuses_a_negative_cache():
    with pytest.raises(ProfileError, match="cache_bytes must be >= 0, got -1"):
        dataclasses.replace(load_profile("local"), cache_bytes=-1)


def test_network_fit_recovers_the_cache_capacity_and_the_framework_overhead():
    """Micro-benchmarks and whole NDNets timed by a known profile (1 MiB of cache, 7 us
    of framework time per kernel in the networks): the fit keeps 1 MiB of the candidates
    and finds the 7 us."""
    base = load_profile("local")
    truth = base.with_classes(
        depthwise=ClassParams(0.3, 0.4, 30.0), pointwise=ClassParams(0.9, 0.5, 20.0),
        **{"norm/activation": ClassParams(0.5, 0.6, 10.0), "elementwise": ClassParams(0.5, 0.8, 6.0)},
    )
    truth = dataclasses.replace(truth, cache_bytes=2**20)
    by_class: dict[str, list[Sample]] = {}
    for cls, network in micro_benchmarks():
        if cls in ("depthwise", "pointwise", "norm/activation", "elementwise"):
            kernels = sample(analyze(network), truth, 1.0)
            by_class.setdefault(cls, []).append(Sample(kernels.kernels, predicted_s(kernels, truth)))
    networks = []
    for widths, depths, resolution in [((8, 16, 32), (2, 3, 2), (256, 512)), ((32, 64, 128), (2, 4, 2), (512, 1024)),
                                       ((16, 32, 64), (4, 4, 4), (512, 1024))]:
        kernels = sample(api.cost("ndnet", widths=widths, depths=depths, resolution=resolution, head="none"), truth, 1.0)
        networks.append(Sample(kernels.kernels, predicted_s(kernels, truth) + 7e-6 * len(kernels.kernels)))
    start = dataclasses.replace(base, cache_bytes=2**25)
    result = fit_with_networks(start, by_class, networks, [0, 2**18, 2**20, 2**22, 2**25])
    assert result.profile.cache_bytes == 2**20
    assert set(result.cache_rms_log_error) == {0, 2**18, 2**20, 2**22, 2**25}
    assert result.cache_rms_log_error[2**20] == min(result.cache_rms_log_error.values())
    assert result.framework_overhead_us == pytest.approx(7.0, abs=0.5)
