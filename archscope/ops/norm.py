"""Batch normalisation and activations: memory-bound element-wise ops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from archscope.ops.base import Counts, FusionRole, Op, OpClass, Saved, Shape, register_op
from archscope.ops.tools import FVCORE, PTFLOPS_PYTORCH, Invocation, elements

#: which tensor autograd keeps for each activation's backward (torch's derivatives.yaml)
_ACTIVATION_SAVES: dict[str, Literal["input", "output"]] = {
    "relu": "output",
    "relu6": "input",  # hardtanh
    "prelu": "input",
    "sigmoid": "output",
    "silu": "input",
}

ActivationName = Literal["relu", "relu6", "prelu", "sigmoid", "silu"]


@register_op
@dataclass(frozen=True, kw_only=True)
class BatchNorm2d(Op):
    """Batch norm with affine parameters: 2C norm params and 2C running statistics.

    At inference it is one multiply-add per element (``vector_ops`` = numel); in
    training autograd keeps its input and the per-channel batch mean and inverse std.
    """

    kind = "batch_norm"
    fusion = FusionRole.NORM
    tool_counts = {FVCORE: elements("batch_norm", factor=2), PTFLOPS_PYTORCH: elements("batch_norm", factor=2)}
    eps: float = 1e-5
    momentum: float = 0.1

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return inputs[0]

    def label(self) -> str:
        return "bn"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.NORM_ACT

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        channels = inputs[0].c
        return Counts(norm_params=2 * channels, vector_ops=output.numel, buffers=2 * channels)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        x = inputs[0]
        return (Saved("input", 0, x.numel * elem_bytes), Saved("aux", 0, 2 * x.c * 4))


@register_op
@dataclass(frozen=True, kw_only=True)
class Activation(Op):
    """Element-wise activation; PReLU has one learnable slope per channel."""

    kind = "activation"
    fusion = FusionRole.ACTIVATION
    tool_counts = {PTFLOPS_PYTORCH: lambda op, inputs, output, call: _ptflops_activation(op, output, call)}
    function: ActivationName = "relu"

    def __post_init__(self) -> None:
        if self.function not in _ACTIVATION_SAVES:
            raise ValueError(f"unknown activation {self.function!r}; known: {sorted(_ACTIVATION_SAVES)}")

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return inputs[0]

    def label(self) -> str:
        return self.function

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.NORM_ACT

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        params = inputs[0].c if self.function == "prelu" else 0
        return Counts(params=params, vector_ops=output.numel)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        tensor = _ACTIVATION_SAVES[self.function]
        return (Saved(tensor, 0, output.numel * elem_bytes),)


#: ptflops' ``pytorch`` backend: elements counted per call of a module (its hook, plus
#: its functional patch of F.relu / F.prelu, which the module calls: twice)
_PTFLOPS_MODULE = {"relu": 2, "prelu": 2, "relu6": 1, "silu": 1, "sigmoid": 0}


def _ptflops_activation(op: Activation, output: Shape, call: Invocation) -> dict[str, int]:
    times = _PTFLOPS_MODULE[op.function]
    return {op.function: times * int(output.numel)}
