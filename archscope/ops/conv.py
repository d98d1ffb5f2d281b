"""Convolutions (standard, grouped, depthwise, pointwise, dilated, asymmetric, transposed)
and linear layers.

One ``Conv2d`` covers every 2-D convolution: a depthwise conv is ``groups`` equal to the
input channels, a pointwise conv a 1x1 kernel, an asymmetric conv a ``(k, 1)`` or
``(1, k)`` kernel. REFERENCE.md §1 eq. (1)-(2): a conv costs k_h·k_w·H·W·(M/g)·N MACs for
an H×W output, M input and N output channels and g groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.dims import Dim, ShapeError, exact_div, is_symbolic
from archscope.ops.base import (
    Counts,
    FusionRole,
    Op,
    OpClass,
    Saved,
    Shape,
    check_positive,
    pair,
    register_op,
    window_out,
)
from archscope.ops.tools import FVCORE, PTFLOPS_ATEN, macs

#: fvcore counts one MAC as one "flop" and ignores biases; ptflops' aten backend adds one
#: per output element for a bias (aten.convolution / aten.addmm)
_CONV_COUNTS = {FVCORE: macs("conv"), PTFLOPS_ATEN: macs("conv", bias_adds=True)}


@dataclass(frozen=True, kw_only=True)
class _ConvBase(Op):
    counts_as_layer = True
    fusion = FusionRole.PRODUCER

    out_channels: Dim
    kernel_size: tuple[int, int] | int = 3
    stride: tuple[int, int] | int = 1
    padding: tuple[int, int] | int | None = None
    dilation: tuple[int, int] | int = 1
    groups: Dim = 1
    bias: bool = False

    def __post_init__(self) -> None:
        kernel, dilation = pair(self.kernel_size), pair(self.dilation)
        padding = self.padding
        if padding is None:  # "same" padding for odd kernels
            padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
        for name, value in (("kernel_size", kernel), ("stride", pair(self.stride)), ("dilation", dilation)):
            object.__setattr__(self, name, value)
            if min(value) < 1:
                raise ValueError(f"{self.kind}: {name} must be positive, got {value}")
        object.__setattr__(self, "padding", pair(padding))
        if min(self.padding) < 0:
            raise ValueError(f"{self.kind}: padding must be non-negative, got {self.padding}")
        for name in ("out_channels", "groups"):
            value = getattr(self, name)
            if not is_symbolic(value) and (int(value) != value or value < 1):
                raise ValueError(f"{self.kind}: {name} must be a positive integer, got {value!r}")

    @property
    def kernel_area(self) -> int:
        return self.kernel_size[0] * self.kernel_size[1]

    def label(self) -> str:
        kh, kw = self.kernel_size
        text = f"{self.kind}{kh}x{kw}"
        if self.stride != (1, 1):
            text += f"/{self.stride[0]}" if self.stride[0] == self.stride[1] else f"/{self.stride}"
        if self.dilation != (1, 1):
            text += f" d{self.dilation[0]}"
        if self.groups != 1:
            text += f" g{self.groups}"
        return text

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        in_channels = inputs[0].c
        if self.groups != 1 and self.groups == in_channels and self.out_channels == in_channels:
            return OpClass.DEPTHWISE
        if self.kernel_size == (1, 1):
            return OpClass.POINTWISE
        return OpClass.CONV

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        """Dense convs by kernel shape (3x3, k×1 / 1×k, dilated, other), grouped ones by
        the channels each group sees (narrow: 8 or fewer)."""
        op_class = self.op_class(inputs)
        if op_class is not OpClass.CONV:
            return str(op_class)
        if self.groups != 1:
            return "conv:grouped_narrow" if inputs[0].c // self.groups <= 8 else "conv:grouped"
        if self.dilation != (1, 1):
            return "conv:dilated"
        if 1 in self.kernel_size:
            return "conv:asymmetric"
        return "conv:3x3" if self.kernel_size == (3, 3) else "conv:other"

    def weight_count(self, in_channels: Dim) -> Dim:
        per_group = exact_div(in_channels, self.groups, what=f"{self.label()} input channels")
        exact_div(self.out_channels, self.groups, what=f"{self.label()} output channels")
        return self.out_channels * per_group * self.kernel_area

    def params_of(self, in_channels: Dim) -> Dim:
        return self.weight_count(in_channels) + (self.out_channels if self.bias else 0)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        return (Saved("input", 0, inputs[0].numel * elem_bytes),)


@register_op
@dataclass(frozen=True, kw_only=True)
class Conv2d(_ConvBase):
    """2-D convolution: MACs = batch · H_out·W_out · N · (M/g) · k_h·k_w."""

    kind = "conv"
    tool_counts = _CONV_COUNTS

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        self.weight_count(x.c)  # validates channel / group divisibility
        h, w = (
            window_out(size, kernel=k, stride=s, padding=p, dilation=d)
            for size, k, s, p, d in zip((x.h, x.w), self.kernel_size, self.stride, self.padding, self.dilation)
        )
        return check_positive(Shape(x.n, self.out_channels, h, w), self.label())

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        in_channels = inputs[0].c
        return Counts(
            params=self.params_of(in_channels),
            macs=output.n * output.h * output.w * self.weight_count(in_channels),
            vector_ops=output.numel if self.bias else 0,
        )


@register_op
@dataclass(frozen=True, kw_only=True)
class ConvTranspose2d(_ConvBase):
    """Transposed convolution: every input position scatters a k_h×k_w×(N/g) patch,
    MACs = batch · H_in·W_in · M · (N/g) · k_h·k_w."""

    kind = "conv_transpose"
    tool_counts = {FVCORE: macs("conv"), PTFLOPS_ATEN: macs("conv_transpose", bias_adds=True)}
    output_padding: tuple[int, int] | int = 0

    def __post_init__(self) -> None:
        if self.padding is None:
            object.__setattr__(self, "padding", 0)
        super().__post_init__()
        object.__setattr__(self, "output_padding", pair(self.output_padding))

    def label(self) -> str:
        return super().label().replace(self.kind, "deconv", 1)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.CONV

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "conv:transposed"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        self.weight_count(x.c)
        h, w = (
            (size - 1) * s - 2 * p + d * (k - 1) + op + 1
            for size, k, s, p, d, op in zip(
                (x.h, x.w), self.kernel_size, self.stride, self.padding, self.dilation, self.output_padding
            )
        )
        return check_positive(Shape(x.n, self.out_channels, h, w), self.label())

    def weight_count(self, in_channels: Dim) -> Dim:
        # same count as a conv from out to in channels: weight is (M, N/g, k_h, k_w)
        exact_div(in_channels, self.groups, what=f"{self.label()} input channels")
        per_group = exact_div(self.out_channels, self.groups, what=f"{self.label()} output channels")
        return in_channels * per_group * self.kernel_area

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        x = inputs[0]
        return Counts(
            params=self.params_of(x.c),
            macs=x.n * x.h * x.w * self.weight_count(x.c),
            vector_ops=output.numel if self.bias else 0,
        )


@register_op
@dataclass(frozen=True, kw_only=True)
class Linear(Op):
    """Fully connected layer on the flattened C·H·W features (output N×out×1×1), or with
    ``last_dim`` on the last dimension of each position (a channels-last MLP: N×C×H×in ->
    N×C×H×out). ``contiguous``: whether the input torch met was (a permuted one makes
    torch run a matrix product and a separate bias add, which ptflops' aten backend does
    not count)."""

    kind = "linear"
    counts_as_layer = True
    tool_counts = {FVCORE: macs("linear"), PTFLOPS_ATEN: lambda op, inputs, output, call: _aten_linear(op, inputs, output)}
    out_features: Dim
    bias: bool = True
    last_dim: bool = False
    contiguous: bool = True

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        if not is_symbolic(self.out_features) and self.out_features < 1:
            raise ShapeError(f"linear: out_features must be positive, got {self.out_features}")
        x = inputs[0]
        return Shape(x.n, x.c, x.h, self.out_features) if self.last_dim else Shape(x.n, self.out_features, 1, 1)

    def label(self) -> str:
        return f"linear{self.out_features}"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.LINEAR

    def _rows_features(self, x: Shape) -> tuple[Dim, Dim]:
        return (x.n * x.c * x.h, x.w) if self.last_dim else (x.n, x.c * x.h * x.w)

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        rows, in_features = self._rows_features(inputs[0])
        return Counts(
            params=in_features * self.out_features + (self.out_features if self.bias else 0),
            macs=rows * in_features * self.out_features,
            vector_ops=output.numel if self.bias else 0,
        )

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        return (Saved("input", 0, inputs[0].numel * elem_bytes),)


def _aten_linear(op: Linear, inputs: Sequence[Shape], output: Shape) -> dict[str, int]:
    """aten.addmm counts the bias; a permuted N-D input runs as mm + add instead."""
    count = int(op.counts(inputs, output).macs)
    if op.bias and (op.contiguous or not op.last_dim):
        count += int(output.numel)
    return {"linear": count}
