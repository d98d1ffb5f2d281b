"""How the cross-check tools count an op, as rules read by ``archscope.check``.

A rule is a pure function of the op, its input shapes, its output shape and how the
torch module the tool runs invoked it (``Invocation``: ``nn.ReLU()``, ``F.relu``,
``torch.relu``, ``x.relu()`` or ``x + y``): it returns what the tool reports for one
application, by operator name. An op class lists its fvcore and ptflops-aten rules in its
``tool_counts`` table; ptflops' ``pytorch`` backend counts by *how* an op is called
whatever it is, so one rule (``ptflops_pytorch``) serves every op. Found by reading the
tools' source and measuring single ops (torch 2.13, fvcore 0.1.5, ptflops 0.7.5;
tests/module_corpus/TOOLS.md has the evidence):

- fvcore traces the module (torch.jit) and counts aten ops: conv and linear MACs (bias
  ignored), batch norm 2 per element (1 without affine), bilinear upsampling 4 per
  output element (nearest 1), ``adaptive_avg_pool2d`` 1 per input element; nothing
  else. The trace drops work whose result is unused.
- ptflops ``pytorch``: forward hooks on modules of exactly the types in ``PTFLOPS_HOOKS``
  plus patches of the ``torch.nn.functional`` functions in ``PTFLOPS_FUNCTIONS`` and of
  ``torch.add/mul`` and ``Tensor.add/mul`` (not the ``+``/``*`` operators). A hooked
  module that calls a patched function (``nn.ReLU`` calls ``F.relu``) counts twice.
- ptflops ``aten``: ``aten.convolution`` and ``aten.addmm``/``mm``: MACs plus bias adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

FVCORE = "fvcore"
PTFLOPS_PYTORCH = "ptflops_pytorch"
PTFLOPS_ATEN = "ptflops_aten"
TOOLS = (FVCORE, PTFLOPS_PYTORCH, PTFLOPS_ATEN)
#: tools that do not count work whose result is unused (fvcore's trace drops it)
DROPS_DEAD = frozenset({FVCORE})


@dataclass(frozen=True)
class Invocation:
    """How a torch module calls an op: ``how`` is ``module`` (an ``nn.Module`` of type
    ``name``), ``function`` (``torch.nn.functional.<name>``), ``torch`` (``torch.<name>``),
    ``method`` (``Tensor.<name>``) or ``operator`` (``+ - * / [ ]``: ``add``, ``getitem``).
    ``registered``: a module call's module is in the model's module tree (hooks that a tool
    installs with ``model.apply`` do not reach one kept in a plain list)."""

    how: str
    name: str
    registered: bool = True

    @classmethod
    def module(cls, name: str) -> Invocation:
        return cls("module", name)


ToolRule = Callable[[Any, Sequence[Any], Any, Invocation], Mapping[str, float]]


def _numel(shape: Any) -> int:
    return int(shape.numel)


def macs(name: str, *, bias_adds: bool = False) -> ToolRule:
    """``{name: MACs}``; ``bias_adds``: plus one add per output element with a bias."""

    def rule(op: Any, inputs: Sequence[Any], output: Any, call: Invocation) -> Mapping[str, float]:
        count = int(op.counts(inputs, output).macs)
        if bias_adds and getattr(op, "bias", False):
            count += _numel(output)
        return {name: count}

    return rule


def elements(name: str, *, of: str = "output", factor: int = 1) -> ToolRule:
    """``{name: factor × elements}`` of the output (``of="input"``: of the first input)."""

    def rule(op: Any, inputs: Sequence[Any], output: Any, call: Invocation) -> Mapping[str, float]:
        return {name: factor * _numel(output if of == "output" else inputs[0])}

    return rule


def unless_called(names: frozenset[str], rule: ToolRule) -> ToolRule:
    """``rule``, but nothing when the op was called as one of ``names`` (fvcore counts
    ``adaptive_avg_pool2d``, not a ``mean`` that computes the same)."""

    def guarded(op: Any, inputs: Sequence[Any], output: Any, call: Invocation) -> Mapping[str, float]:
        return {} if call.name in names else rule(op, inputs, output, call)

    return guarded


# ---- ptflops' pytorch backend ------------------------------------------------------------

Measure = Callable[[Any, Sequence[Any], Any], float]


def _macs_bias(op: Any, inputs: Sequence[Any], output: Any) -> float:
    return int(op.counts(inputs, output).macs) + (_numel(output) if getattr(op, "bias", False) else 0)


def _output(op: Any, inputs: Sequence[Any], output: Any) -> float:
    return _numel(output)


def _input(op: Any, inputs: Sequence[Any], output: Any) -> float:
    return _numel(inputs[0])


def _norm(op: Any, inputs: Sequence[Any], output: Any) -> float:
    return _numel(inputs[0]) * (2 if getattr(op, "affine", True) else 1)


def _first_image(op: Any, inputs: Sequence[Any], output: Any) -> float:
    """nn.Upsample's hook reads ``output[0]``: one image's elements, whatever the batch."""
    return _numel(output) // int(output.n)


def _interpolate(op: Any, inputs: Sequence[Any], output: Any) -> float:
    """F.interpolate's patch: output elements, or with a scale factor input elements ×
    scale² (a float: 0.5 on a 9x9 map counts 20.25, not 16)."""
    scale = getattr(op, "given_scale", None)
    return _numel(output) if scale is None else _numel(inputs[0]) * float(scale) ** 2


def _sums(op: Any, inputs: Sequence[Any], output: Any) -> float:
    """torch.add / Tensor.add / mul: one per element of the result and call (an n-ary sum
    of a chain of calls: n - 1 calls)."""
    return max(1, len(inputs) - 1) * _numel(output)


#: module types ptflops hooks (the exact type: a subclass is not hooked)
PTFLOPS_HOOKS: dict[str, Measure] = {
    **dict.fromkeys(("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
                     "Linear"), _macs_bias),
    **dict.fromkeys(("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
                     "InstanceNorm3d", "GroupNorm", "LayerNorm"), _norm),
    **dict.fromkeys(("ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU"), _output),
    **dict.fromkeys(("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
                     "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d",
                     "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"), _input),
    "Upsample": _first_image,
}
#: the torch.nn.functional function each module type's forward calls
MODULE_CALLS: dict[str, str] = {
    "ReLU": "relu", "PReLU": "prelu", "ELU": "elu", "GELU": "gelu", "SiLU": "silu", "Softmax": "softmax",
    "ReLU6": "hardtanh", "Hardtanh": "hardtanh", "LeakyReLU": "leaky_relu", "Hardswish": "hardswish",
    "Hardsigmoid": "hardsigmoid", "MaxPool2d": "max_pool2d", "AvgPool2d": "avg_pool2d",
    "AdaptiveAvgPool2d": "adaptive_avg_pool2d", "AdaptiveMaxPool2d": "adaptive_max_pool2d",
    "Upsample": "interpolate", "UpsamplingBilinear2d": "interpolate", "UpsamplingNearest2d": "interpolate",
}
#: the torch.nn.functional functions ptflops patches
PTFLOPS_FUNCTIONS: dict[str, Measure] = {
    **dict.fromkeys(("relu", "prelu", "elu", "relu6", "gelu", "silu", "softmax"), _input),
    **dict.fromkeys(("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
                     "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                     "adaptive_max_pool2d", "adaptive_max_pool3d"), _input),
    **dict.fromkeys(("interpolate", "upsample"), _interpolate),
}
#: the torch functions and tensor methods it patches (the operators ``+ *`` are not)
PTFLOPS_TENSOR_OPS: dict[str, Measure] = {"add": _sums, "mul": _sums}


def ptflops_pytorch(op: Any, inputs: Sequence[Any], output: Any, call: Invocation) -> Mapping[str, float]:
    """What ptflops' pytorch backend counts for ``op`` called as ``call``."""
    if call.how == "module":
        hook = PTFLOPS_HOOKS.get(call.name) if call.registered else None
        inside = PTFLOPS_FUNCTIONS.get(MODULE_CALLS.get(call.name, ""))
        count = (hook(op, inputs, output) if hook else 0) + (inside(op, inputs, output) if inside else 0)
    elif call.how == "function":
        measure = PTFLOPS_FUNCTIONS.get(call.name)
        count = measure(op, inputs, output) if measure else 0
    elif call.how in ("torch", "method"):
        measure = PTFLOPS_TENSOR_OPS.get(call.name)
        count = measure(op, inputs, output) if measure else 0
    else:
        count = 0
    return {op.kind: count} if count else {}


#: rules every op follows unless its class says otherwise
DEFAULT_RULES: dict[str, ToolRule] = {PTFLOPS_PYTORCH: ptflops_pytorch}
