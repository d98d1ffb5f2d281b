"""The local latency pipeline, calibration then validation, repeated: how much its scores
and its fitted cache capacity move from run to run on this machine.

Usage: python benchmarks/latency_repeat.py [--repeats 3] [--rounds 21]
       [--out results/latency_repeats.csv]

Each repeat runs the two commands results/README.md gives for
``latency_validation.json`` (``archscope calibrate --out P`` and ``archscope validate
latency --device P --out J --rounds R``) in fresh processes, into a temporary folder,
and records the validation's scores (model with the speed factor, the profile as saved,
the MACs baseline), the speed factor, the fitted cache capacity and the load average.
Run it on a quiet machine: other jobs slow some networks and not others.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pandas as pd


def archscope(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "archscope", *args], check=True, stdout=subprocess.DEVNULL)


def one_repeat(folder: Path, rounds: int) -> dict:
    profile, validation = folder / "local.toml", folder / "validation.json"
    load_before = os.getloadavg()[0]
    archscope("calibrate", "--out", str(profile))
    archscope("validate", "latency", "--device", str(profile), "--out", str(validation), "--rounds", str(rounds))
    fitted = tomllib.loads(profile.read_text())
    summary = json.loads(validation.read_text())
    return {
        "within_10pct": round(summary["within_10pct"], 4),
        "mape": round(summary["mape"], 2),
        "spearman": round(summary["spearman"], 4),
        "speed_factor": round(summary["speed_factor"], 4),
        "uncorrected_within_10pct": round(summary["uncorrected"]["within_10pct"], 4),
        "uncorrected_mape": round(summary["uncorrected"]["mape"], 2),
        "baseline_within_10pct": round(summary["baseline"]["within_10pct"], 4),
        "baseline_mape": round(summary["baseline"]["mape"], 2),
        "baseline_spearman": round(summary["baseline"]["spearman"], 4),
        "cache_bytes": int(fitted["cache_bytes"]),
        "framework_overhead_us": fitted["fit"]["framework_overhead_us"],
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--out", type=Path, default=Path("results/latency_repeats.csv"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            folder = Path(tmp) / str(repeat)
            folder.mkdir()
            rows.append({"repeat": repeat, **one_repeat(folder, args.rounds)})
            print(rows[-1], flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(args.out, index=False)  # a finished repeat is kept if a later one fails
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
