"""The default NDNet search: timing, the committed run, and how close it comes to the paper.

Usage: python benchmarks/search_ndnet.py [--repeats 3]

1. Times ``archscope search --min-fps 50 --trials 300`` (a subprocess, wall time, each
   into a fresh folder under a temporary directory) ``--repeats`` times; reports the
   median and checks that every front point is feasible.
2. Runs it once more into ``results/runs/ndnet-default`` (the committed run; its SQLite
   study is deleted afterwards to keep results/ small: re-run the command to get it).
3. Enumerates the true fronts of ``ndnet`` and ``ndnet-table1`` (results/search_true_fronts.csv).
4. For NDNet29/45/61 lists the front points within +-4 layers of the paper's depth and
   their channel combination's distance from the paper's, and the cost model's figures
   that explain the difference: the fps of the paper's networks and what one residual
   layer costs in each block (results/search_ndnet.json).

Other processes share this machine: timings are noisy, the load average is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from archscope import api
from archscope.families.ndnet import NDNET_PRESETS
from archscope.latency.profile import load_profile
from archscope.search.exhaustive import enumerate_space
from archscope.search.run import pareto_frame
from archscope.search.space import load_space
from archscope.search.vectorized import GridEvaluator

COMMAND = ["search", "--min-fps", "50", "--trials", "300"]
RUN_DIR = Path("results/runs/ndnet-default")
PAPER = ("ndnet29", "ndnet45", "ndnet61")
DEPTH_TOLERANCE = 4
WIDTH_TOLERANCE = 0.25


def archscope(*args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "archscope", *args, "--format", "json"], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(result.stdout)


def near_paper(front: pd.DataFrame) -> list[dict]:
    """For each paper network: the front points within the depth tolerance."""
    rows = []
    for name in PAPER:
        preset = NDNET_PRESETS[name]
        layers = 1 + 2 * sum(preset.hyper["depths"])
        paper_n1 = preset.hyper["widths"][0]
        close = front[(front["layers"] - layers).abs() <= DEPTH_TOLERANCE]
        points = []
        for row in close.itertuples():
            n1 = int(str(row.widths).split(",")[0])
            points.append({
                "widths": row.widths, "depths": row.depths, "layers": int(row.layers), "fps": round(float(row.fps), 2),
                "width_deviation_pct": round(100 * (n1 / paper_n1 - 1), 1),
                "within_tolerance": abs(n1 / paper_n1 - 1) <= WIDTH_TOLERANCE + 1e-12,
            })
        rows.append({
            "network": name, "paper_widths": ",".join(map(str, preset.hyper["widths"])), "paper_depths": ",".join(map(str, preset.hyper["depths"])),
            "paper_layers": layers, "front_points_within_4_layers": points,
            "met": any(p["within_tolerance"] for p in points),
        })
    return rows


def cost_model_figures() -> dict:
    """fps of the paper's networks and the latency of one residual layer per block."""
    profile = load_profile("titanx")
    space = load_space("ndnet")
    evaluator = GridEvaluator(space, profile)
    paper, per_layer = {}, {}
    for name in PAPER:
        preset = NDNET_PRESETS[name]
        report = api.cost("ndnet", widths=preset.hyper["widths"], depths=preset.hyper["depths"])
        prediction = api.latency(report, profile)
        paper[name] = {"fps": round(prediction.fps, 2), "latency_ms": round(prediction.latency_ms, 3),
                       "paper_fps": preset.paper["fps"], "by_block_ms": {k: round(v, 3) for k, v in prediction.by_block_ms.items()}}
    for n1 in (12, 16, 24, 32, 40):
        hyper = space.hyper({"n1": n1, "d1": 1, "d2": 1, "d3": 1, "e": 4})
        base, layer = evaluator.parts(hyper)  # the block-linear split: latency = base + depths . layer
        per_layer[f"n1={n1}"] = {
            "block1_ms": round(float(layer[0][3]), 4), "block2_ms": round(float(layer[1][3]), 4),
            "block3_ms": round(float(layer[2][3]), 4), "fixed_ms": round(float(base[3]), 3),
        }
    return {"paper_networks": paper, "one_residual_layer_ms": per_layer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            seconds, data = archscope(*COMMAND, "--out", str(Path(tmp) / f"run{i}"))
            assert all(point["feasible"] for point in data["front"]), "an infeasible front point"
            timings.append({"wall_s": round(seconds, 2), "search_s": round(data["duration_s"], 2),
                            "front_points": len(data["front"]), "hypervolume_ratio": round(data["hypervolume_ratio"], 4),
                            "load_average_1min": round(os.getloadavg()[0], 2)})
            print(timings[-1], flush=True)

    shutil.rmtree(RUN_DIR, ignore_errors=True)
    seconds, data = archscope(*COMMAND, "--out", str(RUN_DIR))
    for leftover in RUN_DIR.glob("study.db*"):
        leftover.unlink()

    profile = load_profile("titanx")
    fronts = []
    for name in ("ndnet", "ndnet-table1"):
        space = load_space(name)
        truth = pareto_frame(enumerate_space(space, profile).table.assign(state="COMPLETE"), space)
        fronts.append(truth.assign(space=name))
    true_fronts = pd.concat(fronts, ignore_index=True)
    true_fronts.to_csv("results/search_true_fronts.csv", index=False, float_format="%.6g")

    run_front = pd.read_csv(RUN_DIR / "pareto.csv", dtype={"widths": str, "depths": str})
    summary = {
        "command": "archscope " + " ".join(COMMAND),
        "timing": {"runs": timings, "median_wall_s": statistics.median(t["wall_s"] for t in timings),
                   "median_search_s": statistics.median(t["search_s"] for t in timings), "cpus": os.cpu_count()},
        "committed_run": {"out": str(RUN_DIR), "wall_s": round(seconds, 2), "front_points": len(data["front"]),
                          "all_feasible": all(p["feasible"] for p in data["front"]),
                          "hypervolume_ratio": data["hypervolume_ratio"], "near_paper": near_paper(run_front)},
        "true_front_ndnet": near_paper(true_fronts[true_fronts["space"] == "ndnet"]),
        "true_front_ndnet_table1": near_paper(true_fronts[true_fronts["space"] == "ndnet-table1"]),
        "cost_model": cost_model_figures(),
        "tolerances": {"layers": DEPTH_TOLERANCE, "widths": WIDTH_TOLERANCE},
    }
    Path("results/search_ndnet.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["timing"], indent=2))
    print(json.dumps(summary["committed_run"], indent=2))
    print("wrote results/search_ndnet.json, results/search_true_fronts.csv and", RUN_DIR)


if __name__ == "__main__":
    main()
