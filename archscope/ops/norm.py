"""Batch normalisation and activations: memory-bound element-wise ops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from archscope.dims import Dim, is_symbolic
from archscope.ops.base import Counts, FusionRole, Op, OpClass, Saved, Shape, register_op
from archscope.ops.tools import FVCORE

#: which tensor autograd keeps for each activation's backward (torch's derivatives.yaml)
_ACTIVATION_SAVES: dict[str, Literal["input", "output"]] = {
    "relu": "output",
    "relu6": "input",  # hardtanh
    "hardtanh": "input",
    "prelu": "input",
    "leaky_relu": "input",
    "elu": "output",
    "sigmoid": "output",
    "tanh": "output",
    "silu": "input",
    "gelu": "input",
    "hardswish": "input",
    "hardsigmoid": "input",
    "softmax": "output",
    "log_softmax": "output",
}

#: each activation's latency kind
_KINDS = {"relu": "relu", "relu6": "relu", "hardtanh": "relu", "leaky_relu": "relu", "prelu": "prelu",
          "hardswish": "hard_gate", "hardsigmoid": "hard_gate", "sigmoid": "smooth", "tanh": "smooth", "silu": "smooth",
          "gelu": "smooth", "elu": "smooth", "softmax": "smooth", "log_softmax": "smooth"}

ActivationName = Literal["relu", "relu6", "hardtanh", "prelu", "leaky_relu", "elu", "sigmoid", "tanh", "silu",
                         "gelu", "hardswish", "hardsigmoid", "softmax", "log_softmax"]


@register_op
@dataclass(frozen=True, kw_only=True)
class BatchNorm2d(Op):
    """Batch norm with running statistics: 2C running statistics, and with ``affine``
    2C norm params (γ, β).

    At inference it is one multiply-add per element (``vector_ops`` = numel); in
    training autograd keeps its input and the per-channel batch mean and inverse std.
    """

    kind = "batch_norm"
    fusion = FusionRole.NORM
    tool_counts = {FVCORE: lambda op, inputs, output, call: _fvcore_norm(op, output)}
    eps: float = 1e-5
    momentum: float = 0.1
    affine: bool = True

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return inputs[0]

    def label(self) -> str:
        return "bn" if self.affine else "bn (no affine)"

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "norm/activation:bn"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.NORM_ACT

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        channels = inputs[0].c
        return Counts(norm_params=2 * channels if self.affine else 0, vector_ops=output.numel, buffers=2 * channels)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        x = inputs[0]
        return (Saved("input", 0, x.numel * elem_bytes), Saved("aux", 0, 2 * x.c * 4))


def _fvcore_norm(op: BatchNorm2d, output: Shape) -> dict[str, int]:
    """fvcore at inference: 2 per element with affine parameters, 1 without."""
    return {"batch_norm": (2 if op.affine else 1) * int(output.numel)}


@register_op
@dataclass(frozen=True, kw_only=True)
class Activation(Op):
    """Element-wise activation (softmax: across channels, at the same cost per element).

    PReLU has learnable slopes: one per channel, or ``slopes`` of them (``nn.PReLU()``
    has one for all channels)."""

    kind = "activation"
    fusion = FusionRole.ACTIVATION
    function: ActivationName = "relu"
    slopes: Dim | None = None

    def __post_init__(self) -> None:
        if self.function not in _ACTIVATION_SAVES:
            raise ValueError(f"unknown activation {self.function!r}; known: {sorted(_ACTIVATION_SAVES)}")
        if self.slopes is not None and (self.function != "prelu" or (not is_symbolic(self.slopes) and self.slopes < 1)):
            raise ValueError(f"{self.function}: slopes are PReLU's and positive, got {self.slopes!r}")

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return inputs[0]

    def label(self) -> str:
        return "prelu1" if self.function == "prelu" and self.slopes == 1 else self.function

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        """Clamps (relu, relu6, hardtanh, leaky relu), PReLU (reads its slopes), the
        piecewise-linear gates (hard swish, hard sigmoid) and smooth functions
        (sigmoid, tanh, SiLU, GELU, ELU, softmax: a transcendental per element)."""
        return f"norm/activation:{_KINDS[self.function]}"

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.NORM_ACT

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        params: Dim = 0
        if self.function == "prelu":
            params = self.slopes if self.slopes is not None else inputs[0].c
        return Counts(params=params, vector_ops=output.numel)

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        tensor = _ACTIVATION_SAVES[self.function]
        return (Saved(tensor, 0, output.numel * elem_bytes),)


__all__ = ["Activation", "BatchNorm2d"]
