"""Training candidates as segmentation models: ``train(TrainConfig(...))``.

>>> from archscope.train import TrainConfig
>>> TrainConfig(family="ndnet", hyper={"widths": [8, 16], "depths": [1, 1]}, steps=10).batch
8
"""

from archscope.train.checkpoint import CheckpointError
from archscope.train.config import Schedule, TrainConfig
from archscope.train.hooks import StepState, TrainHook
from archscope.train.loop import Trainer, TrainingInterrupted, TrainResult, train

__all__ = [
    "CheckpointError",
    "Schedule",
    "StepState",
    "TrainConfig",
    "TrainHook",
    "TrainResult",
    "Trainer",
    "TrainingInterrupted",
    "train",
]
