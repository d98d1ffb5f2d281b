"""Segmentation metrics from a confusion matrix (rows: ground truth, columns: prediction).

IoU of class k = TP / (TP + FP + FN) = C[k,k] / (row_k + col_k - C[k,k]). A class that
is neither in the ground truth nor predicted has no IoU (NaN) and is left out of the
mean, as in the Cityscapes evaluation. Pixels labelled ``ignore_index`` count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from archscope.data.base import IGNORE_INDEX


def confusion_matrix(
    predicted: torch.Tensor, target: torch.Tensor, *, classes: int, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """classes×classes int64 counts of (target, predicted) pixel pairs."""
    valid = target != ignore_index
    target, predicted = target[valid].long(), predicted[valid].long()
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= classes):
        raise ValueError(f"labels must be in 0..{classes - 1} or {ignore_index}, got {int(target.max())}")
    counts = torch.bincount(target * classes + predicted, minlength=classes * classes)
    return counts.reshape(classes, classes).cpu()


@dataclass(frozen=True)
class SegmentationScores:
    """Per-class IoU (NaN for absent classes), their mean and pixel accuracy."""

    iou: tuple[float, ...]
    miou: float
    pixel_accuracy: float


def scores(confusion: torch.Tensor) -> SegmentationScores:
    confusion = confusion.double()
    true_positive = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - true_positive
    iou = torch.where(union > 0, true_positive / union.clamp(min=1), torch.full_like(union, float("nan")))
    present = ~iou.isnan()
    miou = float(iou[present].mean()) if bool(present.any()) else float("nan")
    total = float(confusion.sum())
    accuracy = float(true_positive.sum()) / total if total else float("nan")
    return SegmentationScores(iou=tuple(float(v) for v in iou), miou=miou, pixel_accuracy=accuracy)
