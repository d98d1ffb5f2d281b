"""Training candidates as segmentation models: ``train(TrainConfig(...))``.

>>> from archscope.train import TrainConfig
>>> TrainConfig(family="ndnet", hyper={"widths": [8, 16], "depths": [1, 1]}, steps=10).batch
8

The names below load their modules on first use (torch is imported only then).
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "CheckpointError": "checkpoint",
    "Schedule": "schedule",
    "TrainConfig": "config",
    "StepState": "hooks",
    "TrainHook": "hooks",
    "Trainer": "loop",
    "TrainingInterrupted": "loop",
    "TrainResult": "loop",
    "train": "loop",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"archscope.train.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'archscope.train' has no attribute {name!r}")
