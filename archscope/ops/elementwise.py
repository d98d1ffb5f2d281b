"""Element-wise arithmetic and tensor plumbing met in imported modules: a binary op of
two tensors with broadcasting (squeeze-excitation's ``x * scale``), arithmetic with a
constant (h-swish's ``x + 3``, ``/ 6``), a copy into a new layout (``contiguous()``
after a transpose: channel shuffle), a view with another shape (a strided slice), zero
padding (``F.pad``) and a tensor created in ``forward`` (``torch.zeros``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from archscope.dims import ShapeError, is_symbolic
from archscope.ops.base import Counts, Op, OpClass, OpCost, Saved, Shape, ShapeKeeping, check_positive, register_op

_COMPARISONS = ("gt", "ge", "lt", "le", "eq", "ne")
BinaryName = Literal["add", "sub", "mul", "div", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne"]
ScalarName = Literal["add", "sub", "rsub", "mul", "div", "rdiv", "pow", "gt", "ge", "lt", "le", "eq", "ne"]
#: inputs the backward of each binary op needs: (self, other); comparisons have no gradient
_BINARY_SAVES = {"add": (), "sub": (), "mul": (0, 1), "div": (0, 1), "maximum": (0, 1), "minimum": (0, 1),
                 **dict.fromkeys(_COMPARISONS, ())}
_SCALARS = ("add", "sub", "rsub", "mul", "div", "rdiv", "pow", *_COMPARISONS)


def broadcast(first: Shape, second: Shape) -> Shape:
    """The shape of a binary op's result (numpy broadcasting, dimension by dimension)."""
    dims = []
    for a, b in zip(first, second):
        if is_symbolic(a, b) or a == b or b == 1:
            dims.append(a)
        elif a == 1:
            dims.append(b)
        else:
            raise ShapeError(f"shapes {first} and {second} do not broadcast")
    return Shape(*dims)


@register_op
@dataclass(frozen=True, kw_only=True)
class Binary(Op):
    """``a <operation> b`` of two tensors, broadcast to one shape: one op per element of
    the result; reads both inputs (a broadcast one at its own size)."""

    kind = "binary"
    arity = 2
    operation: BinaryName = "mul"

    def __post_init__(self) -> None:
        if self.operation not in _BINARY_SAVES:
            raise ValueError(f"binary: unknown operation {self.operation!r}; known: {sorted(_BINARY_SAVES)}")

    def label(self) -> str:
        return self.operation

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return broadcast(*inputs)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:add" if self.operation in ("add", "sub") and inputs[0] == inputs[1] else "elementwise:mul"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=output.numel)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        return tuple(Saved("input", i, inputs[i].numel * elem_bytes) for i in _BINARY_SAVES[self.operation])


@register_op
@dataclass(frozen=True, kw_only=True)
class Scalar(ShapeKeeping):
    """``x <operation> value`` with a constant (``rsub``: value - x, ``rdiv``: value / x):
    one op per element."""

    kind = "scalar"
    operation: ScalarName = "mul"
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.operation not in _SCALARS:
            raise ValueError(f"scalar: unknown operation {self.operation!r}; known: {', '.join(_SCALARS)}")

    def label(self) -> str:
        return f"{self.operation} {self.value:g}"

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:scalar"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=output.numel)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        if self.operation in ("rdiv", "pow"):  # their gradients need the input
            return (Saved("input", 0, inputs[0].numel * elem_bytes),)
        return ()


@register_op
@dataclass(frozen=True, kw_only=True)
class Reduce(Op):
    """A reduction (``x.sum()``, ``x.amax(1)``, a mean over channels) to ``shape``: one op
    per input element, reads the input and writes the (small) result."""

    kind = "reduce"
    operation: Literal["sum", "mean", "amax", "amin"] = "sum"
    shape: Shape

    def label(self) -> str:
        return f"{self.operation} to {self.shape}"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return Shape(*self.shape)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.POOLING

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "pooling:global"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=inputs[0].numel)


@register_op
@dataclass(frozen=True, kw_only=True)
class Copy(ShapeKeeping):
    """A copy of a tensor into a new memory layout (``contiguous()`` or ``reshape`` of a
    transposed tensor, ``clone``): reads and writes every element, no arithmetic."""

    kind = "copy"
    #: the copy read with another shape of as many elements (``reshape`` of a transposed tensor)
    shape: Shape | None = None

    def label(self) -> str:
        return "copy"

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:copy"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        if self.shape is None:
            return inputs[0]
        shape = Shape(*self.shape)
        if not is_symbolic(shape.numel, inputs[0].numel) and shape.numel != inputs[0].numel:
            raise ShapeError(f"copy: {inputs[0]} has not the elements of {shape}")
        return shape


@register_op
@dataclass(frozen=True, kw_only=True)
class View(Op):
    """The input seen with another ``shape`` (a strided slice ``x[:, :, ::2, ::2]``, a
    reshape that changes how many elements make a channel): no kernel, no cost; the
    ops that read it read ``shape``'s elements."""

    kind = "view"
    shape: Shape

    def label(self) -> str:
        return f"view {self.shape}"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return Shape(*self.shape)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        return OpCost()  # a view: no kernel, no traffic


@register_op
@dataclass(frozen=True, kw_only=True)
class Pad(Op):
    """Constant padding (``F.pad``): ``pads`` are (left, right, top, bottom, front, back)
    elements added to width, height and channels. A copy: reads the input, writes the
    larger output."""

    kind = "pad"
    pads: tuple[int, int, int, int, int, int] = (0, 0, 0, 0, 0, 0)
    value: float = 0.0

    def __post_init__(self) -> None:
        pads = tuple(self.pads)
        if len(pads) != 6 or min(pads) < 0:
            raise ValueError(f"pad: pads are six non-negative sizes (left, right, top, bottom, front, back), got {pads}")
        object.__setattr__(self, "pads", pads)

    def label(self) -> str:
        return "pad " + ",".join(map(str, self.pads))

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:copy"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        left, right, top, bottom, front, back = self.pads
        return check_positive(Shape(x.n, x.c + front + back, x.h + top + bottom, x.w + left + right), self.label())

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()


@register_op
@dataclass(frozen=True, kw_only=True)
class Fill(Op):
    """A tensor of ``shape`` created in ``forward`` (``torch.zeros``, ``ones``, ``full``):
    one kernel that writes it."""

    kind = "fill"
    arity = 0
    shape: Shape
    value: float = 0.0

    def label(self) -> str:
        return f"fill {self.value:g}"

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:copy"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return Shape(*self.shape)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()


__all__ = ["Binary", "Copy", "Fill", "Pad", "Reduce", "Scalar", "View", "broadcast"]
