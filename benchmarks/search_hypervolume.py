"""Hypervolume each sampler reaches, relative to the exhaustive (true) front.

Usage: python benchmarks/search_hypervolume.py [--spaces ndnet,ndnet-table1] [--seeds 5]
       [--trials 500] [--out results/search_hypervolume.csv]

For each space it enumerates every configuration (``--sampler exhaustive``: the true
front), then runs each sampler (tpe, nsga2, random, built exactly as ``archscope
search`` builds them; ``nsga2-norepair`` is archscope's NSGA-II without the repair of
its children onto the budget, ``archscope.search.repair``) for ``--trials`` trials with
seeds 0..seeds-1, and records the
hypervolume of the front found after 50, 100, 200, 300 and 500 trials as a fraction of
the true front's (same reference point: archscope/search/pareto.py). Studies use
Optuna's in-memory storage: the storage does not change what a sampler draws.
Prints the median, min and max over seeds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import optuna
import pandas as pd

from archscope.latency.profile import load_profile
from archscope.search.exhaustive import enumerate_space
from archscope.search.pareto import hypervolume, reference_point
from archscope.search.run import pareto_frame, trials_frame
from archscope.search.space import load_space
from archscope.search.objective import SpaceObjective
from archscope.search.samplers import get_sampler

CHECKPOINTS = (50, 100, 200, 300, 500)


NO_REPAIR = "nsga2-norepair"


def run(space_name: str, sampler_name: str, seed: int, trials: int) -> list[dict]:
    space = load_space(space_name)
    profile = load_profile(space.constraints.device)
    truth = enumerate_space(space, profile)
    reference = reference_point(space, profile)
    true_volume = hypervolume(truth.front, space.objectives, reference)
    objective = SpaceObjective(space, profile)
    if sampler_name == NO_REPAIR:
        sampler = get_sampler("nsga2").make(seed)
    else:
        sampler = get_sampler(sampler_name).make(seed, objective)
    study = optuna.create_study(directions=[o.direction.value for o in space.objectives], sampler=sampler)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    seconds = time.perf_counter() - start
    frame = trials_frame(study, space)
    rows = []
    for checkpoint in (c for c in CHECKPOINTS if c <= trials):
        front = pareto_frame(frame[frame["trial"] < checkpoint], space)
        true_points = set(zip(truth.front["layers"], truth.front["width"])) if "width" in truth.front else set()
        found = set(zip(front["layers"], front["width"])) if "width" in front else set()
        rows.append({
            "space": space_name,
            "sampler": sampler_name,
            "seed": seed,
            "trials": checkpoint,
            "hypervolume_ratio": round(hypervolume(front, space.objectives, reference) / true_volume, 4),
            "front_points": len(front),
            "true_front_points": len(truth.front),
            "true_points_found": len(true_points & found),
            "feasible_trials": int(frame[frame["trial"] < checkpoint]["feasible"].sum()),
            "run_s": round(seconds, 1),
            "repair_evaluations": getattr(getattr(sampler, "repair", None), "evaluations", 0),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", default="ndnet,ndnet-table1")
    parser.add_argument("--samplers", default=f"tpe,nsga2,{NO_REPAIR},random")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("results/search_hypervolume.csv"))
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rows = []
    for space in args.spaces.split(","):
        for sampler in args.samplers.split(","):
            for seed in range(args.seeds):
                rows += run(space, sampler, seed, args.trials)
                last = rows[-1]
                print(f"{space} {sampler} seed {seed}: {last['hypervolume_ratio']:.3f} after {last['trials']} trials", flush=True)
    frame = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    summary = frame.groupby(["space", "sampler", "trials"])["hypervolume_ratio"].agg(["median", "min", "max"]).round(3)
    print(summary.to_string())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
