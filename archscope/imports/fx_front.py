"""The torch.fx front end: a symbolic trace of the module, then one run of the traced
graph (``engines``) that records each node's output shape, layout or value."""

from __future__ import annotations

from typing import Any

import torch.fx as fx
from torch import nn

from archscope.imports import engines
from archscope.imports.importer import SHAPE, Importer, describe, module_path


class _Recorder(fx.Interpreter):
    """Runs the traced graph once, describing each node's output in its meta."""

    def run_node(self, node: fx.Node) -> Any:
        result = super().run_node(node)
        node.meta[SHAPE] = describe(result)
        return result


def trace(root: nn.Module) -> fx.GraphModule:
    """torch.fx's symbolic trace of ``root`` (its errors propagate)."""
    return fx.symbolic_trace(root)


def importer(root: nn.Module, traced: fx.GraphModule, shape: tuple[int, ...], name: str) -> Importer:
    """The importer of ``traced`` with its shapes recorded (the run's errors propagate)."""
    engine = engines.run(traced, shape, lambda x: _Recorder(traced).run(x))
    modules = {str(n.target): traced.get_submodule(str(n.target)) for n in traced.graph.nodes if n.op == "call_module"}
    called = {p for n in traced.graph.nodes for p in _stack(n)}
    return Importer(traced.graph, modules=modules, root=root, called=called, name=name, shape=shape,
                    path="fx", engine=engine)


def _stack(node: fx.Node) -> list[str]:
    """Paths of the modules a node ran in (the root's ``module.`` prefix kept)."""
    paths = [entry[0] for entry in (node.meta.get("nn_module_stack") or {}).values() if isinstance(entry, tuple)]
    if node.op == "call_module":
        paths.append(str(node.target))
    return paths or (["module"] if module_path(node) == "" else [])
