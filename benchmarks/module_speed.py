"""How fast ``archscope cost --module`` reads a user's module, against fvcore's count.

The model is an ERFNet written as its authors' code is (``benchmarks/modules/erfnet.py``,
2.06M parameters) on a 1×3×1024×2048 input. Measured, interleaved and repeated, medians:

- in-process: ``analyze(from_module(model, shape))`` against
  ``FlopCountAnalysis(model, x).total()`` (target: archscope >= 20× faster);
- whole commands: ``archscope cost --module benchmarks.modules.erfnet:build --input
  1x3x1024x2048 --format json`` against a script that imports torch and runs fvcore's
  count (target: <= 0.4× its time), with ``archscope --help`` and ``import torch`` for the
  start-up they include;
- the peak resident memory of both whole commands (archscope must not allocate the
  activations of the 1024×2048 input).

Run from the repository root: ``python benchmarks/module_speed.py`` (writes
results/module_speed.csv).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks.modules, as the commands below import it from the root
SHAPE = (1, 3, 1024, 2048)
SPEC = "benchmarks.modules.erfnet:build"
FVCORE_SCRIPT = f"""
import torch
from fvcore.nn import FlopCountAnalysis
import benchmarks.modules.erfnet as m
analysis = FlopCountAnalysis(m.build().eval(), torch.zeros{SHAPE})
analysis.unsupported_ops_warnings(False)
analysis.uncalled_modules_warnings(False)
print(analysis.total())
"""
ARCHSCOPE = [sys.executable, "-c", "from archscope.cli import entry; entry()"]
COMMANDS = {
    "archscope cost --module": [*ARCHSCOPE, "cost", "--module", SPEC, "--input", "x".join(map(str, SHAPE)),
                                "--format", "json"],
    "fvcore script": [sys.executable, "-c", FVCORE_SCRIPT],
    "archscope --help": [*ARCHSCOPE, "--help"],
    "import torch": [sys.executable, "-c", "import torch"],
}


def in_process(repeats: int) -> list[dict]:
    import torch
    from fvcore.nn import FlopCountAnalysis

    import benchmarks.modules.erfnet as erfnet
    from archscope.costs import analyze
    from archscope.imports import from_module

    model = erfnet.build().eval()
    x = torch.zeros(SHAPE)

    def archscope_count() -> int:
        return int(analyze(from_module(model, SHAPE)).total.cost.macs)

    def fvcore_count() -> int:
        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        return int(analysis.total())

    rows = []
    for repeat in range(repeats):
        for name, count in (("archscope in-process", archscope_count), ("fvcore in-process", fvcore_count)):
            start = time.perf_counter()
            count()
            rows.append({"measure": name, "repeat": repeat, "seconds": time.perf_counter() - start})
    return rows


def whole_commands(repeats: int) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    for repeat in range(repeats):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            if status != 0:
                raise SystemExit(f"{name} failed: {process.stderr.read().decode()[-500:]}")
            rows.append({"measure": name, "repeat": repeat, "seconds": seconds, "max_rss_bytes": usage.ru_maxrss * 1024})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("results/module_speed.csv"))
    args = parser.parse_args()
    # the commands first: a child forked from this process after fvcore's count would
    # start with its resident pages counted in its peak
    rows = whole_commands(args.repeats) + in_process(args.repeats)
    frame = pd.DataFrame(rows)
    summary = frame.groupby("measure").agg(median_s=("seconds", "median"), min_s=("seconds", "min"),
                                           max_s=("seconds", "max"), max_rss_bytes=("max_rss_bytes", "max"))
    medians = summary["median_s"]
    ratios = {
        "fvcore / archscope, in-process (target >= 20)": medians["fvcore in-process"] / medians["archscope in-process"],
        "archscope / fvcore script, whole commands (target <= 0.4)":
            medians["archscope cost --module"] / medians["fvcore script"],
    }
    summary = summary.reset_index()
    for label, value in ratios.items():
        summary.loc[len(summary)] = {"measure": label, "median_s": round(value, 3)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(args.out, index=False, float_format="%.4g")
    print(summary.to_string(index=False))
    print(f"load average during the run: {os.getloadavg()[0]:.2f}; repeats {args.repeats}; "
          f"median of each, runs interleaved ({statistics.median(frame['seconds']):.2f} s a run)")


if __name__ == "__main__":
    main()
