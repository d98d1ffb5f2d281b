"""Learning-rate schedules as pure functions of the step."""

from __future__ import annotations

from archscope.train.config import Schedule

#: NDNet: lr divided by 10 at 35K and 60K of 80K steps (REFERENCE.md §1)
STEP_MILESTONES = (35 / 80, 60 / 80)
POLY_POWER = 0.9


def lr_at(step: int, *, steps: int, base_lr: float, schedule: Schedule) -> float:
    """Learning rate of step ``step`` (1..steps) of a ``steps``-step run."""
    done = step - 1  # steps finished before this one
    if schedule is Schedule.STEP:
        drops = sum(done >= fraction * steps for fraction in STEP_MILESTONES)
        return base_lr * 0.1**drops
    return base_lr * (1 - done / steps) ** POLY_POWER
