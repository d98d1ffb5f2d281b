"""Calibrating the ``local`` profile on the machine at hand.

1. Device-wide figures measured directly: peak MAC throughput (a large matrix product),
   the bandwidth curve (copies of tensors from 16 KiB to 512 MiB: the rate a kernel
   moving that many bytes sees, cache levels and DRAM; its last point is the DRAM
   bandwidth, its fastest the cache bandwidth), the largest cache size (sysfs) and the
   conv kernels' channel block (``channel_block``: a channels-last conv to 19 output
   channels takes as long as one to 32 on an AVX2 CPU, its kernel computing 16 at a time).
2. Micro-benchmarks of every kernel kind (``Op.latency_class``: ``conv:3x3``,
   ``conv:grouped``, ``norm/activation:bn``, ``pooling:maxpool``, ...): one-op networks
   built with archscope's own ops over a grid of channel counts and feature-map sizes
   (the segmentation families' and the 7x7-56x56 maps of a classifier, and channel
   counts that are not a multiple of the vector width), timed in the profile's memory
   format, in ``MICRO_PASSES`` passes of a shuffled order, each keeping its fastest
   pass (a busy minute on a shared machine then slows a few benchmarks of every kind,
   which the fit averages out, instead of all the benchmarks of one kind).
3. Ops in context: calibration networks (``validate.CalibrationSet``: by default three
   of every registered family, one at each of three input sizes) run op by op, each op
   timed where it runs, in the cache state the previous ops leave (an op looped alone
   finds its data in cache; in a network it often does not). These samples join the
   micro-benchmarks of their kind.
4. The fit (``fit.fit_with_networks``): each op class's compute efficiency, memory
   efficiency, overhead and time per output position by least squares on log time over
   all its samples, then each kind with enough samples its own; then per kind a learned
   correction of what the roofline leaves (``fit.fit_residuals``: ridge regression of the
   log ratio on the kernel's shape and the share of its traffic beyond the cache,
   ``profile.FEATURES``). What the whole networks take beyond the sum of
   their ops' timed times (the framework's work between ops: allocation, freeing, the
   graph walk) becomes a per-kernel overhead: the median over the networks of
   (whole pass - its timed ops) / kernels.
   ``archscope validate latency`` fits its MACs baseline on the same networks and never
   draws them as validation candidates.

The fitted profile is saved to the user's devices folder (``profile.user_devices_dir``)
unless another path is given.
"""

from __future__ import annotations

import itertools
import math
import platform
import random
import statistics
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from archscope.costs import analyze
from archscope.families import FAMILIES, get_family
from archscope.graph import GraphBuilder, Network
from archscope.latency.fit import Sample, fit_per_class, fit_with_networks, sample
from archscope.latency.model import kernels
from archscope.latency.measure import malloc_tuned, prepared, time_callable
from archscope.latency.profile import CLASSES, ClassParams, Combine, DeviceProfile, Fusion
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    AvgPool2d,
    BatchNorm2d,
    Binary,
    ChannelPad,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Copy,
    Linear,
    MaxPool2d,
    Op,
    Scalar,
    Shape,
    Upsample,
)
from archscope.latency.validate import CalibrationSet

#: the networks the in-network corrections are fitted on, unless told otherwise: every
#: registered family at three input sizes, so that the classifier-sized feature maps of
#: a user's 224x224 module are in range too (192x384: the smallest size ICNet's 1/32 pyramid takes)
NETWORKS_PER_FAMILY = 3
DEFAULT_CALIBRATION = CalibrationSet(tuple(FAMILIES), NETWORKS_PER_FAMILY * len(FAMILIES), ((192, 384), (256, 512), (512, 1024)))
#: tensor sizes copied for the bandwidth curve: 16 KiB to 512 MiB
COPY_BYTES = tuple(2**k for k in range(14, 30))

SIZES = [(16, 32), (32, 64), (64, 128), (128, 256), (256, 512)]
#: a 224x224 classifier's feature maps, from its first stage to its last
CLASSIFIER_SIZES = [(7, 7), (14, 14), (28, 28), (56, 56)]


def one_op(op: Op, *shapes: Shape) -> Network:
    """A network of a single op applied to inputs of the given shapes."""
    b = GraphBuilder(op.label())
    inputs = [b.input(s, name=f"x{i}") for i, s in enumerate(shapes)]
    with b.block("op"):
        b.add(op, *inputs, name="op")
    return b.build()


def _kind(op: Op, *shapes: Shape) -> tuple[str, Network]:
    return op.latency_class(list(shapes)), one_op(op, *shapes)


def _fits(channels: int, h: int, w: int, limit: int = 96 * 256 * 512) -> bool:
    return channels * h * w <= limit


def micro_benchmarks() -> Iterator[tuple[str, Network]]:
    """(kernel kind, network) pairs covering every kind of kernel the families and
    common imported modules run, over channels and feature-map sizes."""
    yield from _conv_benchmarks()
    yield from _norm_activation_benchmarks()
    yield from _memory_benchmarks()
    yield from _classifier_benchmarks()
    yield from _unaligned_benchmarks()
    for c, out in itertools.product((64, 256, 1024), (10, 1000)):
        yield _kind(Linear(out_features=out), Shape(1, c, 7, 7))


def _conv_benchmarks() -> Iterator[tuple[str, Network]]:
    for c_in, c_out, stride, (h, w) in itertools.product((3, 16, 64, 192), (16, 64), (1, 2), SIZES[1:]):
        if _fits(c_in, h, w, 64 * 256 * 512):
            yield _kind(Conv2d(out_channels=c_out, stride=stride), Shape(1, c_in, h, w))
    for c, kernel, (h, w) in itertools.product((16, 64, 128), ((3, 1), (1, 3), (5, 1), (1, 5)), SIZES[2:]):
        if _fits(c, h, w):
            yield _kind(Conv2d(out_channels=c, kernel_size=kernel), Shape(1, c, h, w))
    for c, (kernel, dilation), (h, w) in itertools.product((32, 128), (((3, 3), 2), ((3, 1), 4), ((1, 3), 8)), SIZES[2:]):
        if _fits(c, h, w):
            yield _kind(Conv2d(out_channels=c, kernel_size=kernel, dilation=dilation), Shape(1, c, h, w))
    for (c_in, c_out, kernel, stride), (h, w) in itertools.product(
            ((3, 13, 3, 2), (16, 16, 2, 2), (3, 32, 5, 1), (3, 64, 7, 2), (64, 64, 5, 1)), SIZES[1:]):
        yield _kind(Conv2d(out_channels=c_out, kernel_size=kernel, stride=stride), Shape(1, c_in, h, w))
    for c, groups, (h, w) in itertools.product((32, 64, 128), (2, 4, 8, 16), SIZES[2:]):
        if _fits(c, h, w):
            yield _kind(Conv2d(out_channels=c, groups=groups), Shape(1, c, h, w))
    for (c_in, c_out, kernel), (h, w) in itertools.product(((128, 64, 3), (64, 16, 3), (16, 19, 2), (128, 64, 2),
                                                           (19, 19, 2)), SIZES):
        if not _fits(max(c_in, c_out), 2 * h, 2 * w, 32 * 512 * 1024):
            continue
        padding, extra = (1, 1) if kernel == 3 else (0, 0)
        yield _kind(ConvTranspose2d(out_channels=c_out, kernel_size=kernel, stride=2, padding=padding,
                                    output_padding=extra), Shape(1, c_in, h, w))
    for c, stride, (h, w) in itertools.product((16, 48, 128, 384, 1024), (1, 2), SIZES):
        if 32 * 64 <= h * w and _fits(c, h, w):
            yield _kind(Conv2d(out_channels=c, groups=c, stride=stride), Shape(1, c, h, w))
    pairs = ((12, 48), (48, 12), (24, 96), (96, 24), (64, 256), (256, 64), (384, 96), (96, 384))
    for (c_in, c_out), (h, w) in itertools.product(pairs, SIZES):
        if _fits(max(c_in, c_out), h, w):
            yield _kind(Conv2d(out_channels=c_out, kernel_size=1), Shape(1, c_in, h, w))


def _norm_activation_benchmarks() -> Iterator[tuple[str, Network]]:
    # few channels matter: channels-last kernels vectorise over channels
    for c, (h, w) in itertools.product((8, 16, 64, 256), SIZES):
        shape = Shape(1, c, h, w)
        for op in (BatchNorm2d(), Activation(function="relu"), Activation(function="prelu"),
                   Activation(function="hardswish"), Activation(function="sigmoid")):
            yield _kind(op, shape)


def _unaligned_benchmarks() -> Iterator[tuple[str, Network]]:
    """Channel counts that are not a multiple of the vector width (ESPNet's branch
    splits, a class count of 19, an RGB image), which channels-last kernels run slower."""
    for c, (h, w) in itertools.product((11, 19, 21, 67), SIZES[1:4]):
        shape = Shape(1, c, h, w)
        for op in (Conv2d(out_channels=c), BatchNorm2d(), Activation(function="relu"), Activation(function="prelu"),
                   Conv2d(out_channels=c + 1, kernel_size=1)):
            yield _kind(op, shape)
    for (h, w), kernel in itertools.product(SIZES[1:], (2, 3)):
        yield _kind(AvgPool2d(kernel_size=kernel, stride=2, padding=kernel // 2 if kernel == 3 else 0),
                    Shape(1, 3, 2 * h, 2 * w))


def _memory_benchmarks() -> Iterator[tuple[str, Network]]:
    for c, (h, w) in itertools.product((16, 64, 256), SIZES):
        shape = Shape(1, c, h, w)
        yield _kind(Add(), shape, shape)
        yield _kind(Binary(operation="mul"), shape, Shape(1, c, 1, 1))
        yield _kind(Scalar(operation="add", value=3.0), shape)
    for c, (h, w) in itertools.product((16, 64), SIZES[1:]):
        shape = Shape(1, c, h, w)
        yield _kind(Concat(), shape, shape)
        yield _kind(Copy(), shape)
        yield _kind(ChannelPad(channels=2 * c), shape)
        yield _kind(MaxPool2d(kernel_size=3, stride=2, padding=1), Shape(1, c, 2 * h, 2 * w))
        yield _kind(MaxPool2d(kernel_size=2), Shape(1, c, 2 * h, 2 * w))
        yield _kind(AvgPool2d(kernel_size=3, stride=2, padding=1), Shape(1, c, 2 * h, 2 * w))
        yield _kind(AvgPool2d(kernel_size=2), Shape(1, c, 2 * h, 2 * w))
        yield _kind(AvgPool2d(kernel_size=3, stride=1, padding=1), shape)
        yield _kind(AdaptiveAvgPool2d(output_size=1), shape)
        yield _kind(AdaptiveAvgPool2d(output_size=6), shape)
    for c, (h, w), factor, mode in itertools.product((8, 19, 64), SIZES[:4], (2, 8), ("bilinear", "nearest")):
        yield _kind(Upsample(scale_factor=factor, mode=mode), Shape(1, c, h, w))


def _classifier_benchmarks() -> Iterator[tuple[str, Network]]:
    """Small maps with many channels: the regime of a classifier's later stages (ResNet,
    MobileNet), which the segmentation families' grid does not reach."""
    limit = 256 * 56 * 56
    for c, stride, (h, w) in itertools.product((64, 128, 256, 512), (1, 2), CLASSIFIER_SIZES):
        if _fits(c, h, w, limit):
            yield _kind(Conv2d(out_channels=c, stride=stride), Shape(1, c // stride, h * stride, w * stride))
    pairs = ((16, 96), (96, 24), (144, 40), (240, 80), (480, 112), (672, 160), (160, 960), (256, 512))
    for (c_in, c_out), (h, w) in itertools.product(pairs, CLASSIFIER_SIZES):
        if _fits(max(c_in, c_out), h, w, limit):
            yield _kind(Conv2d(out_channels=c_out, kernel_size=1), Shape(1, c_in, h, w))
    for c, kernel, (h, w) in itertools.product((96, 240, 576, 960), (3, 5), CLASSIFIER_SIZES):
        if _fits(c, h, w, limit):
            yield _kind(Conv2d(out_channels=c, kernel_size=kernel, groups=c), Shape(1, c, h, w))
    for c, (h, w) in itertools.product((64, 256, 960), CLASSIFIER_SIZES):
        shape = Shape(1, c, h, w)
        for op in (BatchNorm2d(), Activation(function="relu"), Activation(function="hardswish"), Add()):
            yield _kind(op, *([shape] * (2 if isinstance(op, Add) else 1)))


def time_network(network: Network, memory_format: str, device: str = "cpu") -> float:
    """Median seconds of one forward pass of a (small) network."""
    model, inputs = prepared(network, device=device, memory_format=memory_format)

    def call() -> None:
        with torch.inference_mode():
            model(*inputs)

    return time_callable(call)


#: times each micro-benchmark is timed, every pass in its own shuffled order (module docstring)
MICRO_PASSES = 2


def time_micro_benchmarks(
    benchmarks: Sequence[tuple[str, Network]],
    memory_format: str,
    device: str = "cpu",
    *,
    passes: int = MICRO_PASSES,
    on_step: Callable[[str], None] | None = None,
) -> list[float]:
    """Seconds of each benchmark's forward pass: the fastest of ``passes`` medians, the
    passes in seeded shuffled orders."""
    fastest = [float("inf")] * len(benchmarks)
    shuffle = random.Random(0).shuffle
    for done in range(passes):
        order = list(range(len(benchmarks)))
        shuffle(order)
        for index in order:
            kind, network = benchmarks[index]
            if on_step:
                on_step(f"pass {done + 1}/{passes}: {kind}: {network.name}")
            fastest[index] = min(fastest[index], time_network(network, memory_format, device))
    return fastest


def peak_macs_per_s(device: str = "cpu") -> float:
    a, b = torch.randn(2048, 2048, device=device), torch.randn(2048, 2048, device=device)
    return 2048**3 / time_callable(lambda: torch.mm(a, b))


def copy_bytes_per_s(nbytes: int, device: str = "cpu") -> float:
    src = torch.randn(nbytes // 4, device=device)
    dst = torch.empty_like(src)
    return 2 * nbytes / time_callable(lambda: dst.copy_(src))


def bandwidth_curve(device: str = "cpu") -> tuple[tuple[float, float], ...]:
    """(bytes moved, bytes per second) of copying tensors of :data:`COPY_BYTES`: the
    memory hierarchy as a kernel that moves that many bytes meets it."""
    return tuple((2.0 * n, copy_bytes_per_s(n, device)) for n in COPY_BYTES)


#: output channels of the convs timed to find the channel block, and the blocks tried
BLOCK_PROBE_CHANNELS = (4, 8, 12, 16, 20, 24, 32, 40, 48, 64)
CHANNEL_BLOCKS = (1, 4, 8, 16, 32)


def channel_block(memory_format: str, device: str = "cpu") -> int:
    """How many output channels the device's conv kernels compute at a time: 3x3 convs
    from 32 channels to :data:`BLOCK_PROBE_CHANNELS` timed on a 128x256 map, and the block
    of :data:`CHANNEL_BLOCKS` under which time ∝ output channels rounded up to whole
    blocks explains them best (least variance of the log ratio; the smaller on a tie)."""
    seconds = np.array([time_network(one_op(Conv2d(out_channels=c), Shape(1, 32, 128, 256)), memory_format, device)
                        for c in BLOCK_PROBE_CHANNELS])

    def spread(block: int) -> float:
        rounded = np.array([math.ceil(c / block) * block for c in BLOCK_PROBE_CHANNELS])
        return float(np.var(np.log(seconds / rounded)))

    return min(CHANNEL_BLOCKS, key=lambda block: (round(spread(block), 4), block))


def last_level_cache_bytes(device: str = "cpu") -> int:
    """The GPU's L2 size, or the largest CPU cache listed in sysfs (32 MB if none)."""
    if device.startswith("cuda"):
        return int(torch.cuda.get_device_properties(device).L2_cache_size)
    sizes = []
    for path in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = path.read_text().strip().upper()
        scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1], 1)
        sizes.append(int(text.rstrip("KMG")) * scale)
    return max(sizes, default=32 * 2**20)


def calibrate_local(
    *,
    threads: int | None = None,
    memory_format: str | None = None,
    device: str | None = None,
    on_step: Callable[[str], None] | None = None,
    limit: int | None = None,
    calibration: CalibrationSet | None = DEFAULT_CALIBRATION,
    rounds: int = 11,
    on_round: Callable[[int, int], None] | None = None,
) -> tuple[DeviceProfile, dict[str, float]]:
    """Measure this machine (its CUDA GPU when torch sees one, else its CPU) and fit the
    ``local`` profile; returns it with the RMS log error of each class's fit.
    ``calibration=None`` leaves out the ops in context (stage 3)."""
    if threads is not None:
        torch.set_num_threads(threads)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    gpu = device.startswith("cuda")
    memory_format = memory_format or ("contiguous" if gpu else "channels_last")
    cache = last_level_cache_bytes(device)
    name = torch.cuda.get_device_name(device) if gpu else f"{platform.processor() or platform.machine()} CPU"
    first_curve = bandwidth_curve(device)
    benchmarks = list(micro_benchmarks())[:limit]
    seconds = time_micro_benchmarks(benchmarks, memory_format, device, on_step=on_step)
    # the fastest of two curves, one before and one after the micro-benchmarks
    curve = tuple((size, max(a, b)) for (size, a), (_, b) in zip(first_curve, bandwidth_curve(device)))
    base = DeviceProfile(
        name="local",
        description=f"{name}, {torch.get_num_threads()} CPU threads, PyTorch {torch.__version__} eager, {memory_format}",
        kind="gpu" if gpu else "cpu",
        peak_macs_per_s=peak_macs_per_s(device),
        dram_bytes_per_s=curve[-1][1],
        cache_bytes=cache,
        cache_bytes_per_s=max(rate for _, rate in curve),
        memory_bytes=float(torch.cuda.get_device_properties(device).total_memory) if gpu else _ram_bytes(),
        fusion=Fusion.NONE,
        combine=Combine.MAX,
        memory_format=memory_format,
        classes={c: ClassParams(0.5, 0.5, 20.0) for c in CLASSES},
        threads=torch.get_num_threads(),
        bandwidth_curve=curve,
        channel_block=channel_block(memory_format, device),
    )
    samples: dict[str, list[Sample]] = {}
    for (cls, network), took_s in zip(benchmarks, seconds):
        samples.setdefault(cls, []).append(sample(analyze(network), base, took_s, network.name))
    record: dict[str, object] = {}
    if calibration is None:
        fitted, errors = fit_per_class(base, samples)
    else:
        in_network, networks = ops_in_networks(calibration, base, device, rounds, on_round)
        for cls, found in in_network.items():
            samples.setdefault(cls, []).extend(found)
        result = fit_with_networks(base, samples, networks)
        fitted, errors = result.profile, result.errors
        record = {
            **calibration.record(),
            "framework_overhead_us": round(result.framework_overhead_us, 3),
            "network_rms_log_error": round(result.network_rms_log_error, 4),
        }
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    fit = {
        "method": "archscope calibrate: direct measurements, per-class least squares on op micro-benchmarks "
        "and on the ops of calibration networks timed in context",
        "date": stamp,
        "micro_benchmarks": len(benchmarks),
        "micro_passes": MICRO_PASSES,
        "malloc_tuned": malloc_tuned(),
        **{f"rms_log_error.{name}": round(err, 4) for name, err in errors.items()},
        **record,
    }
    sources = {
        "peak_macs_per_s": f"measured on {device}: 2048x2048 fp32 matrix product",
        "dram_bytes_per_s": "measured: copy of a 512 MiB tensor (read + write)",
        "bandwidth_curve": "measured: copies (read + write) of tensors from 16 KiB to 512 MiB, the faster of "
        "two measurements (before and after the micro-benchmarks)",
        "cache_bytes": "torch.cuda device properties: L2 size" if gpu else "sysfs: largest CPU cache of cpu0",
        "cache_bytes_per_s": "measured: the fastest copy of the bandwidth curve",
        "channel_block": "measured: 3x3 convs from 32 channels to 4-64 on a 128x256 map, the block of output "
        "channels whose rounding up explains their times best",
        "memory_bytes": "torch.cuda device properties" if gpu else "os.sysconf: physical memory",
    }
    return replace(fitted, fit=fit, sources=sources), errors


def ops_in_networks(
    calibration: CalibrationSet,
    base: DeviceProfile,
    device: str,
    rounds: int,
    on_round: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, list[Sample]], list[Sample]]:
    """Each calibration network's ops timed in context, as samples by class, and each
    whole network as a sample."""
    candidates = calibration.candidates()
    reports = [analyze(get_family(c.family).network(**c.hyper)) for c in candidates]
    timed = time_ops_in_networks([r.network for r in reports], base.memory_format, device, rounds, on_round)
    samples: dict[str, list[Sample]] = {}
    networks = []
    for candidate, report, network in zip(candidates, reports, timed):
        for kernel in kernels(report, Fusion.NONE):
            (node,) = kernel.nodes
            samples.setdefault(kernel.latency_class, []).append(Sample((kernel,), network.op_s[node], f"{candidate.label}:{node}"))
        whole = sample(report, base, network.total_s, candidate.label)
        networks.append(replace(whole, framework_s=network.between_s))
    return samples, networks


@dataclass(frozen=True)
class TimedOps:
    """One network timed op by op: each op's median seconds where it runs, the whole
    pass's median, and the median over rounds of what the pass took beyond its ops (the
    framework's work between them: per round, so that an op slowed in one round does not
    count as framework time)."""

    op_s: dict[str, float]
    total_s: float
    between_s: float


def time_ops_in_networks(
    networks: Sequence[Network],
    memory_format: str,
    device: str = "cpu",
    rounds: int = 11,
    on_round: Callable[[int, int], None] | None = None,
) -> list[TimedOps]:
    """Each op of several networks timed where it runs, and each whole pass, measured
    interleaved (each round runs every network once)."""
    models, inputs = zip(*(prepared(n, device=device, memory_format=memory_format) for n in networks))
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def clock() -> float:
        sync()
        return time.perf_counter()

    per_op: list[dict[str, list[float]]] = [{} for _ in networks]
    totals: list[list[float]] = [[] for _ in networks]
    between: list[list[float]] = [[] for _ in networks]
    with torch.inference_mode():
        for round_ in range(-2, rounds):  # two warm-up rounds
            for i, (model, x) in enumerate(zip(models, inputs)):
                start = clock()
                model.run(x, clock)
                total = clock() - start
                if round_ >= 0:
                    totals[i].append(total)
                    between[i].append(total - sum(model.op_seconds.values()))
                    for node, seconds in model.op_seconds.items():
                        per_op[i].setdefault(node, []).append(seconds)
            if on_round and round_ >= 0:
                on_round(round_ + 1, rounds)
    return [
        TimedOps({node: statistics.median(v) for node, v in ops.items()}, statistics.median(t), statistics.median(b))
        for ops, t, b in zip(per_op, totals, between)
    ]


def _ram_bytes() -> float:
    import os

    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8.0 * 2**30
