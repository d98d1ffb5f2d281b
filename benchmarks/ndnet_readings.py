"""Compare the plausible readings of NDNet's block transitions with Table II.

Usage: python benchmarks/ndnet_readings.py [--out results/ndnet_readings.csv]

For every reading (transition x stem width x whether BN's gamma/beta are counted) it
costs the four e=4 networks of Table II without a head and writes their params and
relative error; the summary printed at the end ranks readings by their worst error.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import pandas as pd

from archscope import api
from archscope.families.ndnet import NDNET_PRESETS, Transition


def readings() -> pd.DataFrame:
    rows = []
    for transition, stem, count_bn in itertools.product(Transition, (8, 32, 64), (False, True)):
        for name, preset in NDNET_PRESETS.items():
            cost = api.cost(
                "ndnet", widths=preset.hyper["widths"], depths=preset.hyper["depths"], head="none",
                transition=transition, stem_channels=stem,
            ).total.cost
            params = cost.params + (cost.norm_params if count_bn else 0)
            rows.append({
                "transition": transition.value,
                "stem_channels": stem,
                "bn_params_counted": count_bn,
                "network": name,
                "params": int(params),
                "paper_params": preset.paper["params"],
                "error_pct": round(100 * (params / preset.paper["params"] - 1), 3),
            })
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/ndnet_readings.csv"))
    args = parser.parse_args()
    frame = readings()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    keys = ["transition", "stem_channels", "bn_params_counted"]
    summary = frame.assign(abs_error_pct=frame.error_pct.abs()).groupby(keys).abs_error_pct.max()
    print(summary.sort_values().rename("worst |error| % over Table II's four rows").to_string())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
