"""Hooks: things that act on a run between steps.

The learning-rate schedule is one; schedules that change the model while it trains
(gradual grouping, which masks dense convolutions into grouped ones step by step) are
others. A hook sees the unwrapped model and the optimizer before and after every step and
saves its own state in the checkpoint, so a resumed run continues its schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from archscope.train.schedule import Schedule
from archscope.train.schedule import lr_at

if TYPE_CHECKING:
    from archscope.train.metrics import SegmentationScores


@dataclass
class StepState:
    """``step`` (from 1) is the step about to run (``before_step``) or just run
    (``after_step``) of ``steps``."""

    step: int
    steps: int
    model: nn.Module
    optimizer: torch.optim.Optimizer


class TrainHook:
    """Base class: every method is optional. ``name`` keys the hook's checkpoint state."""

    name = "hook"

    def before_step(self, state: StepState) -> None:
        """Called before the step's forward pass: may change the model or optimizer."""

    def after_step(self, state: StepState) -> None:
        """Called after the optimizer step (e.g. to re-apply a weight mask)."""

    def after_evaluation(self, step: int, scores: SegmentationScores) -> None:
        """Called after each evaluation (``step`` 0: before the first step), on every
        process; an exception raised here ends the run (e.g. a pruned trial)."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (on resume)."""


class LearningRate(TrainHook):
    """Sets every parameter group's learning rate from the schedule before each step."""

    name = "learning_rate"

    def __init__(self, *, base_lr: float, schedule: Schedule) -> None:
        self.base_lr, self.schedule = base_lr, schedule

    def before_step(self, state: StepState) -> None:
        lr = lr_at(state.step, steps=state.steps, base_lr=self.base_lr, schedule=self.schedule)
        for group in state.optimizer.param_groups:
            group["lr"] = lr
