"""``archscope train``: summary, metrics, resume after kill -9 and Ctrl-C, corrupt
checkpoints, --from a search run, one-line errors."""

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archscope.cli import main
from archscope.train.checkpoint import load_checkpoint

TINY = [
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
    "--eval-images",
    "4",
]


def run(capsys, *args):
    code = main(["train", *args])
    out, err = capsys.readouterr()
    return code, out, err


def train_steps(out: Path) -> list[int]:
    with open(out / "metrics.csv", newline="") as handle:
        return [int(r["step"]) for r in csv.DictReader(handle) if r["phase"] == "train"]


def test_json_summary_and_metrics(capsys, tmp_path):
    code, out, _ = run(capsys, *TINY, "--steps", "6", "--out", str(tmp_path / "run"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {"miou_initial", "miou_final", "steps", "images_per_s", "iou_final", "config"} <= set(data)
    assert data["steps"] == 6 and data["images_per_s"] > 0 and 0 <= data["miou_initial"] <= 1
    assert data["hyper"]["widths"] == [8, 16] and data["config"]["crop"] == [32, 32]
    assert train_steps(tmp_path / "run") == list(range(1, 7))


def test_throughput_leaves_out_the_evaluation_before_training(capsys, tmp_path):
    # 64 evaluation images take longer than one training step of 2: the throughput must
    # still be positive (the first evaluation is not subtracted from the loop's time)
    args = [*TINY[:-1], "64", "--steps", "1", "--eval-every", "0"]
    code, out, _ = run(capsys, *args, "--out", str(tmp_path / "run"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["train_s"] > 0 and data["images_per_s"] > 0


def test_table_output(capsys, tmp_path):
    code, out, _ = run(capsys, *TINY, "--steps", "2", "--out", str(tmp_path / "run"), "--schedule", "poly", "--amp")
    assert code == 0
    assert "mIoU before" in out and "IoU per class" in out and "triangle" in out


def test_corrupt_checkpoint_is_refused(capsys, tmp_path):
    out_dir = tmp_path / "run"
    assert run(capsys, *TINY, "--steps", "2", "--out", str(out_dir))[0] == 0
    checkpoint = out_dir / "checkpoint.pt"
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    code, out, err = run(capsys, *TINY, "--steps", "2", "--out", str(out_dir), "--resume")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "corrupt" in err and "checkpoint.pt" in err


def wait_for(condition, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def checkpoint_step(out: Path) -> int:
    try:
        return load_checkpoint(out / "checkpoint.pt")["step"]
    except Exception:  # not written yet
        return 0


def test_killed_and_interrupted_runs_resume_without_losing_a_step(capsys, tmp_path):
    out_dir = tmp_path / "run"
    args = [*TINY, "--steps", "120", "--checkpoint-every", "5", "--eval-every", "0", "--out", str(out_dir)]
    command = [sys.executable, "-m", "archscope", "train", *args]
    # 1. kill -9 after a checkpoint and more steps: the checkpoint survives intact
    killed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(
        lambda: (
            checkpoint_step(out_dir) >= 5
            and (out_dir / "metrics.csv").is_file()
            and max(train_steps(out_dir), default=0) >= checkpoint_step(out_dir) + 2
        ),
        "a checkpoint and two more steps",
    )
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    saved = checkpoint_step(out_dir)
    assert saved >= 5
    # 2. resume, then Ctrl-C: the step under way finishes, a checkpoint is written, exit 130
    old_log = (out_dir / "metrics.csv").stat().st_ino  # the resumed run rewrites it (new inode)
    resumed = subprocess.Popen([*command, "--resume"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(
        lambda: (
            (out_dir / "metrics.csv").stat().st_ino != old_log and max(train_steps(out_dir), default=0) >= saved + 3
        ),
        "the resumed run to take steps",
    )
    resumed.send_signal(signal.SIGINT)
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 130, err
    stopped = checkpoint_step(out_dir)
    assert stopped >= saved + 3 and f"interrupted after step {stopped}" in err and "--resume" in err
    assert train_steps(out_dir) == list(range(1, stopped + 1))
    # 3. finish: every step once
    code, out, _ = run(capsys, *args, "--resume", "--format", "json")
    assert code == 0 and json.loads(out)["resumed_from_step"] == stopped
    assert train_steps(out_dir) == list(range(1, 121))


def write_run(folder: Path) -> Path:
    folder.mkdir()
    rows = [
        {
            "widths": "24,48,96",
            "depths": "3,8,3",
            "expansion": "4",
            "layers": "29",
            "params": "515000",
            "fps": "55.1",
            "feasible": "True",
            "head": "none",
        },
        {
            "widths": "8,16",
            "depths": "1,2",
            "expansion": "2",
            "layers": "7",
            "params": "9000",
            "fps": "900.0",
            "feasible": "True",
            "head": "none",
        },
    ]
    with open(folder / "pareto.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_from_a_search_row(capsys, tmp_path):
    run_dir = write_run(tmp_path / "search")
    code, out, err = run(
        capsys,
        "--from",
        str(run_dir),
        "--row",
        "1",
        "--steps",
        "2",
        "--resolution",
        "32x32",
        "--batch",
        "2",
        "--eval-images",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["family"] == "ndnet" and data["hyper"] == {"widths": [8, 16], "depths": [1, 2], "expansion": 2}
    assert data["config"]["crop"] == [32, 32]


@pytest.mark.parametrize(
    "args, names",
    [
        ([*TINY, "--steps", "0"], "--steps"),
        ([*TINY, "--steps", "ten"], "ten"),
        ([*TINY, "--lr", "-1"], "-1"),
        ([*TINY, "--scales", "1,big"], "big"),
        ([*TINY, "--data", "imagenet"], "imagenet"),
        ([*TINY, "--data", "cityscapes:/no/such/dir"], "/no/such/dir"),
        ([*TINY, "--resume"], "--out"),
        ([*TINY, "--head", "none"], "fcn32"),
        ([*TINY, "--resolution", "0x32"], "0x32"),
        ([*TINY, "--gradual-grouping", "0.6,0.2"], "0 <= START < END <= 1"),
        ([*TINY, "--gradual-grouping", "0.5"], "START,END"),
        (["--from", "/no/such/run"], "/no/such/run"),
        (["--from", "SEARCH", "--row", "5"], "5"),
        (["--steps", "3", "ndnet"], "--steps"),
        ([], "family"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, args, names):
    run_dir = write_run(tmp_path / "search")
    args = [str(run_dir) if a == "SEARCH" else a for a in args]
    if args and args[0] == "ndnet" and "--resume" not in args:
        args += ["--out", str(tmp_path / "run")]
    code, out, err = run(capsys, *args) if args else run(capsys, "--row", "0")
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archscope: error:") and names in lines[0], err
    assert out == ""


TINY_VNET = ["vnet", "--widths", "8,16,32", "--depths", "1,2", "--cpp-channels", "8", "--resolution", "48x48",
             "--batch", "2", "--eval-images", "2", "--steps", "2", "--format", "json"]


def test_vnet_trains_the_same_with_and_without_reversible_modules(capsys, tmp_path):
    results = {}
    for flag in ("--reversible", "--no-reversible"):
        code, out, err = run(capsys, *TINY_VNET, flag, "--out", str(tmp_path / flag))
        assert code == 0, err
        results[flag] = json.loads(out)
    assert results["--reversible"]["hyper"]["reversible"] is True
    assert results["--no-reversible"]["hyper"]["reversible"] is False
    assert results["--reversible"]["loss_final"] == pytest.approx(results["--no-reversible"]["loss_final"], rel=1e-4)


def test_gradual_grouping_ends_with_a_grouped_model(capsys, tmp_path):
    erfnet = ["erfnet", "--widths", "8,16,32", "--depths", "1,1", "--decoder-depths", "1,1", "--conv", "shuffled",
              "--groups", "2", "--resolution", "32x32", "--batch", "2", "--eval-images", "2", "--steps", "4"]
    code, out, err = run(capsys, *erfnet, "--gradual-grouping", "0,0.5", "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert "gradual grouping: dense convs converted to grouped ones" in out
    assert (tmp_path / "run" / "grouped_model.pt").is_file()
    dense = [a if a != "shuffled" else "dense" for a in erfnet]
    code, out, err = run(capsys, *dense, "--gradual-grouping", "0,0.5", "--out", str(tmp_path / "dense"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "no grouped convolutions" in err
