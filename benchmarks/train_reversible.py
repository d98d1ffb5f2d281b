"""Memory kept for backward by reversible V modules, as the stack deepens: measured and
predicted, reversible against ordinary backprop, and what recomputation costs in time.

Usage: python benchmarks/train_reversible.py [--out results/train_reversible.csv]

Two experiments, k V modules each, k in 1, 2, 4, 8, 16:

- ``stack``: a stack of k V modules alone on 128 channels at 64x128, batch 2 (VNet's
  stage 3 for a 512x1024 input): the bytes one forward pass saves for backward
  (``saved_tensors_hooks``, ``archscope.memory.measure.forward_saved_bytes``) against
  ``archscope.autograd.saved``;
- ``vnet``: VNet at 256x512, batch 2, with 3 V modules at 1/4 and k at 1/8: the measured
  peak of a training step (live tensors) and its saved-for-backward bytes against the
  prediction, and the median time of 12 training steps (after one warm-up) on one
  thread, the reversible and the plain network's steps interleaved.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd
import torch

from archscope import api
from archscope.families.vnet import v_module
from archscope.graph import GraphBuilder
from archscope.memory.measure import measure_train_memory
from archscope.memory.predict import predict_train_memory
from archscope.autograd.saved import saved_activation_bytes
from archscope.autograd.couplings import mark_reversible
from archscope.memory.measure import forward_saved_bytes
from archscope.ops import Shape
from archscope.torch_module import to_torch
from archscope.train.layout import set_memory_format
from archscope.train.step import train_step

DEPTHS = (1, 2, 4, 8, 16)


def stack(depth: int, *, reversible: bool) -> dict:
    b = GraphBuilder("stack")
    x = b.input(Shape(2, 128, 64, 128))
    couplings: list = []
    with b.block("stack"):
        for i in range(depth):
            with b.scope(f"v{i}"):
                x = v_module(b, x, dilation=2 ** (i % 4 + 1), couplings=couplings)
    network = b.build()
    if reversible:
        mark_reversible(network, couplings)
    torch.manual_seed(0)
    module = set_memory_format(to_torch(network), channels_last=True)
    inputs = torch.randn(2, 128, 64, 128).contiguous(memory_format=torch.channels_last).requires_grad_()
    measured = forward_saved_bytes(module, inputs)
    predicted = int(saved_activation_bytes(network))
    return {"predicted_saved_bytes": predicted, "measured_saved_bytes": measured}


def _trainer(network):  # noqa: ANN001, ANN202
    torch.manual_seed(0)
    model = set_memory_format(to_torch(network), channels_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    images = torch.randn(2, 3, 256, 512).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, int(network.output_shape.c), (2, 256, 512))
    return lambda: train_step(model, optimizer, images, labels)


def step_ms(depth: int, *, rounds: int = 12) -> dict[bool, float]:
    """Median training-step time of VNet with k V modules at 1/8, reversible and plain,
    their steps interleaved (the machine is shared: alternating cancels drift)."""
    steps = {
        reversible: _trainer(
            api.build("vnet", resolution=(256, 512), batch=2, depths=(3, depth), reversible=reversible)
        )
        for reversible in (True, False)
    }
    times: dict[bool, list[float]] = {True: [], False: []}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # steadier on a shared machine
    try:
        for round_ in range(rounds + 1):
            for reversible in (True, False) if round_ % 2 else (False, True):
                started = time.perf_counter()
                steps[reversible]()
                if round_:  # round 0 warms up
                    times[reversible].append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    return {reversible: round(1000 * statistics.median(t), 1) for reversible, t in times.items()}


def vnet(depth: int, *, reversible: bool) -> dict:
    report = api.cost("vnet", resolution=(256, 512), batch=2, depths=(3, depth), reversible=reversible)
    predicted = predict_train_memory(report)
    measured = measure_train_memory(report.network)
    out = report.network.output_shape
    loss_saved = int(out.n * out.c * out.h * out.w * 4 + out.n * out.h * out.w * 8)
    return {
        "predicted_saved_bytes": int(report.train_activation_bytes) + loss_saved,
        "measured_saved_bytes": measured.saved_bytes,
        "predicted_peak_bytes": predicted.total_bytes,
        "measured_peak_bytes": measured.peak_bytes,
        "peak_error_pct": round(100 * (predicted.total_bytes / measured.peak_bytes - 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/train_reversible.csv"))
    args = parser.parse_args()
    rows = []
    for experiment, run in (("stack", stack), ("vnet", vnet)):
        for depth in DEPTHS:
            timed = step_ms(depth) if experiment == "vnet" else {}
            for reversible in (True, False):
                row = {"experiment": experiment, "v_modules": depth, "reversible": reversible}
                row.update(run(depth, reversible=reversible))
                if timed:
                    row["step_ms"] = timed[reversible]
                error = row["predicted_saved_bytes"] / row["measured_saved_bytes"] - 1
                row["saved_error_pct"] = round(100 * error, 3)
                rows.append(row)
                peak = f", peak {row['measured_peak_bytes'] / 2**20:7.1f} MiB ({row['peak_error_pct']:+.2f}%), " \
                       f"{row['step_ms']:.0f} ms/step" if "measured_peak_bytes" in row else ""
                print(f"{experiment:5} k={depth:2} {'reversible' if reversible else 'plain     '}: saved "
                      f"{row['measured_saved_bytes'] / 2**20:7.1f} MiB measured, "
                      f"{row['predicted_saved_bytes'] / 2**20:7.1f} predicted{peak}", flush=True)
    frame = pd.DataFrame(rows)
    frame["load_average"] = round(os.getloadavg()[0], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
