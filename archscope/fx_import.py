"""Any ``nn.Module`` as an archscope network: traced with torch.fx, shapes propagated
with a real input, each call mapped to an archscope op by the table in ``fx_ops``.

- A call archscope has no formula for becomes an ``UnknownOp`` that keeps the traced
  shape (so the ops after it are still costed), costs nothing, and is listed by
  ``CostReport.unknown_ops``: totals then say what they leave out.
- A module called more than once (shared weights) becomes nodes that share the first
  call's weights: its parameters count once, its MACs at every call.
- A chain of binary adds whose intermediate sums have no other use is one n-ary add, as
  archscope describes a sum of several tensors (``Add`` with n inputs).
- Blocks are the top-level submodules (below a common prefix such as ``blocks`` or
  ``model``); a function call belongs to the block of the module it is called in.
- ``layers`` counts the convolutions and linear layers.

Round trip: a family's network -> ``to_torch`` -> ``from_module`` gives the same costs
per op and block (the tests check every registered family).

Every failure (a call fx cannot trace, an input the module rejects) raises
``FxImportError``, a ``ValueError`` with a one-line message.
"""

from __future__ import annotations

import importlib
import math
import operator
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch
import torch.fx as fx
from torch import nn

from archscope.dims import ShapeError
from archscope.fx_ops import Alias, Call, Mapped, Tensor, bind, handler_for
from archscope.graph import GraphBuilder, Network, Port
from archscope.ops import Op, Shape, Slice, UnknownOp
from archscope.ops.tools import Invocation

_ROOT = "module"  # the attribute under which the traced wrapper holds the user's module
_SHAPE = "archscope_shape"  # node meta key of the traced output shape(s)
_ADDS = ("add", "iadd")  # operator.add, operator.iadd, torch.add, Tensor.add
_INVOCATIONS = {"call_module": Invocation.MODULE, "call_function": Invocation.FUNCTION, "call_method": Invocation.METHOD}


class FxImportError(ValueError):
    """A module that cannot be imported (one-line message)."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class _Root(nn.Module):
    """Calls the user's module with one positional tensor, so that its own ``*args``
    are concrete (empty) while fx traces."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        setattr(self, _ROOT, module)

    def forward(self, x: torch.Tensor) -> Any:
        return getattr(self, _ROOT)(x)


def load_factory(spec: str) -> nn.Module:
    """``"package.module:factory"`` -> ``factory()``, which must return an ``nn.Module``."""
    path, _, attribute = spec.partition(":")
    if not path or not attribute:
        raise FxImportError(f"{spec!r} is not package.module:factory")
    try:
        factory = getattr(importlib.import_module(path), attribute)
    except (ImportError, AttributeError) as error:
        raise FxImportError(f"cannot import {spec}: {_first_line(error)}") from None
    try:
        module = factory()
    except Exception as error:  # the user's code: any failure is a bad input
        raise FxImportError(f"{spec}() raised {_first_line(error)}") from None
    if not isinstance(module, nn.Module):
        raise FxImportError(f"{spec}() returned a {type(module).__name__}, not a torch.nn.Module")
    return module


class _ShapeRecorder(fx.Interpreter):
    """Runs the traced graph once, recording each node's output shape(s) in its meta."""

    def run_node(self, node: fx.Node) -> Any:
        result = super().run_node(node)
        node.meta[_SHAPE] = _shapes_of(result)
        return result


def _shapes_of(value: Any) -> tuple | None:
    """A tensor's shape, a tuple of shapes for a tuple of tensors, else ``None``."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, torch.Tensor) for v in value):
        return tuple(tuple(v.shape) for v in value)
    return None


def _trace(module: nn.Module, shape: tuple[int, ...]) -> fx.GraphModule:
    name = type(module).__name__
    try:
        traced = fx.symbolic_trace(_Root(module))
    except Exception as error:
        raise FxImportError(f"torch.fx cannot trace {name}: {_first_line(error)}") from None
    modes = {m: m.training for m in module.modules()}
    try:
        with torch.no_grad():
            _ShapeRecorder(traced.eval()).run(torch.zeros(shape))
    except Exception as error:
        shown = "x".join(map(str, shape))
        raise FxImportError(f"{name} rejects an input of shape {shown}: {_first_line(error)}") from None
    finally:
        for submodule, training in modes.items():
            submodule.training = training
    return traced


def _as_shape(dims: Sequence[int]) -> Shape:
    """A torch shape as NCHW: (N, F) is N×F×1×1; other ranks are padded or folded."""
    dims = [int(d) for d in dims]
    if len(dims) > 4:
        dims = [*dims[:3], math.prod(dims[3:])]
    return Shape(*(dims + [1] * (4 - len(dims))))


def _meta_shapes(node: fx.Node) -> tuple | None:
    """The traced output shape, a tuple of them for a tuple output, ``None`` otherwise."""
    return node.meta.get(_SHAPE)


@dataclass(frozen=True)
class _Multi:
    """A call that returned several tensors: outputs of one graph node."""

    node: str
    shapes: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class _Chunks:
    """``chunk``/``split`` of a tensor along channels: each item becomes a ``Slice``."""

    tensor: Tensor
    ranges: tuple[tuple[int, int], ...]


class _Opaque:
    """A non-tensor value computed from tensors (``x.size(0)``): unknown to archscope."""


def _is_add(node: fx.Node) -> bool:
    name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
    return node.op in ("call_function", "call_method") and name in _ADDS and len(node.args) == 2 and not node.kwargs


def _absorbed_adds(graph: fx.Graph) -> set[fx.Node]:
    """Binary adds whose only use is another binary add of the same shape: parts of an n-ary sum."""
    absorbed = set()
    for node in graph.nodes:
        users = list(node.users)
        if _is_add(node) and len(users) == 1 and _is_add(users[0]) and all(
            isinstance(a, fx.Node) and _meta_shapes(a) == _meta_shapes(node) for a in (*node.args, *users[0].args)
        ):
            absorbed.add(node)
    return absorbed


def _module_path(node: fx.Node) -> str:
    """The dotted path of the module a node is (``call_module``) or is called in."""
    if node.op == "call_module":
        path = str(node.target)
    else:
        stack = node.meta.get("nn_module_stack") or {}
        entries = list(stack.values())
        path = entries[-1][0] if entries and isinstance(entries[-1], tuple) else (list(stack)[-1] if stack else "")
    return path.removeprefix(_ROOT).removeprefix(".")


def _block_depth(paths: list[list[str]]) -> int:
    """Skip the leading path components all modules share (``blocks`` of archscope's own
    modules, ``model`` of a wrapper) so that blocks are the first distinct submodules."""
    depth = 0
    while paths and all(len(p) > depth + 1 for p in paths) and len({p[depth] for p in paths}) == 1:
        depth += 1
    return depth


class _Importer:
    """Converts a traced, shape-propagated graph into a ``Network``."""

    def __init__(self, traced: fx.GraphModule, name: str, shape: tuple[int, ...]) -> None:
        self.traced = traced
        self.b = GraphBuilder(name, config={"module": name, "input": "x".join(map(str, shape))})
        self.values: dict[fx.Node, Any] = {}
        self.owners: dict[str, str] = {}  # module path -> node holding its weights
        self.used: Counter = Counter()
        self.absorbed = _absorbed_adds(traced.graph)
        paths = [_module_path(n).split(".") for n in traced.graph.nodes if _module_path(n)]
        self.depth = _block_depth(paths)
        self.block = "network"
        self.outputs: list[str] = []

    def run(self) -> Network:
        for node in self.traced.graph.nodes:
            if node not in self.absorbed:
                self.values[node] = getattr(self, f"_{node.op}")(node)
        if not self.outputs:
            raise FxImportError(f"{self.b.build().name} returns no tensor")
        return self.b.build(self.outputs)

    # ---- one method per fx node kind ------------------------------------------------

    def _placeholder(self, node: fx.Node) -> Tensor:
        shape = _meta_shapes(node)
        return Tensor(Port(self.b.input(_as_shape(shape)), 0), shape)

    def _get_attr(self, node: fx.Node) -> _Opaque:
        return _Opaque()  # a parameter or buffer read directly: the calls using it are unknown

    def _output(self, node: fx.Node) -> None:
        for value in _flatten(self._resolve(node.args[0])):
            if isinstance(value, (Tensor, _Multi)):
                ref = value.ref.node if isinstance(value, Tensor) else value.node
                if ref not in self.outputs:
                    self.outputs.append(ref)

    def _call_module(self, node: fx.Node) -> Any:
        module = self.traced.get_submodule(str(node.target))
        args, kwargs = self._resolve(node.args), self._resolve(dict(node.kwargs))
        arguments = bind(module.forward, args, kwargs)
        return self._apply(node, type(module), arguments, target=type(module).__name__, module=module)

    def _call_function(self, node: fx.Node) -> Any:
        if node.target is operator.getitem and isinstance(self.values.get(node.args[0]), (_Multi, _Chunks)):
            return self._item(node)
        name = getattr(node.target, "__name__", str(node.target))
        return self._apply(node, node.target, self._arguments(node), target=name)

    def _call_method(self, node: fx.Node) -> Any:
        return self._apply(node, node.target, self._arguments(node), target=f"Tensor.{node.target}")

    # ---- helpers -------------------------------------------------------------------

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, fx.Node):
            return self.values[value]
        if isinstance(value, (list, tuple)):
            return type(value)(self._resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        return value

    def _arguments(self, node: fx.Node) -> dict[str, Any] | None:
        """The call's arguments by name; an add absorbing others gets them as ``more``."""
        if _is_add(node) and any(a in self.absorbed for a in node.args):
            first, second, *more = self._resolve(self._summands(node))
            return {"input": first, "other": second, "more": tuple(more)}
        return bind(node.target, self._resolve(node.args), self._resolve(dict(node.kwargs)))

    def _summands(self, node: fx.Node) -> list[fx.Node]:
        summands: list[fx.Node] = []
        for arg in node.args:
            summands += self._summands(arg) if arg in self.absorbed else [arg]
        return summands

    def _item(self, node: fx.Node) -> Tensor:
        source, index = self.values[node.args[0]], node.args[1]
        if isinstance(source, _Multi):
            return Tensor(Port(source.node, index), source.shapes[index])
        start, stop = source.ranges[index]
        with self._in_block(node):
            ref = self._add_node(Slice(start=start, stop=stop), [source.tensor], node)
        return Tensor(Port(ref, 0), _meta_shapes(node))

    def _apply(
        self, node: fx.Node, key: Any, arguments: dict | None, *, target: str, module: nn.Module | None = None
    ) -> Any:
        out = _meta_shapes(node)
        if out is None:
            return _Opaque()  # not a tensor (x.size(0), ...): no op of its own
        chunks = _chunk_ranges(key, arguments, out)
        if chunks:
            return _Chunks(arguments["input"], chunks)
        result = self._handle(key, arguments, out, module)
        if isinstance(result, Alias):
            return Tensor(result.tensor.ref, out)
        with self._in_block(node):
            if isinstance(result, Mapped):
                ref = self._add_node(result.op, list(result.inputs), node, shares=self._owner(node, module))
            else:
                ref = self._unknown(node, target, arguments, out)
        return Tensor(Port(ref, 0), out) if _is_single(out) else _Multi(ref, out)

    def _handle(self, key: Any, arguments: dict | None, out: Any, module: nn.Module | None) -> Mapped | Alias | None:
        handler = handler_for(key)
        if handler is None or arguments is None:
            return None
        try:
            result = handler(Call(arguments=arguments, out_shape=out, module=module))
        except (TypeError, ValueError):  # an argument only known at run time (a traced size, a parameter)
            return None
        return None if isinstance(result, Mapped) and not self._fits(result, out) else result

    def _fits(self, result: Mapped, out: Any) -> bool:
        """Does archscope's op give the traced shape? (If not, the call counts as unknown.)"""
        shapes = [self.b.shape(t.ref.node) for t in result.inputs]
        main = out if _is_single(out) else out[0]
        try:
            return result.op.output_shape(shapes) == _as_shape(main)
        except (ShapeError, ValueError):
            return False

    def _owner(self, node: fx.Node, module: nn.Module | None) -> str | None:
        if module is None or not any(True for _ in module.parameters(recurse=False)):
            return None
        return self.owners.get(str(node.target))

    def _unknown(self, node: fx.Node, target: str, arguments: dict | None, out: Any) -> str:
        values = list(arguments.values()) if arguments is not None else list(self._resolve(node.args))
        inputs = [v for v in _flatten(values) if isinstance(v, Tensor)]
        shapes = [out] if _is_single(out) else list(out)
        op = UnknownOp(target=target, shape=_as_shape(shapes[0]), outputs=len(shapes))
        return self._add_node(op, inputs, node)

    def _add_node(self, op: Op, inputs: list[Tensor], node: fx.Node, *, shares: str | None = None) -> str:
        layers = 1 if op.counts_as_layer else 0
        call = _INVOCATIONS.get(node.op, Invocation.FUNCTION)
        ref = self.b.add(op, *(t.ref for t in inputs), name=self._name(node), layers=layers, shares=shares, call=call)
        if node.op == "call_module" and shares is None and not isinstance(op, UnknownOp):
            self.owners.setdefault(str(node.target), ref)
        return ref

    def _name(self, node: fx.Node) -> str:
        parts = _module_path(node).split(".")
        rest = ".".join(parts[self.depth + 1 :]).replace("__", ".") or (parts[-1] if node.op == "call_module" else "")
        rest = rest or node.name
        name = f"{rest}.{node.name}" if self.used[(self.block, rest)] else rest
        self.used[(self.block, rest)] += 1
        return name

    def _in_block(self, node: fx.Node) -> Any:
        """Enter the block of the node's module. Function calls at the top level and
        second calls of a module (shared weights) stay in the block of the node before."""
        parts = _module_path(node).split(".")
        repeated = node.op == "call_module" and str(node.target) in self.owners
        if len(parts) > self.depth and parts[self.depth] and not repeated:
            self.block = parts[self.depth]
        return self.b.block(self.block)


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    else:
        yield value


def _is_single(out: Any) -> bool:
    return out is None or not out or not isinstance(out[0], tuple)


def _chunk_ranges(key: Any, arguments: dict | None, out: Any) -> tuple[tuple[int, int], ...] | None:
    """Channel ranges of ``chunk``/``split`` along dim 1 of a 4-D tensor."""
    name = key if isinstance(key, str) else getattr(key, "__name__", "")
    if name not in ("chunk", "split") or not arguments or not isinstance(arguments.get("input"), Tensor):
        return None
    if arguments.get("dim", 0) not in (1, -3) or len(arguments["input"].shape) != 4 or _is_single(out):
        return None
    ranges, start = [], 0
    for shape in out:
        ranges.append((start, start + shape[1]))
        start += shape[1]
    return tuple(ranges)


def from_module(module: nn.Module, input_shape: Sequence[int], *, name: str | None = None) -> Network:
    """The archscope network of ``module`` applied to one input of ``input_shape``
    (N, C, H, W). Raises ``FxImportError`` with a one-line message on failure."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 4 or min(shape) < 1:
        raise FxImportError(f"the input shape must be 4 positive sizes NxCxHxW, got {'x'.join(map(str, shape))}")
    traced = _trace(module, shape)
    return _Importer(traced, name or type(module).__name__, shape).run()


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``"1x3x512x1024"`` -> ``(1, 3, 512, 1024)``."""
    try:
        shape = tuple(int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise FxImportError(f"{text!r} is not an input shape NxCxHxW (e.g. 1x3x512x1024)") from None
    if len(shape) != 4 or min(shape) < 1:
        raise FxImportError(f"{text!r} is not an input shape NxCxHxW (e.g. 1x3x512x1024)")
    return shape


