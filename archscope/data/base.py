"""The dataset contract: labelled images for semantic segmentation.

A dataset is map-style: ``dataset[i]`` is ``(image, label)`` with ``image`` a float32
3×H×W tensor in [0, 1] and ``label`` an int64 H×W tensor of class ids in
``[0, len(classes))`` or ``IGNORE_INDEX`` for pixels that count for nothing (void).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

#: label of pixels left out of the loss and the confusion matrix (Cityscapes' convention)
IGNORE_INDEX = 255


class DatasetError(ValueError):
    """A dataset that cannot be opened or read (missing or malformed folder, bad file)."""


@runtime_checkable
class SegmentationDataset(Protocol):
    """Labelled images; ``classes`` names the label ids 0..K-1."""

    classes: tuple[str, ...]

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]: ...
