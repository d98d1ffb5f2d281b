"""Learning-rate and gradual-grouping schedules as pure functions of the step."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Schedule(StrEnum):
    """Learning-rate schedules: NDNet's steps (lr/10 at 35/80 and 60/80 of the run,
    REFERENCE.md §1) or poly (lr·(1 - t/T)^0.9)."""

    STEP = "step"
    POLY = "poly"


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


@dataclass(frozen=True)
class GroupingSchedule:
    """Gradual grouping (``archscope.train.grouping``): the off-block scale α fades from
    1 at ``start`` to 0 at ``end`` (fractions of the run's steps, 0 <= start < end <= 1)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 1:
            raise ValueError(
                f"--gradual-grouping needs 0 <= START < END <= 1 (fractions of --steps), got {self.start},{self.end}"
            )

    def off_block_scale(self, step: int, steps: int) -> float:
        """α before step ``step`` (1..steps) of a ``steps``-step run:
        clip((end·steps − step) / ((end − start)·steps), 0, 1)."""
        first, last = self.start * steps, self.end * steps
        return min(1.0, max(0.0, (last - step) / (last - first)))
