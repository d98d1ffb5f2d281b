"""Train an NDNet candidate on the built-in shapes data for a few minutes on this CPU and
write its learning curve.

Usage: python benchmarks/train_curve.py [--out results/train_curve.csv] [--steps 1000]

Runs ``archscope train`` (the command is printed and written beside the curve), then
keeps one row per evaluation from its metrics.csv: step, training seconds so far, mean
training loss since the previous evaluation, mIoU and pixel accuracy on 100 validation
scenes. Step 0 is the network before training.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

CANDIDATE = ["ndnet", "--widths", "16,32,64", "--depths", "4,12,6"]  # NDNet45's combinations
RECIPE = ["--resolution", "128x128", "--batch", "8", "--lr", "0.1", "--schedule", "step", "--eval-images", "100"]


def curve(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per evaluation, with the mean training loss of the steps before it."""
    train = metrics[metrics.phase == "train"].set_index("step")
    evals = metrics[metrics.phase == "eval"].reset_index(drop=True)
    rows, previous = [], 0
    for _, row in evals.iterrows():
        step = int(row.step)
        losses = train.loss[(train.index > previous) & (train.index <= step)]
        rows.append(
            {
                "step": step,
                "train_s": round(float(row.elapsed_s), 2),
                "train_loss": round(float(losses.mean()), 4) if len(losses) else None,
                "miou": round(float(row.miou), 4),
                "pixel_accuracy": round(float(row.pixel_accuracy), 4),
            }
        )
        previous = step
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/train_curve.csv"))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--eval-every", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as run_dir:
        command = [
            "archscope",
            "train",
            *CANDIDATE,
            *RECIPE,
            "--steps",
            str(args.steps),
            "--eval-every",
            str(args.eval_every),
            "--out",
            run_dir,
            "--format",
            "json",
        ]
        print("+", shlex.join(command), flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "archscope", *command[1:]], stdout=subprocess.PIPE, text=True, check=True
        )
        summary = json.loads(result.stdout)
        frame = curve(pd.read_csv(Path(run_dir) / "metrics.csv"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    shown = shlex.join(command).replace(run_dir, "RUN_DIR")
    keep = (
        "miou_initial",
        "miou_final",
        "pixel_accuracy_final",
        "steps",
        "images_per_s",
        "train_s",
        "params",
        "iou_final",
    )
    # other processes on this machine slow training down: the load says how much
    meta = {
        "command": shown,
        **{k: summary[k] for k in keep},
        "load_average_1_5_15_min": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    print(frame.to_string(index=False))
    print(
        f"mIoU {100 * summary['miou_initial']:.1f}% -> {100 * summary['miou_final']:.1f}% in {summary['train_s']:.0f} s "
        f"of training ({summary['images_per_s']:.1f} images/s); wrote {args.out} and {args.out.with_suffix('.json')}"
    )


if __name__ == "__main__":
    main()
