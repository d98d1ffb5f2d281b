"""Training throughput of ``archscope train`` against a plain PyTorch loop on the same
model and the same data.

Usage: python benchmarks/train_overhead.py [--out results/train_overhead.json] [--rounds 5] [--steps 41]

Both loops train the same network (the torch module archscope builds, in the same memory
format) on the same stream of augmented shapes scenes with SGD + momentum + weight decay
and pixel-wise cross entropy. archscope's loop adds what the tool does per step: the
learning-rate hook, the rich progress bar (rendered, to a buffer), a metrics.csv row
(flushed) and the loss sync. Evaluation and checkpoints are left out of both (they run
before the first and after the last timed step).

Each measurement times steps 2..N (step 1 warms up) from a hook / in the loop; rounds
alternate the order (ABBA) to cancel drift; medians are reported, and the median of the
per-round overheads. CPU timings here vary by up to 2x from run to run, more when other
jobs share the machine (the load average is recorded); glibc's malloc settings matter
too (see README, Latency): run it with the settings recorded in ``malloc_env``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from torch.utils.data import DataLoader

from archscope.data import IGNORE_INDEX, open_datasets
from archscope.data.stream import PositionSampler, TrainStream
from archscope.torch_module import to_torch
from archscope.train import TrainConfig, Trainer, TrainHook
from archscope.train.layout import set_memory_format
from archscope.train.model import segmentation_network
from archscope.train.progress import RichProgress

HYPER = {"widths": [16, 32, 64], "depths": [4, 12, 6]}
CROP, BATCH = (128, 128), 8


class StepClock(TrainHook):
    """Wall time from the end of step 1 to the end of the last step."""

    def __init__(self) -> None:
        self.started = self.stopped = 0.0

    def after_step(self, state) -> None:  # noqa: ANN001
        if state.step == 1:
            self.started = time.perf_counter()
        if state.step == state.steps:
            self.stopped = time.perf_counter()


def archscope_loop(steps: int, run_dir: Path) -> float:
    """Images/s of archscope's trainer over steps 2..steps."""
    config = TrainConfig(
        family="ndnet",
        hyper=HYPER,
        steps=steps,
        batch=BATCH,
        crop=CROP,
        eval_every=0,
        checkpoint_every=0,
        eval_images=1,
        out=run_dir,
    )
    clock = StepClock()
    progress = RichProgress(Console(file=io.StringIO(), force_terminal=True, width=120))
    trainer = Trainer(config, hooks=[clock], progress=progress)
    trainer.start()
    trainer.run()
    return (steps - 1) * BATCH / (clock.stopped - clock.started)


def plain_loop(steps: int) -> float:
    """Images/s of a plain PyTorch loop over steps 2..steps."""
    data = open_datasets("shapes", crop=CROP)
    torch.manual_seed(0)
    network = segmentation_network("ndnet", HYPER, classes=len(data.classes), batch=BATCH, resolution=CROP)
    model = set_memory_format(to_torch(network), channels_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    stream = TrainStream(data.train, crop=CROP, scales=(0.75, 1.0, 1.25, 1.5, 2.0), seed=0)
    loader = DataLoader(stream, batch_size=BATCH, sampler=PositionSampler(first_step=1, last_step=steps, batch=BATCH))
    started = 0.0
    for step, (images, labels) in enumerate(loader, start=1):
        images = images.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels, ignore_index=IGNORE_INDEX)
        loss.backward()
        optimizer.step()
        if step == 1:
            started = time.perf_counter()
    return (steps - 1) * BATCH / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/train_overhead.json"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=41)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            order = ("archscope", "plain") if round_ % 2 == 0 else ("plain", "archscope")
            for name in order:
                run_dir = Path(tmp) / f"{name}-{round_}"
                ips = archscope_loop(args.steps, run_dir) if name == "archscope" else plain_loop(args.steps)
                rows.append({"round": round_, "loop": name, "images_per_s": round(ips, 2)})
                print(rows[-1], flush=True)
    ours = statistics.median(r["images_per_s"] for r in rows if r["loop"] == "archscope")
    plain = statistics.median(r["images_per_s"] for r in rows if r["loop"] == "plain")
    speed = {(r["round"], r["loop"]): r["images_per_s"] for r in rows}
    paired = [100 * (speed[k, "plain"] / speed[k, "archscope"] - 1) for k in range(args.rounds)]
    result = {
        "command": f"python benchmarks/train_overhead.py --rounds {args.rounds} --steps {args.steps}",
        "model": {"family": "ndnet", **HYPER, "crop": list(CROP), "batch": BATCH, "memory_format": "channels_last"},
        "timed_steps": args.steps - 1,
        "torch_threads": torch.get_num_threads(),
        "load_average_1_5_15_min": os.getloadavg(),
        "archscope_images_per_s_median": ours,
        "plain_images_per_s_median": plain,
        "overhead_pct": round(100 * (plain / ours - 1), 2),
        "overhead_pct_per_round": [round(p, 2) for p in paired],
        "overhead_pct_median_of_rounds": round(statistics.median(paired), 2),
        "malloc_env": {k: os.environ.get(k) for k in ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")},
        "measurements": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"archscope {ours:.1f} images/s, plain loop {plain:.1f} images/s: overhead {result['overhead_pct']:+.2f}%; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
