"""What training several networks as a cohort costs, and what a second worker buys.

Usage: python benchmarks/train_cohort_scaling.py [--rounds 3] [--steps 100] [--resolution 64x64]
       [--out results/train_cohort_scaling.json]

Networks: rows of the default NDNet search's front (``results/runs/ndnet-default``),
trained under one recipe (``--steps`` steps of batch 8 on ``--resolution`` crops of
shapes, evaluations on 50 images every steps/2, checkpoints every steps/2).

1. Overhead (4 networks): the cohort (``run_cohort``: work list in SQLite, heartbeats,
   summary) against training the same networks one by one with the trainer, in-process;
   and as a user runs them: one ``archscope train --from RUN --rows 0,2,4,6`` against four
   ``archscope train --from RUN --row N`` commands (each starts Python and torch).
2. Workers (6 networks): one ``archscope train --rows`` process with torch's default
   threads (2 here), one with ``--threads 1``, and two processes on the same --out with
   ``--threads 1`` each: wall time until every network is trained.

Every round runs each variant once, in an order that alternates between rounds (ABBA);
medians over rounds and the median of the per-round ratios are reported, with the load
average (other jobs share this machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from archscope.cohort.networks import choose
from archscope.cohort.runner import CohortRequest, run_cohort
from archscope.latency.profile import load_profile
from archscope.search.folder import load_run
from archscope.train import TrainConfig, Trainer

RUN = Path("results/runs/ndnet-default")
OVERHEAD_ROWS = (0, 2, 4, 6)
WORKER_ROWS = (0, 1, 2, 3, 4, 5)


def recipe_options(args: argparse.Namespace) -> list[str]:
    half = str(max(1, args.steps // 2))
    return ["--resolution", args.resolution, "--batch", "8", "--steps", str(args.steps), "--eval-every", half,
            "--eval-images", "50", "--checkpoint-every", half]


def recipe(args: argparse.Namespace, out: Path) -> TrainConfig:
    height, width = (int(v) for v in args.resolution.split("x"))
    half = max(1, args.steps // 2)
    return TrainConfig(family="ndnet", steps=args.steps, batch=8, crop=(height, width), eval_every=half,
                       eval_images=50, checkpoint_every=half, out=out)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def one_by_one(members, args, folder: Path) -> None:
    base = recipe(args, folder)
    for member in members:
        config = dataclasses.replace(base, family=member.family, hyper=member.train, out=folder / member.name)
        trainer = Trainer(config)
        trainer.start()
        trainer.run()


def as_cohort(members, args, folder: Path) -> None:
    run = load_run(RUN)
    request = CohortRequest(recipe=recipe(args, folder), members=members, out=folder, run=RUN,
                            device=run.space.constraints.device, resolution="1024x2048")
    run_cohort(request)


def archscope(*args: str, threads: int | None = None) -> subprocess.Popen:
    extra = ["--threads", str(threads)] if threads else []
    return subprocess.Popen([sys.executable, "-m", "archscope", *args, *extra, "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a worker failed:\n{err[-2000:]}")


def cli_rows(args, folder: Path, rows, workers: int = 1, threads: int | None = None) -> None:
    command = ["train", "--from", str(RUN), "--rows", ",".join(map(str, rows)), *recipe_options(args),
               "--out", str(folder)]
    wait_all([archscope(*command, threads=threads) for _ in range(workers)])


def cli_one_by_one(args, folder: Path, rows) -> None:
    for row in rows:
        command = ["train", "--from", str(RUN), "--row", str(row), *recipe_options(args), "--out", str(folder / f"row{row}")]
        wait_all([archscope(*command)])


def rounds(variants: dict[str, Callable[[Path], object]], count: int, work: Path) -> dict[str, list[float]]:
    """Each variant once per round, in ABBA order; each into a fresh folder."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for index in range(count):
        for name in names if index % 2 == 0 else list(reversed(names)):
            folder = work / f"{name}-{index}"
            times[name].append(timed(lambda run=variants[name], into=folder: run(into)))
            shutil.rmtree(folder, ignore_errors=True)
            print(f"round {index}: {name} {times[name][-1]:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    return times


def ratio(times: dict[str, list[float]], numerator: str, denominator: str) -> dict[str, float]:
    per_round = [a / b for a, b in zip(times[numerator], times[denominator])]
    return {"median_of_rounds": statistics.median(per_round), "of_medians":
            statistics.median(times[numerator]) / statistics.median(times[denominator]), "per_round": per_round}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--resolution", default="64x64")
    parser.add_argument("--out", type=Path, default=Path("results/train_cohort_scaling.json"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archscope-cohort-scaling-"))
    run = load_run(RUN)
    profile = load_profile(run.space.constraints.device)
    members = choose(run, profile, rows=",".join(map(str, OVERHEAD_ROWS)), baselines=None)
    loads = [os.getloadavg()[0]]
    overhead = rounds({
        "one by one (in-process)": lambda f: one_by_one(members, args, f),
        "cohort (in-process)": lambda f: as_cohort(members, args, f),
        "archscope train --row N, one command each": lambda f: cli_one_by_one(args, f, OVERHEAD_ROWS),
        "archscope train --rows (one command)": lambda f: cli_rows(args, f, OVERHEAD_ROWS),
    }, args.rounds, work)
    loads.append(os.getloadavg()[0])
    workers = rounds({
        "1 worker, default threads": lambda f: cli_rows(args, f, WORKER_ROWS),
        "1 worker, --threads 1": lambda f: cli_rows(args, f, WORKER_ROWS, threads=1),
        "2 workers, --threads 1 each": lambda f: cli_rows(args, f, WORKER_ROWS, workers=2, threads=1),
    }, args.rounds, work)
    loads.append(os.getloadavg()[0])
    summary = {
        "settings": {"rounds": args.rounds, "steps": args.steps, "resolution": args.resolution, "batch": 8,
                     "overhead_rows": OVERHEAD_ROWS, "worker_rows": WORKER_ROWS, "cpus": os.cpu_count()},
        "overhead_s": overhead,
        "overhead": {
            "in_process": ratio(overhead, "cohort (in-process)", "one by one (in-process)"),
            "cli": ratio(overhead, "archscope train --rows (one command)", "archscope train --row N, one command each"),
        },
        "workers_s": workers,
        "speedup": {
            "2 workers vs 1 worker (default threads)": ratio(workers, "1 worker, default threads",
                                                             "2 workers, --threads 1 each"),
            "2 workers vs 1 worker (--threads 1)": ratio(workers, "1 worker, --threads 1", "2 workers, --threads 1 each"),
        },
        "load_average": loads,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: summary[k] for k in ("overhead", "speedup")}, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
