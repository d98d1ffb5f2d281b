"""A recorded graph of torch calls -> an archscope ``Network``.

The graph is a ``torch.fx.Graph`` whose nodes carry their output's shape, layout or
value (``node.meta[SHAPE]``) and the module stack they ran in, whichever front end made
it: torch.fx's symbolic trace (``fx_front``) or the calls recorded while the module ran
(``eager_front``). Each call is mapped to an archscope op by the table in ``handlers``.

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
- Parameters nothing reads (a classifier left on a backbone) are listed by module in
  ``Imported.unused_parameters``; layers called from outside the module tree (a plain
  list) in ``Imported.unregistered_parameters``.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from archscope.dims import ShapeError
from archscope.graph import GraphBuilder, Imported, Network, Port
from archscope.imports.handlers import Alias, Call, Mapped, Param, Tensor, as_shape, bind, handler_for
from archscope.ops import Op, Slice, UnknownOp
from archscope.ops.tools import Invocation

ROOT = "module"  # the attribute under which the wrapper holds the user's module
SHAPE = "archscope_shape"  # node meta key: what the node's output is (``Described``)
_ADDS = ("add", "iadd")  # operator.add, operator.iadd, torch.add, Tensor.add


class ModuleImportError(ValueError):
    """A module that cannot be imported (one-line message)."""


@dataclass(frozen=True)
class Described:
    """What a node produced: a tensor's shape and layout, a tuple of tensor shapes, or a
    plain value (``x.size(0)``: an int) that later calls use as a constant."""

    shape: tuple | None = None
    contiguous: bool = True
    value: Any = None
    several: bool = False


def describe(result: Any) -> Described:
    import torch

    if isinstance(result, torch.Tensor):
        return Described(tuple(result.shape), bool(result.is_contiguous()))
    if isinstance(result, (tuple, list)) and result and all(isinstance(v, torch.Tensor) for v in result):
        return Described(tuple(tuple(v.shape) for v in result), several=True)
    if isinstance(result, torch.Size):
        return Described(value=tuple(result))
    if isinstance(result, (int, float, bool)) or (isinstance(result, tuple) and all(isinstance(v, int) for v in result)):
        return Described(value=result)
    return Described()


def _described(node: fx.Node) -> Described:
    return node.meta.get(SHAPE) or Described()


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
    """A value archscope cannot follow (a non-tensor it was not told)."""


def _is_add(node: fx.Node) -> bool:
    name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
    return node.op in ("call_function", "call_method") and name in _ADDS and len(node.args) == 2 and not node.kwargs


def _absorbed_adds(graph: fx.Graph) -> set[fx.Node]:
    """Binary adds whose only use is another binary add of the same shape: parts of an n-ary sum."""
    absorbed = set()
    for node in graph.nodes:
        users = list(node.users)
        if _is_add(node) and len(users) == 1 and _is_add(users[0]) and all(
            isinstance(a, fx.Node) and _described(a).shape == _described(node).shape
            for a in (*node.args, *users[0].args)
        ):
            absorbed.add(node)
    return absorbed


def module_path(node: fx.Node) -> str:
    """The dotted path of the module a node is (``call_module``) or is called in."""
    if node.op == "call_module":
        path = str(node.target)
    else:
        stack = node.meta.get("nn_module_stack") or {}
        entries = list(stack.values())
        path = entries[-1][0] if entries and isinstance(entries[-1], tuple) else (list(stack)[-1] if stack else "")
    return path.removeprefix(ROOT).removeprefix(".")


def _block_depth(paths: list[list[str]]) -> int:
    """Skip the leading path components all modules share (``blocks`` of archscope's own
    modules, ``model`` of a wrapper) so that blocks are the first distinct submodules."""
    depth = 0
    while paths and all(len(p) > depth + 1 for p in paths) and len({p[depth] for p in paths}) == 1:
        depth += 1
    return depth


def invocation(node: fx.Node, module: nn.Module | None, *, registered: bool = True) -> Invocation:
    """How the node calls its op (the cross-check tools count some ops by that)."""
    if node.op == "call_module":
        return Invocation("module", type(module).__name__, registered)
    if node.op == "call_method":
        return Invocation("method", str(node.target))
    target = node.target
    name = getattr(target, "__name__", str(target))
    if getattr(F, name, None) is target:  # F.gelu is a builtin whose __module__ is torch._C._nn
        return Invocation("function", name)
    if getattr(target, "__module__", "") in ("_operator", "operator"):
        return Invocation("operator", name)
    return Invocation("torch", name)


class Importer:
    """Converts a recorded, shape-described graph into a ``Network``.

    modules: the call_module targets' modules; parameters: every named parameter of the
    wrapped root (for the unused ones); called: the paths of every module that ran.
    """

    def __init__(
        self, graph: fx.Graph, *, modules: Mapping[str, nn.Module], root: nn.Module, called: set[str],
        name: str, shape: tuple[int, ...], path: str, engine: str,
    ) -> None:
        self.graph, self.modules, self.root, self.called = graph, modules, root, called
        self.path, self.engine = path, engine
        self.b = GraphBuilder(name, config={"module": name, "input": "x".join(map(str, shape))})
        self.values: dict[fx.Node, Any] = {}
        self.owners: dict[str, str] = {}  # module path -> node holding its weights
        self.used: Counter = Counter()
        self.absorbed = _absorbed_adds(graph)
        paths = [module_path(n).split(".") for n in graph.nodes if module_path(n)]
        self.depth = _block_depth(paths)
        self.block = "network"
        self.outputs: list[str] = []
        self.read_parameters: set[int] = set()  # ids of the parameters the calls read
        self.parameters = dict(root.named_parameters())
        self.registered = {id(m) for m in nn.Module.modules(root)}

    def run(self) -> Network:
        for node in self.graph.nodes:
            if node not in self.absorbed:
                self.values[node] = getattr(self, f"_{node.op}")(node)
        if not self.outputs:
            raise ModuleImportError(f"{self.b.build().name} returns no tensor")
        return self.b.build(self.outputs, imported=self._imported())

    # ---- one method per fx node kind ------------------------------------------------

    def _placeholder(self, node: fx.Node) -> Tensor:
        shape = _described(node).shape
        return Tensor(Port(self.b.input(as_shape(shape)), 0), shape)

    def _get_attr(self, node: fx.Node) -> Param | _Opaque:
        """A parameter or buffer read directly (``F.conv2d(x, self.weight)``)."""
        tensor = self.parameters.get(str(node.target))
        if tensor is not None:
            self.read_parameters.add(id(tensor))
        shape = _described(node).shape
        return Param(str(node.target), shape) if shape is not None and not _described(node).several else _Opaque()

    def _output(self, node: fx.Node) -> None:
        for value in _flatten(self._resolve(node.args[0])):
            if isinstance(value, (Tensor, _Multi)):
                ref = value.ref.node if isinstance(value, Tensor) else value.node
                if ref not in self.outputs:
                    self.outputs.append(ref)

    def _call_module(self, node: fx.Node) -> Any:
        module = self.modules[str(node.target)]
        self.read_parameters |= {id(p) for p in module.parameters()}
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
        if isinstance(value, slice):
            return slice(self._resolve(value.start), self._resolve(value.stop), self._resolve(value.step))
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
            ref = self._add_node(Slice(start=start, stop=stop), [source.tensor], node, None)
        return Tensor(Port(ref, 0), _described(node).shape)

    def _apply(
        self, node: fx.Node, key: Any, arguments: dict | None, *, target: str, module: nn.Module | None = None
    ) -> Any:
        described = _described(node)
        out = described.shape
        if out is None:  # not a tensor: x.size(0) is an int the calls after it use
            return described.value if described.value is not None else _Opaque()
        chunks = _chunk_ranges(key, arguments, out) if described.several else None
        if chunks:
            return _Chunks(arguments["input"], chunks)
        result = self._handle(key, arguments, described, module)
        if isinstance(result, Alias):
            return Tensor(result.tensor.ref, out, described.contiguous)
        with self._in_block(node):
            if isinstance(result, Mapped):
                ref = self._add_node(result.op, list(result.inputs), node, module, shares=self._owner(node, module))
            else:
                ref = self._unknown(node, target, arguments, out)
        return _Multi(ref, out) if described.several else Tensor(Port(ref, 0), out, described.contiguous)

    def _handle(self, key: Any, arguments: dict | None, described: Described,
                module: nn.Module | None) -> Mapped | Alias | None:
        handler = handler_for(key)
        if handler is None or arguments is None:
            return None
        out = described.shape
        call = Call(arguments=arguments, out_shape=out, module=module, out_contiguous=described.contiguous)
        try:
            result = handler(call)
        except (TypeError, ValueError, KeyError, ShapeError):  # an argument of a form the handler does not take
            return None
        return None if isinstance(result, Mapped) and not self._fits(result, out, described.several) else result

    def _fits(self, result: Mapped, out: Any, several: bool) -> bool:
        """Does archscope's op give the traced shape? (If not, the call counts as unknown.)"""
        shapes = [self.b.shape(t.ref.node) for t in result.inputs]
        main = out[0] if several else out
        try:
            return result.op.output_shape(shapes) == as_shape(main)
        except (ShapeError, ValueError):
            return False

    def _owner(self, node: fx.Node, module: nn.Module | None) -> str | None:
        if module is None or not any(True for _ in module.parameters(recurse=False)):
            return None
        return self.owners.get(str(node.target))

    def _unknown(self, node: fx.Node, target: str, arguments: dict | None, out: Any) -> str:
        values = list(arguments.values()) if arguments is not None else list(self._resolve(node.args))
        inputs = [v for v in _flatten(values) if isinstance(v, Tensor)]
        shapes = list(out) if _described(node).several else [out]
        op = UnknownOp(target=target, shape=as_shape(shapes[0]), outputs=len(shapes))
        return self._add_node(op, inputs, node, None)

    def _add_node(self, op: Op, inputs: list[Tensor], node: fx.Node, module: nn.Module | None, *,
                  shares: str | None = None) -> str:
        layers = 1 if op.counts_as_layer else 0
        ref = self.b.add(op, *(t.ref for t in inputs), name=self._name(node), layers=layers, shares=shares,
                         call=invocation(node, module, registered=id(module) in self.registered))
        if node.op == "call_module" and shares is None and not isinstance(op, UnknownOp):
            self.owners.setdefault(str(node.target), ref)
        return ref

    def _name(self, node: fx.Node) -> str:
        parts = module_path(node).split(".")
        rest = ".".join(parts[self.depth + 1 :]).replace("__", ".") or (parts[-1] if node.op == "call_module" else "")
        rest = rest or node.name
        name = f"{rest}.{node.name}" if self.used[(self.block, rest)] else rest
        self.used[(self.block, rest)] += 1
        return name

    def _in_block(self, node: fx.Node) -> Any:
        """Enter the block of the node's module. Function calls at the top level and
        second calls of a module (shared weights) stay in the block of the node before."""
        parts = module_path(node).split(".")
        repeated = node.op == "call_module" and str(node.target) in self.owners
        if len(parts) > self.depth and parts[self.depth] and not repeated:
            self.block = parts[self.depth]
        return self.b.block(self.block)

    # ---- what the module holds but the calls never read ------------------------------

    def _imported(self) -> Imported:
        return Imported(path=self.path, engine=self.engine, unused_parameters=self._unused(),
                        unregistered_parameters=self._unregistered())

    def _unused(self) -> dict[str, int]:
        """Top-most module never called -> its parameters nothing read (a parameter of a
        module that ran but never read is listed by its own name)."""
        ran = {".".join(path.split(".")[:i]) for path in self.called for i in range(1, path.count(".") + 2)}
        unused: Counter = Counter()
        for name, parameter in self.parameters.items():
            if id(parameter) in self.read_parameters:
                continue
            parts = name.split(".")
            owner = next((".".join(parts[:i]) for i in range(2, len(parts)) if ".".join(parts[:i]) not in ran), name)
            unused[owner.removeprefix(ROOT).removeprefix(".")] += parameter.numel()
        return dict(unused)

    def _unregistered(self) -> int:
        """Parameters of called layers that the root's ``parameters()`` does not list."""
        registered = {id(p) for p in self.root.parameters()}
        seen = {id(p): p.numel() for m in self.modules.values() for p in m.parameters() if id(p) not in registered}
        return sum(seen.values())


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    else:
        yield value


def _chunk_ranges(key: Any, arguments: dict | None, out: Any) -> tuple[tuple[int, int], ...] | None:
    """Channel ranges of ``chunk``/``split`` along dim 1 of a 4-D tensor."""
    name = key if isinstance(key, str) else getattr(key, "__name__", "")
    if name not in ("chunk", "split") or not arguments or not isinstance(arguments.get("input"), Tensor):
        return None
    if arguments.get("dim", 0) not in (1, -3) or len(arguments["input"].shape) != 4:
        return None
    ranges, start = [], 0
    for shape in out:
        ranges.append((start, start + shape[1]))
        start += shape[1]
    return tuple(ranges)
