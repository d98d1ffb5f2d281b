"""The eager front end: record the calls a module makes while it runs, for modules
torch.fx cannot trace (control flow on a tensor's value, ``torch.zeros`` sized by a
traced shape, layers kept in a plain list).

The forward pass runs once (``engines``) under a ``TorchFunctionMode`` that sees every
torch function, ``torch.nn.functional`` function and tensor method the module calls,
while global module hooks see every module call. Calls of ``torch.nn`` layers
(torch.fx's leaf modules) are recorded as ``call_module`` nodes and the functions they
call inside are not; everything else is recorded at the call. The result is a
``torch.fx.Graph`` like the symbolic trace's, so the same importer reads both: for a
module both can read, both give the same network.

Python operators (``x + y``, ``x * 2``) reach a function mode as ``Tensor.add``; the
recording wraps the operator methods to tell them from ``x.add(y)`` (ptflops counts one
and not the other).
"""

from __future__ import annotations

import operator
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import torch
import torch.fx as fx
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary

from archscope.imports import engines
from archscope.imports.importer import ROOT, SHAPE, Importer, describe

#: Tensor's operator methods -> the ``operator`` function torch.fx records for them (``x += y``
#: too: a proxy has no in-place operators, so fx records ``x + y``)
_OPERATORS = {
    "__add__": operator.add, "__radd__": operator.add, "__iadd__": operator.add,
    "__sub__": operator.sub, "__rsub__": operator.sub, "__isub__": operator.sub,
    "__mul__": operator.mul, "__rmul__": operator.mul, "__imul__": operator.mul,
    "__truediv__": operator.truediv, "__rtruediv__": operator.truediv, "__itruediv__": operator.truediv,
}
_marker = threading.local()


def _is_leaf(module: nn.Module) -> bool:
    """torch.fx's leaf modules: torch.nn's own layers (not containers)."""
    return type(module).__module__.startswith(("torch.nn", "torch.ao.nn")) and not isinstance(module, nn.Sequential)


@contextmanager
def _operators_marked() -> Iterator[None]:
    """Tensor's operator methods note their name before they dispatch."""
    saved = {name: torch.Tensor.__dict__.get(name) for name in _OPERATORS}

    def wrap(name: str, method: Any) -> Any:
        def marked(*args: Any, **kwargs: Any) -> Any:
            _marker.name = name  # read by the recording if this call reaches it
            try:
                return method(*args, **kwargs)
            finally:
                _marker.name = None  # never left for another call (one inside a torch function)

        return marked

    for name in _OPERATORS:
        setattr(torch.Tensor, name, wrap(name, getattr(torch.Tensor, name)))
    try:
        yield
    finally:
        for name, method in saved.items():
            if method is None:
                delattr(torch.Tensor, name)
            else:
                setattr(torch.Tensor, name, method)


class _Recording(TorchFunctionMode):
    """Builds the fx graph of the calls made while the root module runs."""

    def __init__(self, root: nn.Module) -> None:
        super().__init__()
        self.root = root
        self.graph = fx.Graph()
        self.nodes: WeakIdKeyDictionary = WeakIdKeyDictionary()  # tensor -> its node
        self.items: WeakIdKeyDictionary = WeakIdKeyDictionary()  # tensor -> (node, index) of a tuple output
        self.params: dict[int, str] = {}  # id(tensor) -> its name in the root (filled when the root runs)
        self.attrs: dict[str, fx.Node] = {}
        self.names = {id(m): name for name, m in nn.Module.named_modules(root)}
        self.scopes: list[tuple[str, type]] = []
        self.modules: dict[str, nn.Module] = {}
        self.called: set[str] = set()
        self.leaf_depth = 0

    # ---- module calls ----------------------------------------------------------------

    def pre_hook(self, module: nn.Module, args: Any) -> None:
        if self.leaf_depth:
            self.leaf_depth += int(_is_leaf(module))
            return
        if module is self.root:
            self.params = {id(t): n for n, t in [*self.root.named_parameters(remove_duplicate=False),
                                                 *self.root.named_buffers(remove_duplicate=False)]}
        path = self._path(module)
        self.called.add(path)
        if _is_leaf(module):
            self.leaf_depth = 1
        else:
            self.scopes.append((path, type(module)))

    def post_hook(self, module: nn.Module, args: Any, kwargs: Any, output: Any) -> None:
        if self.leaf_depth > 1 or (self.leaf_depth == 1 and not _is_leaf(module)):
            self.leaf_depth -= int(_is_leaf(module))
            return
        if not self.leaf_depth:
            self.scopes.pop()
            return
        self.leaf_depth = 0
        path = self._path(module)
        self.modules[path] = module
        node = self.graph.call_module(path, self._arg(tuple(args)), self._arg(dict(kwargs)))
        self._done(node, output)

    def _path(self, module: nn.Module) -> str:
        if id(module) not in self.names:  # a layer outside the module tree (kept in a plain list)
            parent = self.scopes[-1][0] if self.scopes else ROOT
            self.names[id(module)] = f"{parent}.{type(module).__name__.lower()}{len(self.names)}"
        return self.names[id(module)]

    # ---- function calls --------------------------------------------------------------

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        marked = getattr(_marker, "name", None)
        _marker.name = None
        result = func(*args, **kwargs)
        if self.leaf_depth or not _holds_tensor(result):
            return result
        target = _target(func, marked)
        if target is None:
            return result
        kind, name = target
        if marked in ("__radd__", "__rsub__", "__rmul__", "__rtruediv__"):
            args = (args[1], args[0], *args[2:])
        node = self.graph.create_node(kind, name, self._arg(tuple(args)), self._arg(kwargs))
        self._done(node, result)
        return result

    # ---- values --------------------------------------------------------------------

    def input(self, x: torch.Tensor) -> None:
        node = self.graph.placeholder("x")
        self._done(node, x)

    def output(self, result: Any) -> None:
        self.graph.output(self._arg(result))

    def _done(self, node: fx.Node, result: Any) -> None:
        node.meta[SHAPE] = describe(result)
        node.meta["nn_module_stack"] = {path: (path, kind) for path, kind in self.scopes}
        if isinstance(result, torch.Tensor):
            self.nodes[result] = node
        elif isinstance(result, (tuple, list)):
            for index, item in enumerate(result):
                if isinstance(item, torch.Tensor):
                    self.items[item] = (node, index)

    def _arg(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return self._tensor(value)
        if isinstance(value, torch.Size):
            return tuple(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self._arg(v) for v in value)
        if isinstance(value, dict):
            return {k: self._arg(v) for k, v in value.items()}
        if isinstance(value, slice):
            return slice(self._arg(value.start), self._arg(value.stop), self._arg(value.step))
        return value

    def _tensor(self, tensor: torch.Tensor) -> fx.Node:
        if tensor in self.nodes:
            return self.nodes[tensor]
        if tensor in self.items:
            source, index = self.items[tensor]
            node = self.graph.call_function(operator.getitem, (source, index))
            self._done(node, tensor)
            return node
        name = self.params.get(id(tensor), f"constant{len(self.attrs)}")
        if name not in self.attrs:
            self.attrs[name] = self.graph.get_attr(name)
            self.attrs[name].meta[SHAPE] = describe(tensor)
        return self.attrs[name]


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value)


def _target(func: Any, marked: str | None) -> tuple[str, Any] | None:
    """(fx node kind, target) torch.fx records for ``func``."""
    if marked is not None:
        return "call_function", _OPERATORS[marked]
    name = getattr(func, "__name__", None)
    if name == "__getitem__":
        return "call_function", operator.getitem
    if name is None or name == "__get__":
        return None  # a property (x.T, x.data)
    if getattr(torch.Tensor, name, None) is func or getattr(torch._C.TensorBase, name, None) is func:
        return "call_method", name
    return "call_function", func


def importer(root: nn.Module, shape: tuple[int, ...], name: str) -> Importer:
    """The importer of the calls ``root`` makes on an input of ``shape``."""
    recordings: list[_Recording] = []

    def body(x: torch.Tensor) -> None:
        recording = _Recording(root)
        recordings.append(recording)
        pre = nn.modules.module.register_module_forward_pre_hook(recording.pre_hook)
        post = nn.modules.module.register_module_forward_hook(recording.post_hook, with_kwargs=True)
        try:
            with _operators_marked(), recording:
                recording.input(x)
                recording.output(root(x))
        finally:
            pre.remove()
            post.remove()

    engine = engines.run(root, shape, body)
    recording = recordings[-1]
    return Importer(recording.graph, modules=recording.modules, root=root, called=recording.called, name=name,
                    shape=shape, path="eager", engine=engine)
