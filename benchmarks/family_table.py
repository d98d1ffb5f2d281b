"""Params, BN params, MACs, layers and predicted Titan X fps of every family's presets
at 1024x2048.

Usage: python benchmarks/family_table.py [--out results/families.csv] [--device NAME ...]

One row per preset of every registered family (plus a ``default`` row when no preset is
the default configuration), with the published parameter count and our error against
it where the paper gives one (for ``params``, the papers' convention, and for torch's
count, BN included), counted over what the paper counts (NDNet's Table II: the backbone
without its FCN32 head), and the predicted latency and fps (batch 1) on each device
profile (``archscope cost --device``'s model; default: titanx, NDNet's and ICNet's GPU).
"""

from __future__ import annotations

import argparse
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd

from archscope import api
from archscope.families import FAMILIES, Preset
from archscope.latency import DeviceProfile, load_profile, predict

RESOLUTION = (1024, 2048)
DEVICES = ("titanx",)
#: what a family's published parameter count covers, when it is not the whole network
PAPER_SCOPE: dict[str, dict[str, Any]] = {"ndnet": {"head": "none"}}


def _shown(hyper: dict[str, Any]) -> str:
    parts = []
    for name, value in hyper.items():
        value = value.value if isinstance(value, Enum) else value
        parts.append(f"{name}={','.join(map(str, value)) if isinstance(value, tuple) else value}")
    return " ".join(parts) or "default"


def presets(family: str) -> dict[str, Preset]:
    """The family's presets; its default configuration first if no preset is it."""
    found = dict(FAMILIES[family].presets)
    default = api.resolve_config(family)
    if all(api.resolve_config(family, **values.hyper) != default for values in found.values()):
        found = {"default": Preset(), **found}
    return found


def row(family: str, preset: str, values: Preset, profiles: tuple[DeviceProfile, ...] = ()) -> dict[str, Any]:
    hyper = dict(values.hyper)
    report = api.cost(family, resolution=RESOLUTION, **hyper)
    cost = report.total.cost
    paper = values.paper.get("params")
    scoped = api.cost(family, resolution=RESOLUTION, **{**hyper, **PAPER_SCOPE.get(family, {})}).total
    result: dict[str, Any] = {
        "family": family,
        "preset": preset,
        "config": _shown(hyper),
        "params": int(cost.params),
        "norm_params": int(cost.norm_params),
        "torch_params": int(cost.params + cost.norm_params),
        "macs": int(cost.macs),
        "layers": int(report.total.layers),
        "paper_params": paper,
        "params_error_pct": round(100 * (scoped.cost.params / paper - 1), 2) if paper else None,
        "torch_params_error_pct": round(100 * (scoped.all_params / paper - 1), 2) if paper else None,
    }
    for profile in profiles:
        prediction = predict(report, profile)
        result[f"{profile.name}_latency_ms"] = round(prediction.latency_ms, 3)
        result[f"{profile.name}_fps"] = round(prediction.fps, 2)
    return result


def table(devices: tuple[str, ...] = DEVICES) -> pd.DataFrame:
    profiles = tuple(load_profile(device) for device in devices)
    rows = [row(family, name, values, profiles) for family in FAMILIES for name, values in presets(family).items()]
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/families.csv"))
    parser.add_argument("--device", nargs="+", default=list(DEVICES), metavar="NAME",
                        help=f"device profiles to predict latency and fps on (default: {' '.join(DEVICES)})")
    args = parser.parse_args()
    frame = table(tuple(args.device))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(frame.drop(columns="config").to_string(index=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
