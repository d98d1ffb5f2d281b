"""Roofline-with-overhead latency model.

A network runs as a sequence of kernels (one per op, or fused groups under the profile's
fusion rule). Each kernel takes

    compute = (macs + vector_ops) · blocking / (peak_macs_per_s · compute_efficiency)
              + positions · position_ns                  (the loop over output pixels)
              blocking: for the conv kinds computed in blocks of ``channel_block``
              output channels, (output channels rounded up to a block) / output channels
    memory  = traffic · seconds_per_byte(traffic) / memory_efficiency
              seconds_per_byte: the device's measured copy rate for that many bytes
              (profile.bandwidth_curve, a calibrated CPU's cache levels and DRAM), or
              f / cache_bytes_per_s + (1 - f) / dram_bytes_per_s with f = min(1,
              cache_bytes / traffic), the share of the traffic its cache can serve
    time    = max(compute, memory) + overhead          (profile.combine = "max", roofline)
           or compute + memory + overhead              (profile.combine = "sum", no overlap)

with the efficiencies and overhead of the kernel's kind (``conv:3x3``, falling back to
its op class). A profile may add, per kind, a learned correction of the kernel time in
the kernel's shape (``Residual``: a factor exp(w · features), fitted by ``archscope
calibrate`` to what the roofline leaves unexplained) and a framework time per kernel
(``kernel_overhead_us``). The network's latency is the sum over its kernels; fps =
batch / latency. The per-class and per-block breakdowns
attribute each kernel to the class and block of its first op.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from archscope.costs import CostReport, OpRecord
from archscope.dims import as_int
from archscope.latency.profile import Combine, DeviceProfile, Fusion, shape_features
from archscope.ops import OpClass
from archscope.ops.base import FusionRole


@dataclass(frozen=True)
class Kernel:
    """One launched kernel: its ops and what it computes and moves."""

    nodes: tuple[str, ...]
    op_class: str
    latency_class: str  # the kernel's kind (``conv:3x3``): its profile parameters
    block: str
    macs: float
    vector_ops: float
    traffic_bytes: float
    in_channels: float = 1.0
    out_channels: float = 1.0
    positions: float = 1.0  # output positions: batch × height × width

    def features(self, cache_bytes: float) -> tuple[float, ...]:
        """What a learned correction of its time reads (``Residual``) on a device with
        that much cache."""
        return shape_features(self.in_channels, self.out_channels, self.positions, self.traffic_bytes, cache_bytes)


@dataclass(frozen=True)
class KernelTime:
    kernel: Kernel
    compute_s: float
    memory_s: float
    overhead_s: float
    time_s: float

    @property
    def bound(self) -> str:
        return "compute" if self.compute_s >= self.memory_s else "memory"


def _record_kernel(record: OpRecord, latency_class: str, in_channels: float) -> Kernel:
    cost = record.total
    shape = record.shape
    return Kernel(
        in_channels=in_channels,
        out_channels=float(shape.c),
        positions=float(shape.n * shape.h * shape.w),
        nodes=(record.node,),
        op_class=str(record.op_class),
        latency_class=latency_class,
        block=record.block,
        macs=float(cost.macs),
        vector_ops=float(cost.vector_ops),
        traffic_bytes=float(cost.read_bytes + cost.write_bytes),
    )


def _fuse(kernel: Kernel, record: OpRecord, elem_bytes: int) -> Kernel:
    # the intermediate tensor is neither written by the kernel nor read back
    saved = 2 * float(record.shape.numel) * elem_bytes
    cost = record.total
    return Kernel(
        nodes=(*kernel.nodes, record.node),
        op_class=kernel.op_class,
        latency_class=kernel.latency_class,
        in_channels=kernel.in_channels,
        out_channels=kernel.out_channels,
        positions=kernel.positions,
        block=kernel.block,
        macs=kernel.macs + float(cost.macs),
        vector_ops=kernel.vector_ops + float(cost.vector_ops),
        traffic_bytes=kernel.traffic_bytes + float(cost.read_bytes + cost.write_bytes) - saved,
    )


def kernels(report: CostReport, fusion: Fusion) -> list[Kernel]:
    """The kernels a network runs as, under a fusion rule."""
    net = report.network
    result: list[Kernel] = []
    fusable: str | None = None  # node whose output the current kernel may absorb consumers of
    for record in report.records:
        if record.op_class is OpClass.INPUT or _no_kernel(record):
            continue
        op = net.op(record.node)
        role = op.fusion
        if (
            fusion is Fusion.CONV_BN_ACT
            and fusable is not None
            and role in (FusionRole.NORM, FusionRole.ACTIVATION)
            and net.sources(record.node) == [fusable]
            and net.graph.out_degree(fusable) == 1
        ):
            result[-1] = _fuse(result[-1], record, report.elem_bytes)
            fusable = record.node if role is FusionRole.NORM else None
            continue
        inputs = net.input_shapes(record.node)
        result.append(_record_kernel(record, op.latency_class(inputs), float(inputs[0].c) if inputs else 1.0))
        fusable = record.node if role is FusionRole.PRODUCER else None
    return result


def _no_kernel(record: OpRecord) -> bool:
    """A view (a channel slice), dropout at inference or an op archscope cannot cost:
    it moves and computes nothing, so it launches no kernel."""
    cost = record.cost
    return not (cost.macs or cost.vector_ops or cost.read_bytes or cost.write_bytes)


#: kernel kinds whose kernels compute output channels in blocks of the profile's
#: ``channel_block`` (``benchmarks/channel_block.py``: a grouped conv's time does not step
#: regularly with its channels; a transposed conv's steps by less, ×1.7, and is left to
#: its kind's fit)
BLOCKED_KINDS = frozenset({"conv:3x3", "conv:asymmetric", "conv:dilated", "conv:other", "pointwise", "depthwise"})


def work(kernel: Kernel, profile: DeviceProfile) -> float:
    """The MACs and vector ops a kernel's compute time is made of: for a kind computed in
    channel blocks, as if its output channels were rounded up to a whole block."""
    done = kernel.macs + kernel.vector_ops
    block = profile.channel_block
    if block > 1 and kernel.latency_class in BLOCKED_KINDS and kernel.out_channels >= 1:
        done *= math.ceil(kernel.out_channels / block) * block / kernel.out_channels
    return done


def kernel_time(kernel: Kernel, profile: DeviceProfile) -> KernelTime:
    params = profile.params(kernel.latency_class)
    compute = work(kernel, profile) / (profile.peak_macs_per_s * params.compute_efficiency)
    compute += kernel.positions * params.position_ns * 1e-9
    memory = kernel.traffic_bytes * profile.seconds_per_byte(kernel.traffic_bytes) / params.memory_efficiency
    overhead = params.overhead_us * 1e-6
    busy = max(compute, memory) if profile.combine is Combine.MAX else compute + memory
    factor = profile.correction(kernel.latency_class, kernel.features(profile.cache_bytes))
    framework = profile.kernel_overhead_us * 1e-6
    return KernelTime(kernel, compute, memory, factor * overhead + framework, factor * (busy + overhead) + framework)


@dataclass(frozen=True)
class LatencyPrediction:
    """Predicted latency of a network on a device, with its breakdowns."""

    device: str
    batch: int
    kernel_times: tuple[KernelTime, ...]

    @cached_property
    def latency_ms(self) -> float:
        return 1e3 * sum(k.time_s for k in self.kernel_times)

    @property
    def fps(self) -> float:
        return 1e3 * self.batch / self.latency_ms

    @property
    def kernels(self) -> int:
        return len(self.kernel_times)

    def _by(self, key: str) -> dict[str, float]:
        totals: dict[str, float] = {}
        for k in self.kernel_times:
            name = getattr(k.kernel, key)
            totals[name] = totals.get(name, 0.0) + 1e3 * k.time_s
        return totals

    @cached_property
    def by_class_ms(self) -> dict[str, float]:
        return self._by("op_class")

    @cached_property
    def by_block_ms(self) -> dict[str, float]:
        return self._by("block")

    @property
    def overhead_ms(self) -> float:
        return 1e3 * sum(k.overhead_s for k in self.kernel_times)

    def summary(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "latency_ms": self.latency_ms,
            "fps": self.fps,
            "kernels": self.kernels,
            "overhead_ms": self.overhead_ms,
            "by_class_ms": self.by_class_ms,
            "by_block_ms": self.by_block_ms,
        }


def predict(report: CostReport, profile: DeviceProfile) -> LatencyPrediction:
    """Predicted latency of ``report``'s network on ``profile``'s device."""
    if report.symbolic:
        raise ValueError("latency needs a concrete network (no symbolic hyper-parameters)")
    times = tuple(kernel_time(k, profile) for k in kernels(report, profile.fusion))
    batch = as_int(report.network.shape(report.network.inputs[0]).n)
    return LatencyPrediction(device=profile.name, batch=batch, kernel_times=times)
