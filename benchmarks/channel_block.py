"""How this CPU's conv kernels step with their output channels: the measurement behind a
profile's ``channel_block``.

Usage: python benchmarks/channel_block.py [--out results/channel_block.csv]

Each conv kind the latency model rounds up to whole channel blocks (3x3, k×1, dilated,
1x1, depthwise), and two it does not (grouped, transposed), is timed as archscope's
calibration times a micro-benchmark (one-op network, eval and inference mode, the
profile's channels-last format, 2 threads, tuned malloc, median of a blocked autorange)
on a 128x256 map (64x128 for the transposed conv) from 32 input channels (the 1x1 conv
from 64, the depthwise conv from its own), to 8, 12, 16, 19, 24, 32, 40 and 48 output
channels (per group: the grouped conv has 4). Each row has the time and its ratio to the
time at 16 channels; the last line prints the block
``archscope calibrate`` detects (``calibrate.channel_block``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from archscope.graph import Shape
from archscope.latency.calibrate import channel_block, one_op, time_network
from archscope.latency.measure import MALLOC_ENV, malloc_tuned
from archscope.ops import Conv2d, ConvTranspose2d, Op

OUT_CHANNELS = (8, 12, 16, 19, 24, 32, 40, 48)
SIZE = (128, 256)
#: kind -> (the op to ``c`` output channels, its input channels)
KINDS: dict[str, tuple[Callable[[int], Op], Callable[[int], int]]] = {
    "conv:3x3": (lambda c: Conv2d(out_channels=c), lambda c: 32),
    "conv:asymmetric (3x1)": (lambda c: Conv2d(out_channels=c, kernel_size=(3, 1)), lambda c: 32),
    "conv:dilated (3x3, 2)": (lambda c: Conv2d(out_channels=c, dilation=2), lambda c: 32),
    "pointwise": (lambda c: Conv2d(out_channels=c, kernel_size=1), lambda c: 64),
    "depthwise": (lambda c: Conv2d(out_channels=c, groups=c), lambda c: c),
    "conv:grouped (4 groups)": (lambda c: Conv2d(out_channels=4 * c, groups=4), lambda c: 32),
    "conv:transposed (2x2, stride 2)": (lambda c: ConvTranspose2d(out_channels=c, kernel_size=2, stride=2),
                                        lambda c: 32),
}


def rows() -> list[dict[str, object]]:
    result = []
    for kind, (make, in_channels) in KINDS.items():
        h, w = (SIZE[0] // 2, SIZE[1] // 2) if "transposed" in kind else SIZE
        times = {c: time_network(one_op(make(c), Shape(1, in_channels(c), h, w)), "channels_last")
                 for c in OUT_CHANNELS}
        groups = 4 if "grouped" in kind else 1
        for c, seconds in times.items():
            result.append({"kind": kind, "in_channels": in_channels(c), "out_channels_per_group": c,
                           "groups": groups, "map": f"{h}x{w}", "ms": round(1e3 * seconds, 4),
                           "ratio_to_16": round(seconds / times[16], 3)})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/channel_block.csv"))
    args = parser.parse_args()
    if not malloc_tuned():  # glibc reads these at start-up only (archscope/latency/measure.py)
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **MALLOC_ENV})
    torch.set_num_threads(2)
    table = pd.DataFrame(rows())
    table.to_csv(args.out, index=False)
    print(table.pivot(index="kind", columns="out_channels_per_group", values="ratio_to_16").to_string())
    print(f"channel block archscope calibrate detects: {channel_block('channels_last')}; wrote {args.out}")


if __name__ == "__main__":
    main()
