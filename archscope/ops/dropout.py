"""Dropout: identity at inference, a mask kept for backward in training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.ops.base import OpCost, Saved, Shape, ShapeKeeping, register_op


@register_op
@dataclass(frozen=True, kw_only=True)
class Dropout(ShapeKeeping):
    """Dropout with probability ``p``; ``channelwise`` is spatial dropout (``Dropout2d``,
    whole channels dropped), as ENet and ERFNet use.

    At inference it is the identity: torch runs no kernel, so it costs nothing. In
    training autograd keeps the mask: one byte per element (``native_dropout``'s bool
    mask), or for spatial dropout the N×C noise tensor the input is multiplied by.
    """

    kind = "dropout"
    p: float = 0.5
    channelwise: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.p < 1:
            raise ValueError(f"dropout: p must be in [0, 1), got {self.p}")

    def label(self) -> str:
        return f"{'dropout2d' if self.channelwise else 'dropout'} p{self.p:g}"

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        saved = self.saved(inputs, output, elem_bytes=elem_bytes)
        return OpCost(saved_bytes=sum((s.nbytes for s in saved), 0))  # identity at inference

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        x = inputs[0]
        mask = x.n * x.c * elem_bytes if self.channelwise else x.numel * 1
        return (Saved("aux", 0, mask),)
