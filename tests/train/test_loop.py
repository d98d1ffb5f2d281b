"""The training loop: metrics, resume without losing or changing a step, hooks, stop."""

import csv
import math
import os
import signal

import pytest
import torch

from archscope.train import CheckpointError, Trainer, TrainHook, TrainingInterrupted, train
from archscope.train.checkpoint import load_checkpoint
from tests.train.hooks import CrashAt


def rows(path):
    with open(path / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def train_losses(path):
    return [(int(r["step"]), float(r["loss"])) for r in rows(path) if r["phase"] == "train"]


class Counter(TrainHook):
    """Counts the steps it saw; its count is checkpointed."""

    name = "counter"

    def __init__(self):
        self.count = 0

    def after_step(self, state):
        self.count += 1
        assert state.model.training and state.optimizer.param_groups[0]["lr"] > 0

    def state_dict(self):
        return {"count": self.count}

    def load_state_dict(self, state):
        self.count = state.get("count", 0)


def test_run_logs_every_step_and_evaluates_before_the_first(tiny_config):
    config = tiny_config()
    result = train(config)
    assert result.steps == 8 and result.resumed_from_step == 0
    logged = rows(config.out)
    assert [(r["step"], r["phase"]) for r in logged if r["phase"] == "eval"] == [
        ("0", "eval"),
        ("4", "eval"),
        ("8", "eval"),
    ]
    assert [step for step, _ in train_losses(config.out)] == list(range(1, 9))
    first_eval = next(r for r in logged if r["phase"] == "eval")
    assert float(first_eval["miou"]) == pytest.approx(result.miou_initial, rel=1e-5)
    assert set(result.iou_final) == {"background", "disc", "square", "triangle", "ring", "cross"}
    assert result.images_per_s > 0 and math.isfinite(result.loss_final)
    assert load_checkpoint(config.out / "checkpoint.pt")["step"] == 8


def test_resume_after_a_crash_repeats_no_step_and_matches_an_uninterrupted_run(tiny_config, tmp_path):
    reference = train(tiny_config(out=tmp_path / "reference"))
    crashed = tiny_config(out=tmp_path / "crashed")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(crashed, hooks=[CrashAt(6)])  # checkpoints at 3 (and would at 6): steps 4, 5 are lost
    assert load_checkpoint(crashed.out / "checkpoint.pt")["step"] == 3
    resumed = train(crashed, resume=True)
    assert resumed.resumed_from_step == 3 and resumed.steps == 8
    ours, theirs = train_losses(crashed.out), train_losses(reference.out)
    assert [s for s, _ in ours] == list(range(1, 9))  # every step once, in order
    assert [loss for _, loss in ours] == pytest.approx([loss for _, loss in theirs], rel=1e-4)
    a = load_checkpoint(crashed.out / "checkpoint.pt")["model"]
    b = load_checkpoint(reference.out / "checkpoint.pt")["model"]
    assert all(torch.allclose(a[k].float(), b[k].float(), rtol=1e-4, atol=1e-6) for k in a)
    assert resumed.miou_initial == reference.miou_initial


def test_hooks_act_between_steps_and_keep_their_state_across_resume(tiny_config):
    config = tiny_config()
    with pytest.raises(RuntimeError):
        train(config, hooks=[Counter(), CrashAt(5)])
    counter = Counter()
    train(config, resume=True, hooks=[counter])
    assert counter.count == 8  # 3 before the checkpoint, 5 after resuming


class Evaluations(TrainHook):
    """Records the step and mIoU of every evaluation; stops the run at ``stop_at``."""

    def __init__(self, stop_at=None):
        self.seen, self.stop_at = [], stop_at

    def after_evaluation(self, step, scores):
        self.seen.append((step, scores.miou))
        if step == self.stop_at:
            raise RuntimeError(f"stopped at {step}")


def test_hooks_see_every_evaluation_and_may_end_the_run(tiny_config):
    hook = Evaluations()
    result = train(tiny_config(), hooks=[hook])
    assert [step for step, _ in hook.seen] == [0, 4, 8] and hook.seen[-1][1] == result.miou_final
    stopping = Evaluations(stop_at=4)
    with pytest.raises(RuntimeError, match="stopped at 4"):
        train(tiny_config(out=tiny_config().out.with_name("stopped")), hooks=[stopping])
    assert [step for step, _ in stopping.seen] == [0, 4]


def test_resume_refuses_another_configuration(tiny_config):
    train(tiny_config(steps=3))
    with pytest.raises(CheckpointError, match="lr: 0.1 there, 0.05 here"):
        Trainer(tiny_config(steps=3, lr=0.05)).start(resume=True)
    with pytest.raises(CheckpointError, match="already holds a training run"):
        Trainer(tiny_config(steps=3)).start(resume=False)


class Interrupt(TrainHook):
    """Sends this process SIGINT during step ``step``, as Ctrl-C would."""

    def __init__(self, step):
        self.step = step

    def before_step(self, state):
        if state.step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_finishes_the_step_checkpoints_and_stops(tiny_config):
    config = tiny_config(checkpoint_every=0)
    with pytest.raises(TrainingInterrupted) as stop:
        train(config, hooks=[Interrupt(5)])
    assert stop.value.step == 5
    assert load_checkpoint(config.out / "checkpoint.pt")["step"] == 5
    assert [s for s, _ in train_losses(config.out)] == [1, 2, 3, 4, 5]
    assert train(config, resume=True).resumed_from_step == 5
