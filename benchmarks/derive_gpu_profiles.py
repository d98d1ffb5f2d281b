"""Derive the titanxp and jetson-tx2 profiles from the fitted titanx profile.

Usage: python benchmarks/derive_gpu_profiles.py

No published per-network latencies of these two devices are used for fitting, so their
efficiencies are copied from titanx (fitted on NDNet's Table II with
`archscope calibrate --from archscope/devices/titanx_table2.csv --device titanx
--out archscope/devices/titanx.toml`); their peak figures are their own published ones.
The TX2's per-kernel overhead is titanx's times ``TX2_OVERHEAD_SCALE``: kernels are
dispatched by its much slower ARM CPU. Run this after refitting titanx.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from archscope.latency.profile import load_profile, save_profile

DEVICES = Path(__file__).resolve().parents[1] / "archscope" / "devices"
TX2_OVERHEAD_SCALE = 3.0  # assumption: Cortex-A57/Denver vs the paper's Xeon, per-op dispatch


def main() -> None:
    source = load_profile(DEVICES / "titanx.toml")
    for name, overhead_scale in (("titanxp", 1.0), ("jetson-tx2", TX2_OVERHEAD_SCALE)):
        target = load_profile(DEVICES / f"{name}.toml")
        classes = {c: replace(p, overhead_us=p.overhead_us * overhead_scale) for c, p in source.classes.items()}
        fit = {
            "method": "benchmarks/derive_gpu_profiles.py: efficiencies copied from titanx, not fitted on this device",
            "overhead_scale": overhead_scale,
            "source_fit": source.fit.get("method", ""),
        }
        path = save_profile(replace(target, classes=classes, fit=fit), DEVICES / f"{name}.toml")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
