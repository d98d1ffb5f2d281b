"""A placeholder for an op archscope has no cost formula for (met when importing a
user's module with torch.fx).

It keeps the traced output shape so that the ops after it can still be costed, costs
nothing itself, and is reported by name (``CostReport.unknown_ops``): the network's
totals leave it out, and say so, rather than silently count it as zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.ops.base import Counts, Op, OpClass, OpCost, Shape, register_op


@register_op
@dataclass(frozen=True, kw_only=True)
class UnknownOp(Op):
    """An op called ``target`` (e.g. ``GELU``, ``method:permute``) whose output has
    ``shape``; its costs are unknown, so none are counted."""

    kind = "unknown"
    arity = None
    target: str
    shape: Shape
    #: number of tensors the call returns (all given ``shape`` here)
    outputs: int = 1

    def label(self) -> str:
        return f"unknown:{self.target}"

    def output_count(self) -> int:
        return self.outputs

    def check_arity(self, inputs: Sequence[Shape]) -> None:
        pass  # any number of tensor inputs

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        return self.shape

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        # no class of its own: device profiles describe the known classes only
        return OpClass.ELEMENTWISE

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        return OpCost()
