"""Calibrating the ``local`` profile on the machine at hand.

1. Device-wide figures measured directly: peak MAC throughput (a large matrix product),
   DRAM bandwidth (copying a tensor far larger than the caches), cache bandwidth
   (copying one that fits) and the last-level cache size (from sysfs).
2. Micro-benchmarks of every op class: one-op networks built with archscope's own ops,
   over a grid of channel counts and feature-map sizes, timed in the profile's memory
   format. Each class's compute efficiency, memory efficiency and per-kernel overhead
   are fitted to its micro-benchmarks (``fit.fit_per_class``).
3. Ops in context: a few calibration networks (``validate.CalibrationSet``, NDNets by
   default) are run op by op with each op timed where it runs, in the cache state the
   previous ops leave. These timings join the micro-benchmarks of their class before the
   per-class fit (an op looped alone finds its data in cache; in a network it often
   does not). What the whole networks take beyond the sum of their ops' fitted times
   (the framework's work between ops: allocation, freeing, the graph walk, and the
   occasional slow op that a per-op median hides) becomes a per-kernel overhead added
   to every class: the median over the networks of (measured - predicted) / kernels.
   The cache capacity the model assumes is fitted the same way: the per-class fit is
   repeated for capacities from none (every byte at the DRAM rate) through powers of two
   up to the largest cache sysfs lists to all of memory (every byte at the cache rate),
   and the capacity whose profile predicts the whole calibration networks best is kept
   (``fit.fit_with_networks``; the profile records the error of every capacity tried).
   A network's ops do not see the cache a lone copy of one tensor sees: other tensors,
   weights and, on a shared machine, other tenants compete for it.
   ``archscope validate latency`` fits its MACs baseline on the same networks and never
   draws them as validation candidates.

The fitted profile is saved to the user's devices folder (``profile.user_devices_dir``)
unless another path is given.
"""

from __future__ import annotations

import itertools
import platform
import statistics
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch

from archscope.costs import analyze
from archscope.families import get_family
from archscope.graph import GraphBuilder, Network
from archscope.latency.fit import Sample, cache_candidates, fit_per_class, fit_with_networks, sample
from archscope.latency.model import kernels
from archscope.latency.measure import malloc_tuned, prepared, time_callable
from archscope.latency.profile import CLASSES, ClassParams, Combine, DeviceProfile, Fusion
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    BatchNorm2d,
    Concat,
    Conv2d,
    Linear,
    MaxPool2d,
    Op,
    Shape,
    Upsample,
)
from archscope.latency.validate import CalibrationSet

#: the networks the in-network corrections are fitted on, unless told otherwise
DEFAULT_CALIBRATION = CalibrationSet(("ndnet",), 8, ((256, 512), (512, 1024)))

SIZES = [(16, 32), (32, 64), (64, 128), (128, 256), (256, 512)]


def one_op(op: Op, *shapes: Shape) -> Network:
    """A network of a single op applied to inputs of the given shapes."""
    b = GraphBuilder(op.label())
    inputs = [b.input(s, name=f"x{i}") for i, s in enumerate(shapes)]
    with b.block("op"):
        b.add(op, *inputs, name="op")
    return b.build()


def micro_benchmarks() -> Iterator[tuple[str, Network]]:
    """(class, network) pairs covering every op class over channels and sizes."""
    for c_in, c_out, stride, (h, w) in itertools.product((3, 16, 64, 192), (16, 64), (1, 2), SIZES[1:]):
        if c_in * h * w <= 64 * 256 * 512:
            yield "conv", one_op(Conv2d(out_channels=c_out, stride=stride), Shape(1, c_in, h, w))
    for c, stride, (h, w) in itertools.product((16, 48, 128, 384, 1024), (1, 2), SIZES):
        if 32 * 64 <= h * w and c * h * w <= 96 * 256 * 512:
            yield "depthwise", one_op(Conv2d(out_channels=c, groups=c, stride=stride), Shape(1, c, h, w))
    for (c_in, c_out), (h, w) in itertools.product(((12, 48), (48, 12), (24, 96), (96, 24), (64, 256), (256, 64), (384, 96), (96, 384)), SIZES):
        if max(c_in, c_out) * h * w <= 96 * 256 * 512:
            yield "pointwise", one_op(Conv2d(out_channels=c_out, kernel_size=1), Shape(1, c_in, h, w))
    for c, (h, w) in itertools.product((16, 64, 256), SIZES):
        yield "norm/activation", one_op(BatchNorm2d(), Shape(1, c, h, w))
        yield "norm/activation", one_op(Activation(function="relu"), Shape(1, c, h, w))
        yield "elementwise", one_op(Add(), Shape(1, c, h, w), Shape(1, c, h, w))
    for c, (h, w) in itertools.product((16, 64), SIZES[1:]):
        yield "elementwise", one_op(Concat(), Shape(1, c, h, w), Shape(1, c, h, w))
        yield "pooling", one_op(MaxPool2d(kernel_size=3, stride=2, padding=1), Shape(1, c, 2 * h, 2 * w))
        yield "pooling", one_op(AdaptiveAvgPool2d(output_size=1), Shape(1, c, h, w))
    for c, (h, w), factor in itertools.product((8, 19, 64), SIZES[:4], (2, 8)):
        yield "resize", one_op(Upsample(scale_factor=factor, mode="bilinear"), Shape(1, c, h, w))
    for c, out in itertools.product((64, 256, 1024), (10, 1000)):
        yield "linear", one_op(Linear(out_features=out), Shape(1, c, 7, 7))


def time_network(network: Network, memory_format: str, device: str = "cpu") -> float:
    """Median seconds of one forward pass of a (small) network."""
    model, inputs = prepared(network, device=device, memory_format=memory_format)

    def call() -> None:
        with torch.inference_mode():
            model(*inputs)

    return time_callable(call)


def peak_macs_per_s(device: str = "cpu") -> float:
    a, b = torch.randn(2048, 2048, device=device), torch.randn(2048, 2048, device=device)
    return 2048**3 / time_callable(lambda: torch.mm(a, b))


def copy_bytes_per_s(nbytes: int, device: str = "cpu") -> float:
    src = torch.randn(nbytes // 4, device=device)
    dst = torch.empty_like(src)
    return 2 * nbytes / time_callable(lambda: dst.copy_(src))


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
    base = DeviceProfile(
        name="local",
        description=f"{name}, {torch.get_num_threads()} CPU threads, PyTorch {torch.__version__} eager, {memory_format}",
        kind="gpu" if gpu else "cpu",
        peak_macs_per_s=peak_macs_per_s(device),
        dram_bytes_per_s=copy_bytes_per_s(512 * 2**20, device),
        cache_bytes=cache,
        cache_bytes_per_s=copy_bytes_per_s(cache // 4, device),
        memory_bytes=float(torch.cuda.get_device_properties(device).total_memory) if gpu else _ram_bytes(),
        fusion=Fusion.NONE,
        combine=Combine.MAX,
        memory_format=memory_format,
        classes={c: ClassParams(0.5, 0.5, 20.0) for c in CLASSES},
        threads=torch.get_num_threads(),
    )
    samples: dict[str, list[Sample]] = {}
    benchmarks = list(micro_benchmarks())[:limit]
    for cls, network in benchmarks:
        if on_step:
            on_step(f"{cls}: {network.name}")
        seconds = time_network(network, memory_format, device)
        samples.setdefault(cls, []).append(sample(analyze(network), base, seconds, network.name))
    record: dict[str, object] = {}
    if calibration is None:
        fitted, errors = fit_per_class(base, samples)
    else:
        in_network, networks = ops_in_networks(calibration, base, device, rounds, on_round)
        for cls, found in in_network.items():
            samples.setdefault(cls, []).extend(found)
        result = fit_with_networks(base, samples, networks, cache_candidates(cache, base.memory_bytes))
        fitted, errors = result.profile, result.errors
        record = {
            **calibration.record(),
            "framework_overhead_us": round(result.framework_overhead_us, 3),
            "cache_candidates_bytes": list(result.cache_rms_log_error),
            "cache_rms_log_error": [round(e, 4) for e in result.cache_rms_log_error.values()],
        }
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    fit = {
        "method": "archscope calibrate: direct measurements, per-class least squares on op micro-benchmarks "
        "and on the ops of calibration networks timed in context",
        "date": stamp,
        "micro_benchmarks": len(benchmarks),
        "malloc_tuned": malloc_tuned(),
        **{f"rms_log_error.{cls}": round(err, 4) for cls, err in errors.items()},
        **record,
    }
    sources = {
        "peak_macs_per_s": f"measured on {device}: 2048x2048 fp32 matrix product",
        "dram_bytes_per_s": "measured: copy of a 512 MiB tensor (read + write)",
        "cache_bytes": _cache_source(fitted.cache_bytes, cache, gpu, fitted_to_networks=calibration is not None),
        "cache_bytes_per_s": f"measured: copy of a tensor of a quarter of the largest cache ({cache / 2**20:g} MiB; read + write)",
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
    for candidate, report, (op_s, total_s) in zip(candidates, reports, timed):
        for kernel in kernels(report, Fusion.NONE):
            (node,) = kernel.nodes
            samples.setdefault(kernel.op_class, []).append(Sample((kernel,), op_s[node], f"{candidate.label}:{node}"))
        networks.append(sample(report, base, total_s, candidate.label))
    return samples, networks


def time_ops_in_networks(
    networks: Sequence[Network],
    memory_format: str,
    device: str = "cpu",
    rounds: int = 11,
    on_round: Callable[[int, int], None] | None = None,
) -> list[tuple[dict[str, float], float]]:
    """Median seconds of each op where it runs in its network, and of the whole pass,
    for several networks measured interleaved (each round runs every network once)."""
    models, inputs = zip(*(prepared(n, device=device, memory_format=memory_format) for n in networks))
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def clock() -> float:
        sync()
        return time.perf_counter()

    per_op: list[dict[str, list[float]]] = [{} for _ in networks]
    totals: list[list[float]] = [[] for _ in networks]
    with torch.inference_mode():
        for round_ in range(-2, rounds):  # two warm-up rounds
            for i, (model, x) in enumerate(zip(models, inputs)):
                start = clock()
                model.run(x, clock)
                total = clock() - start
                if round_ >= 0:
                    totals[i].append(total)
                    for node, seconds in model.op_seconds.items():
                        per_op[i].setdefault(node, []).append(seconds)
            if on_round and round_ >= 0:
                on_round(round_ + 1, rounds)
    return [
        ({node: statistics.median(v) for node, v in ops.items()}, statistics.median(t)) for ops, t in zip(per_op, totals)
    ]


def _cache_source(chosen: float, largest: int, gpu: bool, *, fitted_to_networks: bool) -> str:
    listed = "torch.cuda device properties: L2 size" if gpu else "sysfs: largest CPU cache of cpu0"
    if not fitted_to_networks:
        return listed
    return (f"fitted: of capacities from none through powers of two up to the largest cache ({listed}, "
            f"{largest / 2**20:g} MiB) to all of memory, the one whose fit best predicts the calibration networks: "
            f"{chosen / 2**20:g} MiB (fit.cache_candidates_bytes, fit.cache_rms_log_error)")


def _ram_bytes() -> float:
    import os

    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8.0 * 2**30
