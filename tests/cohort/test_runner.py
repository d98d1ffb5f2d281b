"""A cohort worker in-process: every network trained once under the recipe, skipped on
rerun, resumed from its checkpoint after a crash or Ctrl-C, the summary written."""

import csv
import json
import os
import signal

import pytest

from archscope.cohort.networks import choose
from archscope.cohort.runner import run_cohort
from archscope.cohort.summary import read_summary
from archscope.train.checkpoint import load_checkpoint
from archscope.train.loop import Trainer
from tests.cohort.conftest import request


def train_steps(folder):
    with open(folder / "metrics.csv", newline="") as handle:
        return [int(r["step"]) for r in csv.DictReader(handle) if r["phase"] == "train"]


@pytest.fixture
def chosen(loaded_run, titanx):
    return choose(loaded_run, titanx, rows="0,1", baselines="ndnet29")


def test_every_network_is_trained_once_and_summarised(loaded_run, chosen, tmp_path):
    out = tmp_path / "cohort"
    outcome = run_cohort(request(loaded_run, chosen, out))
    assert outcome.trained == ["row0", "row1", "ndnet29"] and not outcome.interrupted
    summary = read_summary(out)
    assert list(summary["name"]) == ["row0", "row1", "ndnet29"] and set(summary["state"]) == {"done"}
    assert list(summary["kind"]) == ["front", "front", "baseline"]
    for column in ("widths", "depths", "layers", "params", "macs", "latency_ms", "fps", "miou", "pixel_accuracy",
                   "images_per_s", "train_s", "trained_params"):
        assert summary[column].notna().all(), column
    assert summary["fps"].tolist() == pytest.approx([m.metrics["fps"] for m in chosen], rel=1e-5)
    for member in chosen:
        folder = out / member.name
        assert train_steps(folder) == [1, 2, 3, 4] and load_checkpoint(folder / "checkpoint.pt")["step"] == 4
        result = json.loads((folder / "result.json").read_text())
        assert result["network"]["name"] == member.name and result["recipe"]["steps"] == 4
    assert (out / "cohort.toml").read_text().count("steps = 4") == 1

    again = run_cohort(request(loaded_run, chosen, out))  # the same command again: nothing to train
    assert again.trained == [] and read_summary(out)["miou"].tolist() == summary["miou"].tolist()

    (out / "study.db").unlink()  # the work list lost: the folders' results are kept, not retrained
    for suffix in ("-wal", "-shm"):
        (out / f"study.db{suffix}").unlink(missing_ok=True)
    assert run_cohort(request(loaded_run, chosen, out)).trained == []


def _stop_at(monkeypatch, name, step, action):
    """Run ``action`` once, when network ``name`` is about to take step ``step``."""
    original, fired = Trainer._one_step, []

    def one_step(self, model, at, batch):
        if self.config.out.name == name and at == step and not fired:
            fired.append(at)
            action()
        return original(self, model, at, batch)

    monkeypatch.setattr(Trainer, "_one_step", one_step)


def test_a_crashed_network_resumes_from_its_checkpoint(loaded_run, chosen, tmp_path, monkeypatch):
    out = tmp_path / "cohort"

    def crash():
        raise RuntimeError("simulated crash")

    _stop_at(monkeypatch, "row1", 4, crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_cohort(request(loaded_run, chosen, out, steps=6))
    assert load_checkpoint(out / "row1" / "checkpoint.pt")["step"] == 2
    outcome = run_cohort(request(loaded_run, chosen, out, steps=6))
    assert sorted(outcome.trained) == ["ndnet29", "row1"]
    assert train_steps(out / "row1") == list(range(1, 7))  # every step once
    assert set(read_summary(out)["state"]) == {"done"}


def test_ctrl_c_stops_the_worker_and_the_same_command_continues(loaded_run, chosen, tmp_path, monkeypatch):
    out = tmp_path / "cohort"
    _stop_at(monkeypatch, "row1", 3, lambda: os.kill(os.getpid(), signal.SIGINT))
    outcome = run_cohort(request(loaded_run, chosen, out, steps=6))
    assert outcome.interrupted and outcome.trained == ["row0"]
    assert list(outcome.summary["state"]) == ["done", "stopped", "waiting"]
    assert load_checkpoint(out / "row1" / "checkpoint.pt")["step"] == 3  # the step under way finished
    outcome = run_cohort(request(loaded_run, chosen, out, steps=6))
    assert sorted(outcome.trained) == ["ndnet29", "row1"] and not outcome.interrupted
    assert train_steps(out / "row1") == list(range(1, 7))
