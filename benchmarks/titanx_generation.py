"""Which Titan X did the NDNet paper use? Fit Table II on each generation's published peak.

Usage: python benchmarks/titanx_generation.py [--out results/titanx_generation.csv]

The same three device-wide parameters (compute efficiency, memory efficiency, per-kernel
overhead) are fitted to the four e=4 rows of Table II on the Maxwell (2015) and on the
Pascal (2016) Titan X's published peak compute and bandwidth. A fit that needs an
efficiency above 1 is not physical.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pandas as pd

from archscope import api
from archscope.families.ndnet import NDNET_PRESETS
from archscope.latency.fit import fit_device_wide, sample
from archscope.latency.profile import load_profile

GENERATIONS = {
    # name: (peak MAC/s, DRAM bytes/s, source)
    "maxwell": (6.6e12 / 2, 336.5e9, "GTX TITAN X: 3072 cores x 1.075 GHz boost x 2 = 6.6 TFLOP/s; 7 Gbps x 384 bit = 336.5 GB/s"),
    "pascal": (10.97e12 / 2, 480e9, "TITAN X (Pascal): 3584 cores x 1.531 GHz x 2 = 10.97 TFLOP/s; 10 Gbps x 384 bit = 480 GB/s"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/titanx_generation.csv"))
    args = parser.parse_args()
    base = load_profile("titanx")
    rows = []
    for generation, (peak, bandwidth, source) in GENERATIONS.items():
        profile = replace(base, peak_macs_per_s=peak, dram_bytes_per_s=bandwidth, cache_bytes_per_s=bandwidth)
        samples = [
            sample(api.cost("ndnet", widths=p.hyper["widths"], depths=p.hyper["depths"]), profile, 1 / p.paper["fps"], name)
            for name, p in NDNET_PRESETS.items()
        ]
        fitted, rms = fit_device_wide(profile, samples)
        params = fitted.classes["conv"]
        rows.append({
            "generation": generation,
            "compute_efficiency": round(params.compute_efficiency, 4),
            "memory_efficiency": round(params.memory_efficiency, 4),
            "overhead_us": round(params.overhead_us, 3),
            "rms_log_error": round(rms, 5),
            "physical": params.compute_efficiency <= 1 and params.memory_efficiency <= 1,
            "source": source,
        })
    frame = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(frame.drop(columns="source").to_string(index=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
