"""Two CPU processes under torchrun with gloo: one DDP job, one set of weights."""

import csv
import json
import os
import socket
import subprocess
import sys

from archscope.train.checkpoint import load_checkpoint


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_gloo_processes_train_one_model(tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-addr",
        "127.0.0.1",
        "--master-port",
        str(free_port()),
        "-m",
        "archscope",
        "train",
        "ndnet",
        "--widths",
        "8,16",
        "--depths",
        "1,1",
        "--stem-channels",
        "8",
        "--head-channels",
        "16",
        "--resolution",
        "32x32",
        "--batch",
        "2",
        "--steps",
        "4",
        "--eval-images",
        "6",
        "--out",
        str(out),
        "--format",
        "json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=_env())
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)  # printed once, by rank 0
    assert summary["world_size"] == 2 and summary["steps"] == 4
    assert summary["ranks_in_sync"] is True  # DDP kept both processes' weights equal
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint["world_size"] == 2 and checkpoint["step"] == 4
    with open(out / "metrics.csv", newline="") as handle:
        steps = [int(r["step"]) for r in csv.DictReader(handle) if r["phase"] == "train"]
    assert steps == [1, 2, 3, 4]  # rank 0 alone writes the metrics


def _env() -> dict:
    """This environment without a surrounding torchrun's variables, one thread per process."""
    skip = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    return {**{k: v for k, v in os.environ.items() if k not in skip}, "OMP_NUM_THREADS": "1"}
