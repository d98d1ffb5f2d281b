"""Networks as graphs of ops.

A ``Network`` is a networkx DiGraph whose nodes are op applications with inferred output
shapes, each in a named block (stem, block1, ...). Families build networks with a
``GraphBuilder``; costs, formulas and torch modules are all derived from the one graph.

Repeated layers: ``GraphBuilder.repeat(count, layer, x)`` unrolls ``count`` copies when
``count`` is an int. When ``count`` is a sympy symbol it adds one copy whose nodes carry
``multiplicity = count`` (a *folded* graph): costs are then closed forms in the depth.
Folded graphs are for analysis only; they cannot become torch modules.

Several outputs: an op with more than one output (a max-pool that also returns its
argmax indices) is one node; a consumer names the output it takes with ``Port(node, i)``
(a plain node id means output 0). Every output has the node's shape.

Shared weights: ``GraphBuilder.add(..., shares=owner)`` applies the weights of node
``owner`` again (ICNet runs its 1/4- and 1/2-resolution paths through the same layers).
The node is a separate application (its MACs and traffic count), but its parameters
are the owner's: costs count them once and the torch module calls the owner's layer.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

import networkx as nx

from archscope.dims import Dim, ShapeError, is_symbolic
from archscope.ops import Input, Op, Shape
from archscope.ops.tools import Invocation


class Port(NamedTuple):
    """Output ``index`` of ``node`` (0 is its main output)."""

    node: str
    index: int


@dataclass(frozen=True)
class Imported:
    """How a network was read from a user's ``nn.Module`` (``archscope.imports``).

    path:          ``fx`` (torch.fx's symbolic trace) or ``eager`` (the calls recorded
                   while the module ran), and how shapes were found: ``meta`` tensors,
                   ``fake`` tensors or ``real`` ones (data-dependent control flow)
    unused_parameters:      module name -> parameters of modules never called
    unregistered_parameters: parameters of called layers torch does not list in the
                   module's ``parameters()`` (layers kept in a plain list)
    """

    path: str
    engine: str
    unused_parameters: Mapping[str, int] = field(default_factory=dict)
    unregistered_parameters: int = 0


@dataclass(frozen=True)
class Network:
    """A built network: the graph plus its inputs, outputs and the configuration it came from."""

    name: str
    graph: nx.MultiDiGraph
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    config: Mapping[str, Any] = field(default_factory=dict)
    imported: Imported | None = None

    def op(self, node: str) -> Op:
        return self.graph.nodes[node]["op"]

    def shape(self, node: str) -> Shape:
        return self.graph.nodes[node]["shape"]

    def block(self, node: str) -> str:
        return self.graph.nodes[node]["block"]

    def multiplicity(self, node: str) -> Dim:
        return self.graph.nodes[node]["multiplicity"]

    def layers(self, node: str) -> int:
        return self.graph.nodes[node]["layers"]

    def call(self, node: str) -> Invocation | None:
        """How an imported module invoked the node's op (``None``: as archscope's own
        torch module calls it, ``archscope.torch_module.builder_call``)."""
        return self.graph.nodes[node].get("call")

    def sources(self, node: str) -> list[str]:
        """The node's input nodes, in argument order (a node may appear twice: x + x)."""
        return [port.node for port in self.ports(node)]

    def ports(self, node: str) -> list[Port]:
        """The node's inputs as (source node, output index), in argument order."""
        edges = sorted(self.graph.in_edges(node, data=True), key=lambda edge: edge[2]["index"])
        return [Port(src, data.get("port", 0)) for src, _, data in edges]

    def shares(self, node: str) -> str | None:
        """The node whose weights this node applies again, or ``None``."""
        return self.graph.nodes[node].get("shares")

    def input_shapes(self, node: str) -> list[Shape]:
        return [self.shape(src) for src in self.sources(node)]

    def nodes(self) -> list[str]:
        """Nodes in the order they were added (a topological order)."""
        return list(self.graph.nodes)

    def blocks(self) -> list[str]:
        """Block names in order of first appearance."""
        return list(dict.fromkeys(self.block(n) for n in self.graph.nodes))

    @property
    def folded(self) -> bool:
        """True if some nodes stand for a symbolic number of repeats."""
        return any(m != 1 for _, m in self.graph.nodes(data="multiplicity"))

    @property
    def output_shape(self) -> Shape:
        return self.shape(self.outputs[0])

    @cached_property
    def dead(self) -> frozenset[str]:
        """Nodes whose result reaches no output: computed, then dropped (a branch a
        published module computes and never uses)."""
        live = set(self.outputs) | set(self.inputs)
        for output in self.outputs:
            live |= nx.ancestors(self.graph, output)
        return frozenset(n for n in self.graph.nodes if n not in live)


class GraphBuilder:
    """Builds a ``Network`` op by op, inferring shapes as it goes.

    >>> from archscope.ops import Conv2d
    >>> b = GraphBuilder("tiny")
    >>> x = b.input(Shape(1, 3, 32, 32))
    >>> with b.block("stem"):
    ...     x = b.add(Conv2d(out_channels=8, stride=2), x, name="conv", layers=1)
    >>> b.build().output_shape
    Shape(n=1, c=8, h=16, w=16)
    """

    def __init__(self, name: str, *, config: Mapping[str, Any] | None = None) -> None:
        self._name = name
        self._config = dict(config or {})
        self._graph = nx.MultiDiGraph()
        self._inputs: list[str] = []
        self._block = "network"
        self._scope: list[str] = []
        self._multiplicity: Dim = 1

    def input(self, shape: Shape, *, name: str = "input") -> str:
        with self.block("input"):
            node = self.add(Input(shape=shape), name=name)
        self._inputs.append(node)
        return node

    @contextmanager
    def block(self, name: str) -> Iterator[None]:
        """Nodes added inside belong to block ``name``; their names start with it."""
        saved = self._block, self._scope
        self._block, self._scope = name, [name]
        try:
            yield
        finally:
            self._block, self._scope = saved

    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """A name prefix for the nodes added inside (``block1.layer0.dw1``)."""
        self._scope.append(name)
        try:
            yield
        finally:
            self._scope.pop()

    def shape(self, node: str) -> Shape:
        return self._graph.nodes[node]["shape"]

    def node_id(self, name: str) -> str:
        """The id ``add(..., name=name)`` gives a node in the current block and scope."""
        return ".".join([*self._scope, name])

    def add(
        self, op: Op, *sources: str | Port, name: str, layers: int = 0, shares: str | None = None,
        call: Invocation | None = None,
    ) -> str:
        """Apply ``op`` to the outputs of ``sources``; returns the new node's id.

        ``layers`` is the node's contribution to the network's depth as its paper counts
        it (for NDNet, 1 per separable convolution). ``shares`` names a node whose weights
        this one reuses: same op, same input channels. ``call``: how an imported module
        invoked the op (cross-check tools count some ops by how they are called).
        """
        node = self.node_id(name)
        if node in self._graph:
            raise ValueError(f"duplicate node name {node!r}")
        ports = [self._port(src) for src in sources]
        shapes = [self.shape(port.node) for port in ports]
        try:
            shape = op.output_shape(shapes)
        except ShapeError as error:
            raise ShapeError(f"{node}: {error}") from None
        attributes: dict[str, Any] = dict(
            op=op, shape=shape, block=self._block, multiplicity=self._multiplicity, layers=layers
        )
        if shares is not None:
            attributes["shares"] = self._owner(shares, op, shapes)
        if call is not None:
            attributes["call"] = call
        self._graph.add_node(node, **attributes)
        for index, (src, port) in enumerate(ports):
            self._graph.add_edge(src, node, index=index, port=port)
        return node

    def _port(self, source: str | Port) -> Port:
        port = source if isinstance(source, Port) else Port(source, 0)
        if port.node not in self._graph:
            raise ValueError(f"unknown source node {port.node!r}")
        outputs = self._graph.nodes[port.node]["op"].output_count()
        if not 0 <= port.index < outputs:
            raise ValueError(f"{port.node} has {outputs} output(s); there is no output {port.index}")
        return port

    def _owner(self, shares: str, op: Op, shapes: list[Shape]) -> str:
        """The node owning the weights ``shares`` names, checked to fit ``op``."""
        if shares not in self._graph:
            raise ValueError(f"shares: unknown node {shares!r}")
        owner = self._graph.nodes[shares].get("shares") or shares
        data = self._graph.nodes[owner]
        owner_channels = [self.shape(src).c for src, _, _ in sorted(
            self._graph.in_edges(owner, data="index"), key=lambda edge: edge[2])]
        if data["op"] != op or owner_channels != [s.c for s in shapes]:
            raise ShapeError(f"cannot share the weights of {owner} ({data['op'].label()}): different op or channels")
        return owner

    def repeat(self, count: Dim, layer: Callable[[str], str], x: str, *, name: str = "layer", start: int = 0) -> str:
        """Apply ``layer`` ``count`` times in sequence, each in scope ``{name}{i}`` with
        i counted from ``start``.

        A symbolic ``count`` adds one copy standing for all of them; the layer must then
        keep its input's shape.
        """
        if not is_symbolic(count):
            if int(count) < 0:
                raise ValueError(f"repeat count must be non-negative, got {count}")
            for i in range(start, start + int(count)):
                with self.scope(f"{name}{i}"):
                    x = layer(x)
            return x
        outer = self._multiplicity
        self._multiplicity = outer * count
        try:
            with self.scope(f"{name}*"):
                y = layer(x)
        finally:
            self._multiplicity = outer
        if self.shape(y) != self.shape(x):
            raise ShapeError(f"a folded repeat must keep its shape: {self.shape(x)} -> {self.shape(y)}")
        return y

    def build(self, outputs: Sequence[str] | None = None, *, imported: Imported | None = None) -> Network:
        """The finished network; outputs default to the nodes nothing consumes."""
        if outputs is None:
            outputs = [n for n in self._graph.nodes if self._graph.out_degree(n) == 0]
        return Network(
            name=self._name,
            graph=self._graph,
            inputs=tuple(self._inputs),
            outputs=tuple(outputs),
            config=self._config,
            imported=imported,
        )
