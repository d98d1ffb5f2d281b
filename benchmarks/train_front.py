"""Does accuracy move NDNet's search towards the paper's depth distribution?

Usage: python benchmarks/train_front.py [--seeds 3] [--steps 300] [--resolution 128x128]
       [--trials 40] [--proxy-steps 200] [--out results] [--work DIR]

The default NDNet search (``results/runs/ndnet-default``: maximise layers and width under
>= 50 fps on titanx at 1024x2048) piles its depth into the cheap 1/32 block; the paper's
NDNet29/45/61 put most layers at 1/16. Two measurements on the built-in ``shapes`` data,
each with ``--seeds`` seeds, as a user types them:

1. The front and the paper's networks trained under one short recipe:
   ``archscope train --from results/runs/ndnet-default --rows front --baselines
   ndnet29,ndnet45,ndnet61 --resolution R --batch 8 --steps S --seed K --out ...``:
   mIoU against predicted fps, and how mIoU goes with the share of layers in each block.
2. An accuracy-aware search of the same space: ``archscope search --space SPACE
   --objective miou --trials T --seed K --pruner P`` (SPACE: ``ndnet`` with the proxy task
   of seed K: --proxy-steps steps on R crops), with successive halving and without pruning:
   where its best candidates put their layers, the training steps each search spent and
   the best proxy mIoU each reached.

Writes ``train_front.csv`` (every trained network of part 1, per seed),
``train_front_search.csv`` (every run of part 2 and its best candidates) and
``train_front.json`` (the commands, the answer, the load average) to --out. With
``--work DIR`` an interrupted run continues where it stopped when run again (finished
networks and trials are kept).

The resolution: NDNet's output stride is 32, so a 64x64 crop leaves a 2x2 map under the
FCN32 head, and 300 steps at 64x64 left all 22 networks of two seeds at or near an
all-background prediction (mIoU 0.120-0.151, pixel accuracy 0.728-0.735: the
background's share), so nothing could be compared.
At 128x128, NDNet45 reaches 31% mIoU after 300 steps (``results/train_curve.csv``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from archscope.families.ndnet import NDNET_PRESETS
from archscope.search.objectives import parse_objectives
from archscope.search.space import load_space
from archscope.search.toml_out import dumps

RUN = Path("results/runs/ndnet-default")
BASELINES = "ndnet29,ndnet45,ndnet61"
PRUNERS = ("successive-halving", "none")
TOP = 5  # best candidates of a search whose depths are reported
BLOCKS = ("1/8", "1/16", "1/32")


def archscope(*args: str) -> tuple[dict, float]:
    """Run ``archscope ARGS --format json``: (its JSON, wall seconds)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "archscope", *args, "--format", "json"], capture_output=True,
                          text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"archscope {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout), time.perf_counter() - started


def shares(depths: str | tuple[int, ...]) -> dict[str, float]:
    """The share of residual layers in each block (1/8, 1/16, 1/32)."""
    values = [int(v) for v in depths.split(",")] if isinstance(depths, str) else list(depths)
    return {f"share_{block}": value / sum(values) for block, value in zip(BLOCKS, values)}


def train_front(seed: int, args: argparse.Namespace, work: Path) -> tuple[list[dict], str, float]:
    command = ["train", "--from", str(RUN), "--rows", "front", "--baselines", BASELINES, "--resolution", args.resolution,
               "--batch", "8", "--steps", str(args.steps), "--eval-every", str(args.steps // 3), "--eval-images", "100",
               "--checkpoint-every", str(args.steps), "--seed", str(seed), "--out", str(work / f"front-seed{seed}")]
    data, wall_s = archscope(*command)
    rows = [{"seed": seed, **network, **shares(network["depths"])} for network in data["networks"]]
    return rows, "archscope " + " ".join(command), wall_s


def space_file(seed: int, args: argparse.Namespace, work: Path) -> Path:
    """``ndnet`` with miou as its objective and the proxy task of ``seed``."""
    height, width = (int(v) for v in args.resolution.split("x"))
    space = load_space("ndnet").with_overrides(
        objectives=parse_objectives("miou"),
        proxy={"steps": args.proxy_steps, "resolution": (height, width), "seed": seed})
    path = work / f"ndnet-miou-seed{seed}.toml"
    path.write_text(dumps(space.to_dict()))
    return path


def search(seed: int, pruner: str, args: argparse.Namespace, work: Path) -> tuple[dict, list[dict], str]:
    command = ["search", "--space", str(space_file(seed, args, work)), "--trials", str(args.trials), "--seed", str(seed),
               "--pruner", pruner, "--no-true-front", "--out", str(work / f"search-{pruner}-seed{seed}")]
    data, wall_s = archscope(*command)
    trials = pd.read_csv(Path(data["out"]) / "trials.csv")
    done = trials[(trials["state"] == "COMPLETE") & trials["feasible"]].sort_values("miou", ascending=False)
    top = [{"seed": seed, "pruner": pruner, "rank": rank, **{k: row[k] for k in ("trial", "widths", "depths", "layers",
                                                                                   "fps", "miou")},
            **shares(row["depths"])} for rank, row in enumerate(done.head(TOP).to_dict(orient="records"), start=1)]
    run = {"seed": seed, "pruner": pruner, "trials": data["trials"], "feasible": data["feasible"],
           "trainings": data.get("proxy_trainings", 0), "pruned": data.get("proxy_pruned", 0),
           "proxy_steps": data.get("proxy_steps", 0), "best_miou": float(done["miou"].max()) if len(done) else None,
           "best_depths": top[0]["depths"] if top else None, "best_widths": top[0]["widths"] if top else None,
           "wall_s": wall_s}
    return run, top, "archscope " + " ".join(command)


def rung_correlations(folder: Path) -> dict[int, float]:
    """Spearman of the mIoU each completed training of an unpruned search had at each
    measurement with its final mIoU: how early a pruner can judge (``ProxyTask.first_rung``)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    url = f"sqlite:///{folder / 'study.db'}"
    name = next(s.study_name for s in optuna.get_all_study_summaries(url) if s.study_name.endswith(".proxy"))
    trainings = [t for t in optuna.load_study(study_name=name, storage=url).trials if t.state.name == "COMPLETE"]
    steps = sorted(set.intersection(*(set(t.intermediate_values) for t in trainings)))
    final = [t.value for t in trainings]
    return {step: float(spearmanr([t.intermediate_values[step] for t in trainings], final).statistic) for step in steps}


def mean_shares(rows: list[dict]) -> dict[str, float]:
    return {key: statistics.fmean(r[key] for r in rows) for key in (f"share_{b}" for b in BLOCKS)} if rows else {}


def cohort_answer(front: pd.DataFrame) -> dict:
    """Per network: mIoU over seeds; how mIoU goes with depth and where the depth is."""
    per_network = front.groupby("name").agg(kind=("kind", "first"), widths=("widths", "first"),
                                            depths=("depths", "first"), layers=("layers", "first"),
                                            fps=("fps", "first"), miou_mean=("miou", "mean"),
                                            miou_min=("miou", "min"), miou_max=("miou", "max"))
    correlations = {}
    for column in ("layers", "params", "share_1/8", "share_1/16", "share_1/32"):
        rho = spearmanr(front[column], front["miou"]).statistic
        correlations[column] = float(rho)
    ranked = per_network.sort_values("miou_mean", ascending=False)
    baselines = {}
    searched = per_network[per_network["kind"] != "baseline"]
    for name, row in per_network[per_network["kind"] == "baseline"].iterrows():
        better = searched[(searched["fps"] >= row["fps"]) & (searched["miou_mean"] >= row["miou_mean"])]
        baselines[name] = {"miou_mean": row["miou_mean"], "fps": row["fps"],
                           "front_points_as_fast_and_as_accurate": list(better.index)}
    return {"networks": ranked.reset_index().to_dict(orient="records"),
            "spearman_miou_with": correlations, "baselines": baselines,
            "seed_spread_miou_points": float(100 * (per_network["miou_max"] - per_network["miou_min"]).median())}


def search_answer(runs: list[dict], top: list[dict], front: pd.DataFrame, work: Path) -> dict:
    by_seed: dict[int, dict[str, dict]] = {}
    for run in runs:
        by_seed.setdefault(run["seed"], {})[run["pruner"]] = run
    ratios = [s["successive-halving"]["proxy_steps"] / s["none"]["proxy_steps"]
              for s in by_seed.values() if s.get("none", {}).get("proxy_steps")]
    best = {p: [r["best_miou"] for r in runs if r["pruner"] == p and r["best_miou"] is not None] for p in PRUNERS}
    paper = [shares(preset.hyper["depths"]) for name, preset in NDNET_PRESETS.items() if name != "ndnet29-wide"]
    cost_front = front[(front["kind"] == "front") & (front["seed"] == front["seed"].min())]
    return {
        "steps_ratio_pruned_to_unpruned": {"per_seed": ratios, "median": statistics.median(ratios) if ratios else None},
        "spearman_intermediate_with_final_miou (unpruned, per seed, by step)": {
            seed: rung_correlations(work / f"search-none-seed{seed}") for seed in sorted(by_seed)},
        "best_proxy_miou": {p: {"per_seed": v, "mean": statistics.fmean(v) if v else None,
                                "spread": (max(v) - min(v)) if v else None} for p, v in best.items()},
        "depth_shares": {
            "paper (NDNet29/45/61)": mean_shares(paper),
            "cost-only front (ndnet-default)": mean_shares(cost_front.to_dict(orient="records")),
            **{f"accuracy-aware top {TOP} ({p})": mean_shares([t for t in top if t["pruner"] == p]) for p in PRUNERS},
            **{f"accuracy-aware best ({p})": mean_shares([t for t in top if t["pruner"] == p and t["rank"] == 1])
               for p in PRUNERS},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--resolution", default="128x128")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--proxy-steps", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--work", type=Path, default=None, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="archscope-train-front-"))
    work.mkdir(parents=True, exist_ok=True)
    started, loads = time.perf_counter(), [os.getloadavg()[0]]
    front_rows, commands = [], {"train": [], "search": []}
    for seed in range(args.seeds):
        rows, command, wall_s = train_front(seed, args, work)
        front_rows += rows
        commands["train"].append({"command": command, "wall_s": round(wall_s, 1)})
        loads.append(os.getloadavg()[0])
        print(f"seed {seed}: trained {len(rows)} networks in {wall_s:.0f} s", flush=True)
    runs, top = [], []
    for seed in range(args.seeds):
        for pruner in PRUNERS:
            run, best, command = search(seed, pruner, args, work)
            runs.append(run)
            top += best
            commands["search"].append(command)
            loads.append(os.getloadavg()[0])
            print(f"search seed {seed} {pruner}: best mIoU {run['best_miou']}, {run['proxy_steps']} steps, "
                  f"{run['wall_s']:.0f} s", flush=True)
    front = pd.DataFrame(front_rows)
    args.out.mkdir(parents=True, exist_ok=True)
    front.to_csv(args.out / "train_front.csv", index=False, float_format="%.6g")
    pd.DataFrame(runs + top).to_csv(args.out / "train_front_search.csv", index=False, float_format="%.6g")
    summary = {
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "commands": commands,
        "trained_front": cohort_answer(front),
        "accuracy_aware_search": search_answer(runs, top, front, work),
        "runs": runs,
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average": loads,
    }
    (args.out / "train_front.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    print(json.dumps(summary["accuracy_aware_search"], indent=2, default=float))


if __name__ == "__main__":
    main()
