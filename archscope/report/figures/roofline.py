"""Roofline of a network on a device: each kernel (one op in eager PyTorch) at its
arithmetic intensity and the throughput the latency model predicts for it, under the
device's roofs (peak MAC/s; DRAM and cache bandwidth).

Work counts MACs plus the other arithmetic (BN, activations, adds, pooling), one
operation each, as the latency model does (``archscope/latency/model.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from archscope.latency.model import kernel_time, kernels
from archscope.report.figures.common import BOUNDARY, Points, group_colour, hover_text, layout, si

if TYPE_CHECKING:
    from archscope.costs import CostReport
    from archscope.latency.model import KernelTime
    from archscope.latency.profile import DeviceProfile

GIGA = 1e9


@dataclass(frozen=True)
class Roof:
    name: str
    bytes_per_s: float


@dataclass(frozen=True)
class RooflineInfo:
    device: str
    peak_macs_per_s: float
    roofs: list[Roof]
    classes: dict[str, Points]  # op class -> kernels: x MAC/byte, y GMAC/s
    left_out: int  # kernels without arithmetic or without traffic (no place on a log plot)

    @property
    def points(self) -> int:
        return sum(len(p) for p in self.classes.values())


def _roofs(profile: DeviceProfile) -> list[Roof]:
    dram, cache = profile.dram_bytes_per_s, profile.cache_bytes_per_s
    if dram == cache:
        return [Roof(f"DRAM and cache {si(dram, 'B/s')}", dram)]
    return [Roof(f"DRAM {si(dram, 'B/s')}", dram), Roof(f"cache {si(cache, 'B/s')}", cache)]


def _hover(timed: KernelTime) -> str:
    k = timed.kernel
    return hover_text({
        "op": " + ".join(k.nodes),
        "block": k.block,
        "class": k.op_class,
        "MACs": si(k.macs),
        "other ops": si(k.vector_ops),
        "traffic": si(k.traffic_bytes, "B"),
        "predicted": f"{1e6 * timed.time_s:.1f} µs ({timed.bound}-bound)",
    })


def roofline_info(report: CostReport, profile: DeviceProfile) -> RooflineInfo:
    """The kernels of ``report``'s network under ``profile``'s fusion rule, placed."""
    classes: dict[str, Points] = {}
    left_out = 0
    for k in kernels(report, profile.fusion):
        work = k.macs + k.vector_ops
        if work <= 0 or k.traffic_bytes <= 0:
            left_out += 1
            continue
        timed = kernel_time(k, profile)
        points = classes.setdefault(k.op_class, Points())
        points.x.append(work / k.traffic_bytes)
        points.y.append(work / timed.time_s / GIGA)
        points.labels.append(" + ".join(k.nodes))
        points.hover.append(_hover(timed))
    return RooflineInfo(profile.name, profile.peak_macs_per_s, _roofs(profile), classes, left_out)


def roof_curve(roof: Roof, peak_macs_per_s: float, x: np.ndarray) -> np.ndarray:
    """Attainable GMAC/s at intensities ``x``: min(peak, bandwidth × intensity)."""
    return np.minimum(peak_macs_per_s, roof.bytes_per_s * x) / GIGA


def roofline_figure(info: RooflineInfo) -> go.Figure:
    """Log-log: roofs as lines, kernels as points coloured by op class."""
    xs = [x for p in info.classes.values() for x in p.x] or [1.0]
    grid = np.geomspace(min(xs) / 3, max(xs) * 3, 200)
    figure = go.Figure()
    for index, roof in enumerate(info.roofs):
        ridge = info.peak_macs_per_s / roof.bytes_per_s
        figure.add_trace(go.Scatter(
            x=grid, y=roof_curve(roof, info.peak_macs_per_s, grid), mode="lines", name=f"roof: {roof.name}",
            line={"color": BOUNDARY, "width": 2, "dash": "solid" if index == 0 else "dash"},
            hovertemplate=f"{roof.name}, peak {si(info.peak_macs_per_s, 'MAC/s')}; ridge at {ridge:.1f} MAC/byte"
                          "<br>attainable %{y:.4s} GMAC/s at %{x:.3g} MAC/byte<extra></extra>",
        ))
    for index, (name, points) in enumerate(info.classes.items()):
        figure.add_trace(go.Scatter(
            x=points.x, y=points.y, mode="markers", name=f"{name} ({len(points)})", hovertext=points.hover,
            hovertemplate="%{hovertext}<br>%{x:.3g} MAC/byte, %{y:.4s} GMAC/s<extra></extra>",
            marker={"color": group_colour(name, index), "size": 8, "opacity": 0.8,
                    "line": {"width": 0.5, "color": "white"}},
        ))
    figure.update_xaxes(type="log")
    figure.update_yaxes(type="log")
    return layout(figure, title=f"Roofline on {info.device}: {info.points} kernels",
                  x_title="arithmetic intensity (MAC/byte)", y_title="predicted throughput (GMAC/s)", height=600)
