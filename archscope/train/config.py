"""What a training run is: the network (family and hyper-parameters) and the recipe."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archscope.data.transforms import PAPER_SCALES
from archscope.train.schedule import GroupingSchedule, Schedule


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """A training run. ``hyper`` are the family's build arguments as plain data (tuples
    as lists, enums as their values); ``batch`` is per process."""

    family: str
    hyper: dict[str, Any] = field(default_factory=dict)
    steps: int = 200
    batch: int = 8
    crop: tuple[int, int] = (128, 128)
    data: str = "shapes"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: Schedule = Schedule.STEP
    scales: tuple[float, ...] = PAPER_SCALES
    seed: int = 0
    amp: bool = False
    channels_last: bool = True
    eval_every: int = 100
    eval_images: int = 100
    checkpoint_every: int = 100
    workers: int = 0
    #: gradual grouping's (start, end) fractions of the run (``archscope.train.grouping``)
    grouping: tuple[float, float] | None = None
    out: Path = Path("runs/train")

    #: fields that do not change what is computed: a run may be resumed with other values
    RESUMABLE_CHANGES = ("eval_every", "checkpoint_every", "workers", "out")

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "eval_images"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        for name in ("eval_every", "checkpoint_every", "workers", "seed"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(self, name)}")
        if self.lr <= 0 or self.weight_decay < 0 or not 0 <= self.momentum < 1:
            raise ValueError(f"bad optimiser settings: lr {self.lr}, weight decay {self.weight_decay}")
        if not self.scales or min(self.scales) <= 0:
            raise ValueError(f"--scales must be positive numbers, got {','.join(map(str, self.scales))}")
        if self.grouping is not None:
            GroupingSchedule(*self.grouping)  # validates the fractions

    def identity(self) -> dict[str, Any]:
        """The fields that define what the run computes, as plain data (for checkpoints)."""
        return {k: v for k, v in self.as_dict().items() if k not in self.RESUMABLE_CHANGES}

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["crop"], data["scales"] = list(self.crop), list(self.scales)
        data["grouping"] = list(self.grouping) if self.grouping is not None else None
        data["schedule"], data["out"] = self.schedule.value, str(self.out)
        return data
