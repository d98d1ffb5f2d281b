"""Reversible couplings in a network's graph: which nodes form a reversible block.

A coupling (RevNet's additive coupling; VNet's V module, REFERENCE.md §2) splits its input
X on channels into halves X1, X2 and computes

    Y1 = X1 + F1(X2),   Y2 = X2 + F2(Y1),   Y = [Y1, Y2]

(VNet: F2 is the identity, so Y2 = X2 + Y1). It is invertible,

    X2 = Y2 - F2(Y1),   X1 = Y1 - F1(X2),

so back-propagation needs nothing from inside it. Consecutive couplings form a *stack*;
trained reversibly, a stack keeps only its output for backward and recomputes every
input on the way back (``archscope.autograd.reversible`` is the torch side).

The graph stays the one description: a family builds the coupling's ops as usual
(slices, F1's and F2's ops, adds, a concat) and ``mark_reversible`` records which nodes
play which role, in the graph's attributes. From that mark the training-memory model
(``archscope.memory.predict``) counts a stack's output and nothing inside it, and the
torch module (``archscope.torch_module``) runs the stack as one reversible autograd
function. Networks without marks train with ordinary backprop.

Torch-free, so that costs and families can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.dims import exact_div, is_symbolic
from archscope.graph import Network
from archscope.ops import Add, Concat, Dropout, Input, Slice

#: key of the marks in ``network.graph.graph``
GRAPH_KEY = "reversible_couplings"


@dataclass(frozen=True)
class Coupling:
    """The roles of a coupling's nodes: ``input`` is X's node; ``x1``, ``x2`` the channel
    slices; ``f1_output`` F1's last node (F1 reads ``x2`` only); ``y1`` the add
    X1 + F1(X2); ``f2_output`` F2's last node (F2 reads ``y1`` only), ``None`` for the
    identity; ``y2`` the add X2 + F2(Y1); ``output`` the concat [Y1, Y2]."""

    input: str
    x1: str
    x2: str
    f1_output: str
    y1: str
    y2: str
    output: str
    f2_output: str | None = None


@dataclass(frozen=True)
class Stack:
    """Couplings applied one after the other; only the last output leaves the stack."""

    couplings: tuple[Coupling, ...]

    @property
    def input(self) -> str:
        return self.couplings[0].input

    @property
    def output(self) -> str:
        return self.couplings[-1].output


def branch_nodes(network: Network, start: str, end: str | None) -> tuple[str, ...]:
    """The nodes computing ``end`` from ``start`` alone, in graph order (``()`` for the
    identity, ``end`` None); ``ValueError`` if ``end`` reads anything else."""
    if end is None:
        return ()
    found: set[str] = set()
    todo = [end]
    while todo:
        node = todo.pop()
        if node in found:
            continue
        if isinstance(network.op(node), Input):
            raise ValueError(f"{end} reads {node}, not only {start}: not a branch of a coupling")
        found.add(node)
        todo.extend(src for src in network.sources(node) if src != start)
    return tuple(node for node in network.nodes() if node in found)


def coupling_nodes(network: Network, coupling: Coupling) -> tuple[str, ...]:
    """Every node of the coupling (its input excluded), in graph order."""
    c = coupling
    inner = {c.x1, c.x2, c.y1, c.y2, c.output}
    inner.update(branch_nodes(network, c.x2, c.f1_output), branch_nodes(network, c.y1, c.f2_output))
    return tuple(node for node in network.nodes() if node in inner)


def _expect(ok: bool, coupling: Coupling, what: str) -> None:
    if not ok:
        raise ValueError(f"reversible coupling {coupling.output}: {what}")


def check_coupling(network: Network, coupling: Coupling) -> None:
    """Raise ``ValueError`` unless the graph computes exactly the coupling's equations
    (what the reversible torch function computes in its place)."""
    c = coupling
    channels = network.shape(c.input).c
    _expect(is_symbolic(channels) or int(channels) % 2 == 0, c, f"{channels} input channels do not halve")
    half = exact_div(channels, 2, what="coupling channels")
    for node, (start, stop) in ((c.x1, (0, half)), (c.x2, (half, channels))):
        op = network.op(node)
        _expect(isinstance(op, Slice) and (op.start, op.stop) == (start, stop) and network.sources(node) == [c.input],
                c, f"{node} is not channels {start}:{stop} of {c.input}")
    f2_last = c.f2_output if c.f2_output is not None else c.y1
    for node, operands in ((c.y1, {c.x1, c.f1_output}), (c.y2, {c.x2, f2_last})):
        sources = network.sources(node)
        _expect(isinstance(network.op(node), Add) and len(sources) == 2 and set(sources) == operands,
                c, f"{node} is not the sum of {' and '.join(sorted(operands))}")
    _expect(isinstance(network.op(c.output), Concat) and network.sources(c.output) == [c.y1, c.y2],
            c, f"{c.output} is not the concatenation of {c.y1} and {c.y2}")
    f1 = branch_nodes(network, c.x2, c.f1_output)
    branch_nodes(network, c.y1, c.f2_output)  # raises unless F2 is a branch from Y1
    _expect(bool(f1), c, "F1 has no ops")
    _expect(network.shape(c.f1_output) == network.shape(c.x1), c, "F1 changes the shape of X2")
    _expect(network.shape(f2_last) == network.shape(c.x2), c, "F2 changes the shape of Y1")
    inside = set(coupling_nodes(network, c))
    for node in inside:
        op = network.op(node)
        _expect(op.output_count() == 1, c, f"{node} has several outputs")
        # recomputation must give the forward's values: no random ops
        _expect(not (isinstance(op, Dropout) and op.p > 0), c, f"{node} is a dropout, which cannot be recomputed")
        if node != c.output:
            readers = set(network.graph.successors(node))
            outside = ", ".join(sorted(readers - inside))
            _expect(not outside, c, f"{node} is read outside the coupling ({outside})")


def mark_reversible(network: Network, couplings: Sequence[Coupling]) -> Network:
    """Record ``couplings`` (checked) in ``network``'s graph; returns ``network``."""
    for coupling in couplings:
        check_coupling(network, coupling)
    network.graph.graph[GRAPH_KEY] = tuple(couplings)
    return network


def reversible_couplings(network: Network) -> tuple[Coupling, ...]:
    """The couplings marked in ``network`` (none for an ordinary network)."""
    return tuple(network.graph.graph.get(GRAPH_KEY, ()))


def reversible_stacks(network: Network) -> tuple[Stack, ...]:
    """The marked couplings grouped into stacks: a coupling joins the previous one's
    stack when it reads that coupling's output and nothing else does."""
    stacks: list[list[Coupling]] = []
    for coupling in reversible_couplings(network):
        if stacks:
            last = stacks[-1][-1]
            readers = set(network.graph.successors(last.output))
            if (coupling.input == last.output and readers == {coupling.x1, coupling.x2}
                    and last.output not in network.outputs):
                stacks[-1].append(coupling)
                continue
        stacks.append([coupling])
    return tuple(Stack(tuple(s)) for s in stacks)


def stack_nodes(network: Network, stack: Stack) -> tuple[str, ...]:
    """Every node of the stack's couplings (its input excluded), in graph order."""
    return tuple(node for c in stack.couplings for node in coupling_nodes(network, c))
