"""Predicted against measured peak memory of a training step, for every registered
family, NDNet's Table I configurations and VNet with and without reversible V modules.

Usage: python benchmarks/train_memory.py [--out results/train_memory.csv]

For each network: the prediction's parts (``archscope.memory.predict``), the measured
peak of a real SGD step on this machine (``archscope.memory.measure``: live tensors on
CPU), the error, and the saved-for-backward bytes the op vocabulary predicts
(``archscope.autograd.saved``, plus the loss's) against those
``saved_tensors_hooks`` records. VNet's defaults train its V modules reversibly;
``no-reversible`` is the same network with ordinary backprop.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from archscope import api
from archscope.dims import ShapeError
from archscope.families import FAMILIES
from archscope.families.ndnet import NDNET_PRESETS
from archscope.memory.measure import measure_train_memory
from archscope.memory.predict import predict_train_memory

SIZES = [((256, 512), 2), ((512, 1024), 2)]  # batch 2: BN after global pooling needs two values per channel


def cases() -> list[tuple[str, str, dict]]:
    """(family, name, hyper-parameters): each family at its defaults, VNet without
    reversible modules, NDNet29/45/61."""
    found = [(family, "defaults", {}) for family in sorted(FAMILIES)]
    found.append(("vnet", "no-reversible", {"reversible": False}))
    for name in ("ndnet29", "ndnet45", "ndnet61"):
        preset = NDNET_PRESETS[name]
        found.append(("ndnet", name, {"widths": preset["widths"], "depths": preset["depths"]}))
    return found


def row(family: str, name: str, hyper: dict, resolution: tuple[int, int], batch: int) -> dict | None:
    try:
        report = api.cost(family, **hyper, resolution=resolution, batch=batch)
    except ShapeError:
        return None
    predicted = predict_train_memory(report)
    started = time.perf_counter()
    measured = measure_train_memory(report.network)
    out = report.network.output_shape
    loss_saved = out.n * out.c * out.h * out.w * 4 + out.n * out.h * out.w * 8
    return {
        "family": family,
        "network": name,
        "resolution": f"{resolution[0]}x{resolution[1]}",
        "batch": batch,
        **{k: v for k, v in predicted.as_dict().items() if k != "total_bytes"},
        "predicted_bytes": predicted.total_bytes,
        "measured_bytes": measured.peak_bytes,
        "error_pct": round(100 * (predicted.total_bytes / measured.peak_bytes - 1), 3),
        "predicted_saved_with_loss_bytes": int(report.train_activation_bytes) + loss_saved,
        "measured_saved_bytes": measured.saved_bytes,
        "measure_s": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/train_memory.csv"))
    args = parser.parse_args()
    rows = []
    for family, name, hyper in cases():
        for resolution, batch in SIZES:
            result = row(family, name, hyper, resolution, batch)
            if result is not None:
                rows.append(result)
                print(
                    f"{family:8} {name:13} {result['resolution']:>9} b{batch}: predicted {result['predicted_bytes'] / 2**20:8.1f} MiB, "
                    f"measured {result['measured_bytes'] / 2**20:8.1f} MiB ({result['error_pct']:+.2f}%)",
                    flush=True,
                )
    frame = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    worst = frame.error_pct.abs().max()
    print(
        f"{len(frame)} networks, worst |error| {worst:.2f}%, within 10%: {(frame.error_pct.abs() <= 10).sum()}/{len(frame)}; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
