"""The local latency pipeline, calibration then validation, repeated: how much its scores
move from run to run on this machine, and what they are on every family and on modules
that are not families.

Usage: python benchmarks/latency_repeat.py [--repeats 3] [--rounds 15]
       [--out results/latency_repeats.csv] [--keep DIR]

Each repeat, in fresh processes and a temporary folder (``--keep DIR`` copies the last
repeat's files there as ``latency_local_profile.toml``, ``latency_validation.json/.csv``
(NDNet) and ``latency_validation_families.json/.csv`` (the mix)):

1. ``archscope calibrate --out P`` (calibration networks from every family; its wall
   time is recorded: the target is 10 minutes);
2. ``archscope validate latency --device P --families ndnet,erfnet,espnet,vnet,icnet,enet
   --count 24 --module M ... --rounds R --out mixed.json`` with the modules of
   :data:`MODULES`;
3. ``archscope validate latency --device P --families ndnet --count 24 --rounds R
   --out ndnet.json``.

One row per repeat and validation (``mixed``, ``ndnet``): the model's scores with the
speed factor, the repeatability (halves of the rounds within ±10%) and the model's share
of it, the MACs baseline's and the roofline-only model's scores, each family's within
±10% / MAPE / median signed error (model and baseline), each module's error, the scores
on the drawn candidates alone (``drawn_*``: the six families without the modules), the
calibration's minutes and the load average. Run it on a quiet machine: other jobs slow
some networks and not others.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = "ndnet,erfnet,espnet,vnet,icnet,enet"
#: modules that are not families: MobileNetV2 and MobileNetV3-small (SE, h-swish) of the
#: import corpus, and a ResNet-18 (dense 3x3 convs)
MODULES = (
    "tests.module_corpus.mobilenet_v2:build@1x3x224x224",
    "tests.module_corpus.mobilenet_v3:build@1x3x224x224",
    "benchmarks.modules.resnet:build@1x3x224x224",
)

#: a repeat's files and the names ``--keep`` gives them
KEPT = {
    "local.toml": "latency_local_profile.toml",
    "ndnet.json": "latency_validation.json",
    "ndnet.csv": "latency_validation.csv",
    "mixed.json": "latency_validation_families.json",
    "mixed.csv": "latency_validation_families.csv",
}


def archscope(*args: str) -> float:
    """Run ``archscope ARGS`` from the repository root (the modules import from there);
    its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archscope", *args], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def _scores(summary: dict) -> dict:
    row = {
        "within_10pct": summary["within_10pct"], "mape": summary["mape"], "spearman": summary["spearman"],
        "median_error_pct": summary["median_error_pct"], "repeatability": summary["repeatability"],
        "share_of_repeatability": summary["share_of_repeatability"],
        "repeatability_same_speed": summary.get("repeatability_same_speed"),
        "share_of_repeatability_same_speed": summary.get("share_of_repeatability_same_speed"),
        "speed_factor": summary["speed_factor"],
        **{f"baseline_{k}": summary["baseline"][k] for k in ("within_10pct", "mape", "spearman", "median_error_pct")},
        "uncorrected_within_10pct": summary["uncorrected"]["within_10pct"],
    }
    drawn = summary.get("drawn") or {}
    row.update({f"drawn_{k}": drawn[k] for k in ("n", "within_10pct", "mape", "spearman", "median_error_pct") if k in drawn})
    if summary.get("roofline_only"):
        row.update({f"roofline_{k}": summary["roofline_only"][k] for k in ("within_10pct", "mape", "spearman")})
    for family, figures in summary["by_family"].items():
        for key in ("within_10pct", "mape", "median_error_pct"):
            row[f"{family}_{key}"] = figures[key]
            row[f"{family}_baseline_{key}"] = figures["baseline"][key]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


def _modules(rows_csv: Path) -> dict:
    frame = pd.read_csv(rows_csv)
    modules = frame[(frame["set"] == "validation") & (frame["family"] == "modules")]
    return {f"error_pct {r.network}": round(100 * (r.predicted_ms / r.measured_ms - 1), 2) for r in modules.itertuples()}


def one_repeat(folder: Path, rounds: int) -> list[dict]:
    profile = folder / "local.toml"
    load_before = os.getloadavg()[0]
    calibrate_s = archscope("calibrate", "--out", str(profile))
    fitted = tomllib.loads(profile.read_text())
    common = {"calibrate_min": round(calibrate_s / 60, 2),
              "kernel_overhead_us": fitted.get("kernel_overhead_us", 0.0), "corrected_kinds": len(fitted.get("residuals", {}))}
    mixed, ndnet = folder / "mixed.json", folder / "ndnet.json"
    modules = [arg for spec in MODULES for arg in ("--module", spec)]
    archscope("validate", "latency", "--device", str(profile), "--families", FAMILIES, "--count", "24", *modules,
              "--rounds", str(rounds), "--out", str(mixed))
    archscope("validate", "latency", "--device", str(profile), "--families", "ndnet", "--count", "24",
              "--rounds", str(rounds), "--out", str(ndnet))
    rows = []
    for name, path in (("mixed", mixed), ("ndnet", ndnet)):
        summary = json.loads(path.read_text())
        extra = _modules(path.with_suffix(".csv")) if name == "mixed" else {}
        rows.append({"validation": name, **common, **_scores(summary), **extra})
    load = {"load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)}
    return [{**row, **load} for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("results/latency_repeats.csv"))
    parser.add_argument("--keep", type=Path, help="copy the last repeat's profile and validations here (results: the files it cites)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            folder = Path(tmp) / str(repeat)
            folder.mkdir()
            rows += [{"repeat": repeat, **row} for row in one_repeat(folder, args.rounds)]
            print(rows[-2:], flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(args.out, index=False)  # a finished repeat is kept if a later one fails
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                for name, kept in KEPT.items():
                    shutil.copy(folder / name, args.keep / kept)
    frame = pd.DataFrame(rows)
    print(frame.groupby("validation")[["within_10pct", "mape", "spearman", "repeatability", "share_of_repeatability",
                                       "baseline_within_10pct", "calibrate_min"]].median().to_string())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
