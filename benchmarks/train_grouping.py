"""Gradual grouping against training the grouped network from scratch, on the built-in
shapes data (a few CPU minutes).

Usage: python benchmarks/train_grouping.py [--out results/train_grouping.json] [--steps 300] [--seeds 3]

A small ERFNet (widths 16,32,64, depths 2,3, the light decoder: the gradual-grouping
paper's setting, and ERFNet's transposed-conv decoder learns too slowly for a CPU budget)
is trained five ways with the same recipe (crop 64x64, batch 8, lr 0.05, poly schedule,
the same seeds): dense (the reference); grouped convolutions (4 groups, ``--conv
grouped``) and the depthwise-separable encoder (``--conv separable --scope encoder``),
each from the first step and by gradual grouping (``--gradual-grouping 0,0.5``: dense,
the off-group weights faded out over the first half of the run, grouped for the second
half, converted to real grouped convs at the end). Final mIoU on 100 validation scenes,
per seed and mean; the converted models' output difference and parameter counts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from archscope.train import Schedule, TrainConfig, train

HYPER = {"widths": [16, 32, 64], "depths": [2, 3], "decoder": "light", "groups": 4}
GRADUAL = (0.0, 0.5)
VARIANTS = {
    "dense": ({"conv": "dense"}, None),
    "grouped g4, from scratch": ({"conv": "grouped"}, None),
    "grouped g4, gradual": ({"conv": "grouped"}, GRADUAL),
    "separable encoder, from scratch": ({"conv": "separable", "scope": "encoder"}, None),
    "separable encoder, gradual": ({"conv": "separable", "scope": "encoder"}, GRADUAL),
}


def run(variant: str, *, steps: int, seed: int, folder: Path) -> dict:
    hyper, grouping = VARIANTS[variant]
    config = TrainConfig(
        family="erfnet",
        hyper={**HYPER, **hyper},
        steps=steps,
        batch=8,
        crop=(64, 64),
        lr=0.05,
        schedule=Schedule.POLY,
        seed=seed,
        eval_every=0,
        eval_images=100,
        checkpoint_every=0,
        grouping=grouping,
        out=folder / f"{variant.replace(' ', '-').replace(',', '')}-{seed}",
    )
    started = time.perf_counter()
    result = train(config)
    return {
        "variant": variant,
        "seed": seed,
        "miou_initial": round(result.miou_initial, 4),
        "miou_final": round(result.miou_final, 4),
        "pixel_accuracy_final": round(result.pixel_accuracy_final, 4),
        "params_trained": result.params,
        "params_final": result.grouping["grouped_params"] if result.grouping else result.params,
        "converted_max_abs_output_difference": (
            result.grouping["max_abs_output_difference"] if result.grouping else None
        ),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/train_grouping.json"))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.seeds):
            for variant in VARIANTS:
                row = run(variant, steps=args.steps, seed=seed, folder=Path(folder))
                runs.append(row)
                print(f"seed {seed} {variant:32}: mIoU {100 * row['miou_initial']:5.1f}% -> "
                      f"{100 * row['miou_final']:5.1f}%, {row['params_final']:,} params ({row['wall_s']} s)",
                      flush=True)
    summary = {
        variant: {
            "miou_final_mean": round(statistics.mean(r["miou_final"] for r in runs if r["variant"] == variant), 4),
            "miou_final_by_seed": [r["miou_final"] for r in runs if r["variant"] == variant],
            "params_final": next(r["params_final"] for r in runs if r["variant"] == variant),
        }
        for variant in VARIANTS
    }
    payload = {
        "command": f"python benchmarks/train_grouping.py --steps {args.steps} --seeds {args.seeds}",
        "recipe": {"family": "erfnet", "hyper": HYPER, "crop": [64, 64], "batch": 8, "lr": 0.05, "schedule": "poly",
                   "steps": args.steps, "data": "shapes", "eval_images": 100, "gradual_grouping": list(GRADUAL)},
        "summary": summary,
        "runs": runs,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
