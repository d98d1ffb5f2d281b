"""Max, average and adaptive (global) pooling, and max-unpooling (ENet's decoder)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.dims import Dim, ShapeError, is_symbolic
from archscope.ops.base import (
    Counts,
    Op,
    OpClass,
    OpCost,
    Saved,
    Shape,
    check_positive,
    pair,
    register_op,
    window_out,
)
from archscope.ops.tools import FVCORE, elements, unless_called

#: bytes of one argmax index (torch stores max-pool indices as int64)
INDEX_BYTES = 8


@dataclass(frozen=True, kw_only=True)
class _WindowPool(Op):
    kernel_size: tuple[int, int] | int = 2
    stride: tuple[int, int] | int | None = None
    padding: tuple[int, int] | int = 0
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        kernel = pair(self.kernel_size)
        object.__setattr__(self, "kernel_size", kernel)
        object.__setattr__(self, "stride", pair(self.stride if self.stride is not None else kernel))
        object.__setattr__(self, "padding", pair(self.padding))
        if min(kernel) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(f"{self.kind}: bad window {kernel}/{self.stride} pad {self.padding}")
        if any(2 * p > k for p, k in zip(self.padding, kernel)):
            raise ValueError(f"{self.kind}: padding {self.padding} exceeds half the kernel {kernel}")

    def label(self) -> str:
        kh, kw = self.kernel_size
        return f"{self.kind}{kh}x{kw}/{self.stride[0]}"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.POOLING

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        kh, kw = self.kernel_size
        return f"pooling:{self.kind}:{kh}x{kw}"  # by window; a profile without it uses pooling:{kind}

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        h, w = (
            window_out(size, kernel=k, stride=s, padding=p, ceil_mode=self.ceil_mode)
            for size, k, s, p in zip((x.h, x.w), self.kernel_size, self.stride, self.padding)
        )
        return check_positive(Shape(x.n, x.c, h, w), self.label())

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=output.numel * self.kernel_size[0] * self.kernel_size[1])


@register_op
@dataclass(frozen=True, kw_only=True)
class MaxPool2d(_WindowPool):
    """Max pooling: one comparison per window element; backward keeps the input and the
    argmax indices (int64)."""

    kind = "maxpool"
    #: also output the argmax indices (port 1), for a later ``MaxUnpool2d``
    return_indices: bool = False

    def label(self) -> str:
        return super().label() + ("+idx" if self.return_indices else "")

    def output_count(self) -> int:
        return 2 if self.return_indices else 1

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        cost = super().cost(inputs, output, elem_bytes=elem_bytes)
        if not self.return_indices:
            return cost
        return cost + OpCost(write_bytes=output.numel * INDEX_BYTES)  # the indices are written too

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        return (Saved("input", 0, inputs[0].numel * elem_bytes), Saved("aux", 0, output.numel * INDEX_BYTES))


@register_op
@dataclass(frozen=True, kw_only=True)
class AvgPool2d(_WindowPool):
    """Average pooling (zero padding counted in the average, torch's default)."""

    kind = "avgpool"

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        return (Saved("input", 0, inputs[0].numel * elem_bytes),)


@register_op
@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool2d(Op):
    """Adaptive average pooling to a fixed ``output_size``; 1 is global pooling. Every
    input element is added once."""

    kind = "adaptive_avgpool"
    #: fvcore counts aten::adaptive_avg_pool2d, not a ``mean`` over the map (which this op also stands for)
    tool_counts = {FVCORE: unless_called(frozenset({"mean"}), elements("adaptive_avg_pool2d", of="input"))}
    output_size: tuple[int, int] | int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "output_size", pair(self.output_size))
        if min(self.output_size) < 1:
            raise ValueError(f"adaptive_avgpool: output_size must be positive, got {self.output_size}")

    def label(self) -> str:
        oh, ow = self.output_size
        return "global_avgpool" if (oh, ow) == (1, 1) else f"adaptive_avgpool{oh}x{ow}"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.POOLING

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "pooling:global" if self.output_size == (1, 1) else "pooling:adaptive"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        for size, target in zip((x.h, x.w), self.output_size):
            if not is_symbolic(size) and size < target:
                raise ShapeError(f"{self.label()}: input {x} is smaller than the output size")
        oh, ow = self.output_size
        return Shape(x.n, x.c, oh, ow)

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=inputs[0].numel)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        return (Saved("input", 0, inputs[0].numel * elem_bytes),)


@register_op
@dataclass(frozen=True, kw_only=True)
class MaxUnpool2d(Op):
    """Inverse of a max-pool: inputs are (values, indices), the indices being port 1 of a
    ``MaxPool2d(return_indices=True)`` node of the values' shape. The output (zeros but
    at the argmax positions) is H_out = (H-1)·s - 2p + k, or ``size`` when given.

    A scatter: no arithmetic; it reads the values and the int64 indices and writes the
    whole output. Backward gathers through the same indices, which the max-pool already
    keeps (its ``aux`` tensor), so nothing more is saved.
    """

    kind = "max_unpool"
    arity = 2
    kernel_size: tuple[int, int] | int = 2
    stride: tuple[int, int] | int | None = None
    padding: tuple[int, int] | int = 0
    size: tuple[Dim, Dim] | None = None

    def __post_init__(self) -> None:
        kernel = pair(self.kernel_size)
        object.__setattr__(self, "kernel_size", kernel)
        object.__setattr__(self, "stride", pair(self.stride if self.stride is not None else kernel))
        object.__setattr__(self, "padding", pair(self.padding))
        if self.size is not None:
            object.__setattr__(self, "size", tuple(self.size))
        if min(kernel) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(f"max_unpool: bad window {kernel}/{self.stride} pad {self.padding}")

    def label(self) -> str:
        kh, kw = self.kernel_size
        return f"unpool{kh}x{kw}/{self.stride[0]}"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.RESIZE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "resize:unpool"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x, indices = inputs
        if not is_symbolic(*x, *indices) and x != indices:
            raise ShapeError(f"max_unpool: values {x} and indices {indices} differ in shape")
        if self.size is not None:
            h, w = self.size
        else:
            windows = zip((x.h, x.w), self.stride, self.padding, self.kernel_size)
            h, w = ((n - 1) * s - 2 * p + k for n, s, p, k in windows)
        return check_positive(Shape(x.n, x.c, h, w), self.label())

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        x, indices = inputs
        return OpCost(
            read_bytes=x.numel * elem_bytes + indices.numel * INDEX_BYTES,
            write_bytes=output.numel * elem_bytes,
        )
