"""Calibration fits recover known parameters from synthetic measurements."""

import dataclasses

import pytest

from archscope import api
from archscope.latency.calibrate import micro_benchmarks
from archscope.latency.fit import (
    Sample,
    fit_device_wide,
    fit_per_class,
    fit_with_networks,
    predicted_s,
    sample,
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
    by_kind = {}
    for kind, network in micro_benchmarks():
        if kind.split(":")[0] in ("depthwise", "norm/activation"):
            report = analyze(network)
            by_kind.setdefault(kind, []).append(sample(report, base, predicted_s(sample(report, truth, 1.0), truth)))
    fitted, errors = fit_per_class(base, by_kind)
    assert fitted.classes["depthwise"].memory_efficiency == pytest.approx(0.3, rel=0.03)
    assert fitted.classes["depthwise"].overhead_us == pytest.approx(40.0, rel=0.05)
    for name in ("norm/activation", "norm/activation:bn", "norm/activation:relu"):  # the class and its kinds
        assert fitted.params(name).memory_efficiency == pytest.approx(0.7, rel=0.03), name
        assert fitted.params(name).overhead_us == pytest.approx(8.0, rel=0.05), name
    assert max(errors.values()) < 1e-3
    assert fitted.classes["conv"] == base.classes["conv"]  # classes without data keep their values


def test_pooling_windows_get_their_own_parameters_and_their_kind_one_over_all_windows():
    base = load_profile("local")
    truth = base.with_classes(**{"pooling:maxpool:3x3": ClassParams(0.5, 0.3, 9.0),
                                 "pooling:maxpool:2x2": ClassParams(0.5, 0.6, 3.0)})
    by_kind = {}
    for kind, network in micro_benchmarks():
        if kind.startswith("pooling:maxpool"):
            report = analyze(network)
            by_kind.setdefault(kind, []).append(sample(report, base, predicted_s(sample(report, truth, 1.0), truth)))
    assert set(by_kind) == {"pooling:maxpool:3x3", "pooling:maxpool:2x2"}
    fitted, errors = fit_per_class(base, by_kind)
    assert fitted.params("pooling:maxpool:3x3").memory_efficiency == pytest.approx(0.3, rel=0.03)
    assert fitted.params("pooling:maxpool:2x2").memory_efficiency == pytest.approx(0.6, rel=0.03)
    # the kind over both windows lies between them, and a window never benchmarked uses it
    assert 0.3 < fitted.params("pooling:maxpool:5x5").memory_efficiency < 0.6
    assert errors["pooling:maxpool"] > 10 * max(errors["pooling:maxpool:3x3"], errors["pooling:maxpool:2x2"])


def _corrected_samples(kind: str, correction) -> tuple:
    """The micro-benchmarks of ``kind`` timed by the local profile with ``correction`` on
    its op class: (the profile without it, samples by kind)."""
    base = load_profile("local")
    truth = dataclasses.replace(base, residuals={kind.split(":")[0]: correction})
    samples: dict[str, list[Sample]] = {}
    for found, network in micro_benchmarks():
        if found == kind:
            report = analyze(network)
            samples.setdefault(kind, []).append(sample(report, base, predicted_s(sample(report, truth, 1.0), truth)))
    return base, samples


def test_a_learned_correction_recovers_what_the_roofline_misses():
    """Relu kernels timed 1.5x slower per halving of their channels (a loop over few
    channels vectorises badly): the correction learns the slope; the roofline alone cannot."""
    from archscope.latency.fit import fit_residuals
    from archscope.latency.profile import Residual

    # exp(-0.58) ~ 1/1.5 per doubling of channels
    slope = Residual((-0.58, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), (6.0, 6.0, 14.0, 20.0, 0.0, 0.0, 0.0, 0.0))
    base, samples = _corrected_samples("norm/activation:relu", slope)
    plain, _ = fit_per_class(base, samples)
    fitted, errors = fit_residuals(plain, samples)
    owner = "norm/activation:relu" if "norm/activation:relu" in plain.classes else "norm/activation"
    w = fitted.residuals[owner].weights  # in and out channels and bytes all double with the channels
    assert w[0] + w[1] + w[3] < -0.25  # slower for fewer channels (the roofline took part of it already)
    truth_s = [s.measured_s for s in samples["norm/activation:relu"]]
    roofline = [predicted_s(s, plain) / t for s, t in zip(samples["norm/activation:relu"], truth_s)]
    corrected = [predicted_s(s, fitted) / t for s, t in zip(samples["norm/activation:relu"], truth_s)]
    assert max(abs(r - 1) for r in corrected) < max(abs(r - 1) for r in roofline) / 2


def test_the_correction_learns_the_cost_of_unaligned_channels():
    """PReLU kernels timed 3x slower when their channel count is odd: the correction's
    odd-channel weight learns it."""
    from archscope.latency.fit import fit_residuals
    from archscope.latency.profile import Residual

    odd = Residual((0.0,) * 6 + (1.1, 0.0), (6.0, 6.0, 14.0, 20.0, 0.0, 0.0, 0.0, 0.0))  # exp(1.1) ~ 3
    base, samples = _corrected_samples("norm/activation:prelu", odd)
    assert {s.kernels[0].features(base.cache_bytes)[6] for s in samples["norm/activation:prelu"]} == {0.0, 1.0}
    plain, _ = fit_per_class(base, samples)
    fitted, _ = fit_residuals(plain, samples)
    owner = "norm/activation:prelu" if "norm/activation:prelu" in plain.classes else "norm/activation"
    w = fitted.residuals[owner].weights
    assert w[6] > 0.5



def test_a_profile_refuses_a_negative_cache():
    with pytest.raises(ProfileError, match="cache_bytes must be >= 0, got -1"):
        dataclasses.replace(load_profile("local"), cache_bytes=-1)


def test_network_fit_recovers_the_class_parameters_and_the_framework_overhead():
    """Micro-benchmarks and whole NDNets timed by a known profile (7 us of framework time
    per kernel in the networks): the fit finds the classes' parameters and the 7 us."""
    base = load_profile("local")
    truth = base.with_classes(
        depthwise=ClassParams(0.3, 0.4, 30.0), pointwise=ClassParams(0.9, 0.5, 20.0),
        **{"norm/activation": ClassParams(0.5, 0.6, 10.0), "elementwise": ClassParams(0.5, 0.8, 6.0)},
    )
    by_class: dict[str, list[Sample]] = {}
    for cls, network in micro_benchmarks():
        if cls in ("depthwise", "pointwise", "norm/activation:bn", "norm/activation:relu", "elementwise:add"):
            kernels = sample(analyze(network), truth, 1.0)
            by_class.setdefault(cls, []).append(Sample(kernels.kernels, predicted_s(kernels, truth)))
    networks = []
    for widths, depths, resolution in [((8, 16, 32), (2, 3, 2), (256, 512)), ((32, 64, 128), (2, 4, 2), (512, 1024)),
                                       ((16, 32, 64), (4, 4, 4), (512, 1024))]:
        kernels = sample(api.cost("ndnet", widths=widths, depths=depths, resolution=resolution, head="none"), truth, 1.0)
        networks.append(Sample(kernels.kernels, predicted_s(kernels, truth) + 7e-6 * len(kernels.kernels)))
    result = fit_with_networks(base, by_class, networks, residuals=False)
    assert result.profile.params("pointwise").compute_efficiency == pytest.approx(0.9, rel=0.05)
    assert result.network_rms_log_error < 0.02
    assert result.framework_overhead_us == pytest.approx(7.0, abs=0.5)
    assert result.profile.kernel_overhead_us == pytest.approx(7.0, abs=0.5)


def test_per_class_fit_recovers_a_time_per_output_position_under_channel_blocks():
    base = dataclasses.replace(load_profile("local"), channel_block=16)
    truth = base.with_classes(**{"conv:3x3": ClassParams(0.8, 0.4, 30.0, position_ns=6.0)})
    by_kind = {}
    for kind, network in micro_benchmarks():
        if kind == "conv:3x3":
            report = analyze(network)
            by_kind.setdefault(kind, []).append(sample(report, base, predicted_s(sample(report, truth, 1.0), truth)))
    fitted, errors = fit_per_class(base, by_kind)
    params = fitted.params("conv:3x3")
    assert params.position_ns == pytest.approx(6.0, rel=0.05)
    assert params.compute_efficiency == pytest.approx(0.8, rel=0.03)
    assert errors["conv:3x3"] < 1e-3


def test_the_correction_bends_at_the_edge_of_the_cache():
    """BN kernels timed 2x slower once their traffic outgrows the cache (share beyond it
    1): the correction's DRAM-share weight learns it, which log sizes alone cannot."""
    from archscope.latency.fit import fit_residuals
    from archscope.latency.profile import Residual

    beyond = Residual((0.0,) * 7 + (0.7,), (6.0, 6.0, 14.0, 20.0, 0.0, 0.0, 0.0, 0.0))  # exp(0.7) ~ 2
    base, samples = _corrected_samples("norm/activation:bn", beyond)
    shares = [s.kernels[0].features(base.cache_bytes)[7] for s in samples["norm/activation:bn"]]
    assert min(shares) == 0.0 and max(shares) > 0.5
    plain, _ = fit_per_class(base, samples)
    fitted, _ = fit_residuals(plain, samples)
    owner = "norm/activation:bn" if "norm/activation:bn" in plain.classes else "norm/activation"
    assert fitted.residuals[owner].weights[7] > 0.3
