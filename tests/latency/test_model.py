"""The roofline-with-overhead model on hand-computed cases."""

import pytest

from archscope import api
from archscope.graph import GraphBuilder
from archscope.latency.model import kernels, predict
from archscope.latency.profile import CLASSES, ClassParams, Combine, DeviceProfile, Fusion
from archscope.ops import Activation, BatchNorm2d, Conv2d, Shape


def profile(**overrides):
    fields = dict(
        name="toy", description="", kind="cpu", peak_macs_per_s=1e9, dram_bytes_per_s=1e9, cache_bytes=0,
        cache_bytes_per_s=4e9, memory_bytes=1e9, fusion=Fusion.NONE, combine=Combine.MAX,
        memory_format="contiguous", classes={c: ClassParams(1.0, 0.5, 10.0) for c in CLASSES},
    )
    fields.update(overrides)
    return DeviceProfile(**fields)


def relu_network():
    b = GraphBuilder("relu")
    x = b.input(Shape(1, 16, 32, 32))
    with b.block("body"):
        b.add(Activation(), x, name="relu")
    return b.build()


def conv_bn_relu():
    b = GraphBuilder("cbr")
    x = b.input(Shape(1, 8, 16, 16))
    with b.block("body"):
        y = b.add(Conv2d(out_channels=8), x, name="conv")
        y = b.add(BatchNorm2d(), y, name="bn")
        b.add(Activation(), y, name="relu")
    return b.build()


def test_memory_bound_kernel():
    # 16384 elements read and written, 4 bytes each: 131072 bytes at 1 GB/s x 0.5
    [k] = predict(api.cost(relu_network()), profile()).kernel_times
    assert k.memory_s == pytest.approx(131072 / 1e9 / 0.5)
    assert k.compute_s == pytest.approx(16384 / 1e9)
    assert k.time_s == pytest.approx(262.144e-6 + 10e-6)
    assert k.bound == "memory"


def test_cache_share_of_traffic():
    # half of the 131072 bytes fit the 65536-byte cache: 0.5/4e9 + 0.5/1e9 per byte
    [k] = predict(api.cost(relu_network()), profile(cache_bytes=65536)).kernel_times
    assert k.memory_s == pytest.approx(131072 * (0.5 / 4e9 + 0.5 / 1e9) / 0.5)


def test_sum_combination():
    [k] = predict(api.cost(relu_network()), profile(combine=Combine.SUM)).kernel_times
    assert k.time_s == pytest.approx(k.compute_s + k.memory_s + 10e-6)


def test_compute_bound_conv_and_totals():
    report = api.cost(conv_bn_relu())
    prediction = predict(report, profile())
    conv = prediction.kernel_times[0]
    assert conv.compute_s == pytest.approx(9 * 8 * 8 * 256 / 1e9)
    assert conv.bound == "compute"
    assert prediction.kernels == 3
    assert prediction.latency_ms == pytest.approx(1e3 * sum(k.time_s for k in prediction.kernel_times))
    assert prediction.fps == pytest.approx(1e3 / prediction.latency_ms)
    assert sum(prediction.by_class_ms.values()) == pytest.approx(prediction.latency_ms)
    assert set(prediction.by_class_ms) == {"conv", "norm/activation"}
    assert prediction.overhead_ms == pytest.approx(0.03)


def test_conv_bn_act_fusion_drops_intermediate_traffic():
    report = api.cost(conv_bn_relu())
    fused = kernels(report, Fusion.CONV_BN_ACT)
    assert [k.nodes for k in fused] == [("body.conv", "body.bn", "body.relu")]
    conv, bn, relu = (r.total for r in report.records[1:])
    expected = conv.read_bytes + relu.write_bytes + (bn.read_bytes - 8 * 16 * 16 * 4)  # BN's stats still read
    assert fused[0].traffic_bytes == expected
    assert fused[0].macs == conv.macs


def test_fusion_needs_a_single_consumer():
    b = GraphBuilder("branch")
    x = b.input(Shape(1, 4, 8, 8))
    with b.block("body"):
        y = b.add(Conv2d(out_channels=4), x, name="conv")
        b.add(BatchNorm2d(), y, name="bn")
        b.add(Activation(), y, name="relu")  # second consumer of the conv
    assert len(kernels(api.cost(b.build()), Fusion.CONV_BN_ACT)) == 3


def test_ndnet_latency_breakdowns_cover_every_block():
    report = api.cost("ndnet", widths=(8, 16, 32), depths=(1, 2, 1), resolution=(64, 128))
    prediction = api.latency(report, "titanx")
    assert set(prediction.by_block_ms) == {"stem", "block1", "block2", "block3", "head"}
    assert sum(prediction.by_block_ms.values()) == pytest.approx(prediction.latency_ms)


def test_symbolic_network_is_refused():
    import sympy

    report = api.cost("ndnet", depths=(sympy.Symbol("d", positive=True, integer=True), 1, 1))
    with pytest.raises(ValueError, match="concrete"):
        predict(report, profile())


def one_conv(out_channels, groups=1, in_channels=32):
    b = GraphBuilder("conv")
    x = b.input(Shape(1, in_channels, 16, 16))
    with b.block("body"):
        b.add(Conv2d(out_channels=out_channels, groups=groups), x, name="conv")
    return b.build()


def test_convs_compute_whole_channel_blocks():
    """Measured on an AVX2 CPU: a channels-last 3x3 conv to 19 output channels takes as
    long as one to 32, its kernel computing 16 at a time."""
    blocked = profile(channel_block=16)
    [k19] = predict(api.cost(one_conv(19)), blocked).kernel_times
    [k32] = predict(api.cost(one_conv(32)), blocked).kernel_times
    assert k19.compute_s == pytest.approx(k32.compute_s) == pytest.approx(9 * 32 * 32 * 256 / 1e9)
    [plain] = predict(api.cost(one_conv(19)), profile()).kernel_times
    assert plain.compute_s == pytest.approx(9 * 32 * 19 * 256 / 1e9)
    # grouped convs run another kernel: their work is not rounded up
    [grouped] = predict(api.cost(one_conv(36, groups=4)), blocked).kernel_times
    assert grouped.compute_s == pytest.approx(9 * 8 * 36 * 256 / 1e9)


def test_time_per_output_position_adds_to_compute():
    classes = {c: ClassParams(1.0, 0.5, 10.0, position_ns=2.0) for c in CLASSES}
    [k] = predict(api.cost(one_conv(8, in_channels=4)), profile(classes=classes)).kernel_times
    assert k.compute_s == pytest.approx(9 * 4 * 8 * 256 / 1e9 + 256 * 2e-9)
