"""How the cross-check tools count an op: small rules an op class lists in its
``tool_counts`` table (tool -> rule), read by ``archscope.check``.

A rule is a pure function of the op, its input shapes, its output shape and how the
op was called in the torch module the tool runs (``Invocation``: a module, a function such
as ``F.relu``, or a tensor method): it returns what the tool reports for one
application, by the tool's own operator name. An op kind with no rule for a tool is one
that tool does not count (each tool's module docstring in ``archscope.check`` says
which). Written with plain arithmetic on the shapes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Callable, Mapping, Protocol, Sequence


class Shape(Protocol):
    """What a rule reads of a shape (``archscope.ops.Shape``)."""

    n: Any
    numel: Any


class Op(Protocol):
    """What a rule reads of an op (``archscope.ops.Op``): its counts (``counts().macs``)."""

    def counts(self, inputs: Sequence[Any], output: Any) -> Any: ...

FVCORE = "fvcore"
PTFLOPS_PYTORCH = "ptflops_pytorch"
PTFLOPS_ATEN = "ptflops_aten"
TOOLS = (FVCORE, PTFLOPS_PYTORCH, PTFLOPS_ATEN)


class Invocation(StrEnum):
    """How a torch module invokes an op (ptflops' ``pytorch`` backend counts module
    calls with hooks and functional calls with patches)."""

    MODULE = "module"  # nn.ReLU(), as archscope's own torch modules do
    FUNCTION = "function"  # F.relu(x), torch.relu(x), x + y
    METHOD = "method"  # x.relu(), x.mean(...)


ToolRule = Callable[[Any, Sequence[Any], Any, Invocation], Mapping[str, int]]


def _numel(shape: Shape) -> int:
    return int(shape.numel)


def _inputs(inputs: Sequence[Shape]) -> int:
    return int(sum(s.numel for s in inputs))


def macs(name: str, *, bias_adds: bool = False) -> ToolRule:
    """``{name: MACs}``; ``bias_adds``: plus one add per output element with a bias."""

    def rule(op: Op, inputs: Sequence[Shape], output: Shape, call: Invocation) -> Mapping[str, int]:
        count = int(op.counts(inputs, output).macs)
        if bias_adds and getattr(op, "bias", False):
            count += _numel(output)
        return {name: count}

    return rule


def elements(name: str, *, of: str = "output", factor: int = 1, **by_call: int) -> ToolRule:
    """``{name: factor × elements}`` of the output (``of="input"``: of the inputs); a call
    kind given by name overrides the factor (``module=2``: counted twice when the op is
    a module's call)."""

    def rule(op: Op, inputs: Sequence[Shape], output: Shape, call: Invocation) -> Mapping[str, int]:
        count = _numel(output) if of == "output" else _inputs(inputs)
        return {name: by_call.get(call.value, factor) * count}

    return rule
