"""Upsampling by nearest-neighbour or bilinear interpolation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from archscope.dims import Dim, is_symbolic
from archscope.ops.base import Counts, Op, OpClass, Shape, check_positive, register_op
from archscope.ops.tools import FVCORE

#: arithmetic per output element: nearest copies, bilinear weighs four taps
_TAPS = {"nearest": 0, "bilinear": 4}


@register_op
@dataclass(frozen=True, kw_only=True)
class Upsample(Op):
    """Resize by an integer ``scale_factor`` or to a fixed ``size`` (H, W).

    Backward needs only the sizes, so nothing is kept for it. ``given_scale`` records
    the (possibly fractional) scale factor an imported ``F.interpolate`` call gave, which
    ptflops counts from.
    """

    kind = "upsample"
    tool_counts = {FVCORE: lambda op, inputs, output, call: _fvcore(op, output)}
    scale_factor: int | None = None
    size: tuple[Dim, Dim] | None = None
    #: the scale factor an imported call gave (with ``size``: tools count from it)
    given_scale: float | None = None
    mode: Literal["nearest", "bilinear"] = "bilinear"
    align_corners: bool = False

    def __post_init__(self) -> None:
        if (self.scale_factor is None) == (self.size is None):
            raise ValueError("upsample: give exactly one of scale_factor and size")
        if self.mode not in _TAPS:
            raise ValueError(f"upsample: unknown mode {self.mode!r}; known: {sorted(_TAPS)}")
        if self.scale_factor is not None and (int(self.scale_factor) != self.scale_factor or self.scale_factor < 1):
            raise ValueError(f"upsample: scale_factor must be a positive integer, got {self.scale_factor!r}")
        if self.size is not None:
            object.__setattr__(self, "size", tuple(self.size))

    def label(self) -> str:
        how = f"x{self.scale_factor}" if self.scale_factor is not None else f"to{self.size[0]}x{self.size[1]}"
        return f"{self.mode}{how}"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.RESIZE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return f"resize:{self.mode}"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        if self.size is not None:
            h, w = self.size
        else:
            h, w = x.h * self.scale_factor, x.w * self.scale_factor
        if not is_symbolic(h, w):
            h, w = int(h), int(w)
        return check_positive(Shape(x.n, x.c, h, w), self.label())

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=_TAPS[self.mode] * output.numel)


def _fvcore(op: Upsample, output: Shape) -> dict[str, int]:
    """fvcore: 4 per output element for bilinear, 1 for nearest."""
    return {f"upsample_{op.mode}2d": (4 if op.mode == "bilinear" else 1) * int(output.numel)}
