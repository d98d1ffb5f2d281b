"""Evaluation: the confusion matrix of a model over validation images.

The torch module of a network upsamples to the size it was built for, so images of
another size (full Cityscapes frames when training on crops) are run through a module
built for that size, holding the same weights.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from archscope.train.metrics import confusion_matrix
from archscope.train.step import autocast

ModuleFactory = Callable[[tuple[int, int]], nn.Module]


class EvalModules:
    """The trained module for its own input size, copies for other sizes (weights copied
    once per evaluation, at first use)."""

    def __init__(self, model: nn.Module, size: tuple[int, int], factory: ModuleFactory) -> None:
        self.model, self.size, self.factory = model, size, factory
        self._others: dict[tuple[int, int], nn.Module] = {}
        self._current: set[tuple[int, int]] = set()

    def begin(self) -> None:
        """A new evaluation: copies must take the model's current weights again."""
        self._current.clear()

    def for_size(self, size: tuple[int, int]) -> nn.Module:
        if size == self.size:
            return self.model
        if size not in self._others:
            self._others[size] = self.factory(size)
        if size not in self._current:
            self._others[size].load_state_dict(self.model.state_dict())
            self._others[size].eval()
            self._current.add(size)
        return self._others[size]


@torch.no_grad()
def evaluate(
    modules: EvalModules,
    loader: DataLoader,
    *,
    classes: int,
    device: torch.device,
    amp: bool = False,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> torch.Tensor:
    """Summed confusion matrix (classes×classes, int64) of argmax predictions."""
    modules.begin()
    modules.model.eval()
    confusion = torch.zeros(classes, classes, dtype=torch.int64)
    try:
        for images, labels in loader:
            model = modules.for_size((int(images.shape[-2]), int(images.shape[-1])))
            with autocast(device, amp):
                logits = model(images.to(device, memory_format=memory_format))
            if logits.shape[-2:] != labels.shape[-2:]:
                logits = F.interpolate(logits.float(), size=labels.shape[-2:], mode="bilinear", align_corners=False)
            confusion += confusion_matrix(logits.argmax(1).cpu(), labels, classes=classes)
    finally:
        modules.model.train()
    return confusion
