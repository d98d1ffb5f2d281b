"""How much faster the analytic model evaluates a search candidate than an fvcore count.

Usage: python benchmarks/analytic_speed.py [--repeats 5] [--out results/analytic_speed.csv]

For NDNet29/45/61 (FCN32 head, 1024x2048, as the search evaluates them) it times, each
``--repeats`` times, interleaved, and reports medians:

- ``analytic_ms``: the full analytic model, ``archscope.cost`` + the titanx latency
  prediction (graph built, every op costed, every kernel timed);
- ``search_ms``: what a search trial costs once its widths have been seen: the
  block-linear evaluator (archscope/search/vectorized.py; same numbers, cached blocks);
- ``fvcore_ms``: an fvcore count of the same network: the torch module built from the
  graph, then ``FlopCountAnalysis(model, input).total()`` on a 1x3x1024x2048 input
  (fvcore traces the model, i.e. runs it once, on this CPU);
- ``fvcore_count_ms``: the same without building the module.

Other processes share this machine: the load average is recorded, timings are noisy.
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
from archscope.families.ndnet import NDNET_PRESETS
from archscope.latency.profile import load_profile
from archscope.search.space import load_space
from archscope.search.vectorized import GridEvaluator
from archscope.torch_module import example_inputs, to_torch


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return 1e3 * (time.perf_counter() - start)


def _fvcore_count(network, model=None) -> int:
    from fvcore.nn import FlopCountAnalysis

    model = (model if model is not None else to_torch(network)).eval()
    with torch.no_grad():
        analysis = FlopCountAnalysis(model, example_inputs(network))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        return int(analysis.total())


def measure(repeats: int) -> pd.DataFrame:
    profile = load_profile("titanx")
    space = load_space("ndnet")
    evaluator = GridEvaluator(space, profile)
    rows = []
    for name in ("ndnet29", "ndnet45", "ndnet61"):
        preset = NDNET_PRESETS[name]
        config = {"widths": preset["widths"], "depths": preset["depths"], "head": "fcn32", "resolution": (1024, 2048)}
        drawn = {"n1": preset["widths"][0], **{f"d{i + 1}": d for i, d in enumerate(preset["depths"])}, "e": 4}
        network = api.build("ndnet", **config)
        model = to_torch(network).eval()
        evaluator.evaluate_one(drawn)  # warm the block cache, as a search does after a few trials
        _fvcore_count(network, model)  # warm-up (first trace)
        times: dict[str, list[float]] = {"analytic_ms": [], "search_ms": [], "fvcore_ms": [], "fvcore_count_ms": []}
        for _ in range(repeats):
            times["analytic_ms"].append(_timed(lambda: api.latency(api.cost("ndnet", **config), profile)))
            times["search_ms"].append(statistics.median(_timed(lambda: evaluator.evaluate_one(drawn)) for _ in range(50)))
            times["fvcore_ms"].append(_timed(lambda: _fvcore_count(network)))
            times["fvcore_count_ms"].append(_timed(lambda: _fvcore_count(network, model)))
        medians = {key: statistics.median(values) for key, values in times.items()}
        rows.append({
            "network": name,
            "widths": ",".join(map(str, preset["widths"])),
            "depths": ",".join(map(str, preset["depths"])),
            **{key: round(value, 3) for key, value in medians.items()},
            "speedup_analytic": round(medians["fvcore_ms"] / medians["analytic_ms"], 1),
            "speedup_analytic_vs_count_only": round(medians["fvcore_count_ms"] / medians["analytic_ms"], 1),
            "speedup_search": round(medians["fvcore_ms"] / medians["search_ms"], 1),
            "analytic_ms_all": " ".join(f"{v:.1f}" for v in times["analytic_ms"]),
            "fvcore_ms_all": " ".join(f"{v:.0f}" for v in times["fvcore_ms"]),
            "repeats": repeats,
            "torch_threads": torch.get_num_threads(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        })
        print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("results/analytic_speed.csv"))
    args = parser.parse_args()
    frame = measure(args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(frame[["network", "analytic_ms", "search_ms", "fvcore_ms", "fvcore_count_ms", "speedup_analytic", "speedup_search"]].to_string(index=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
