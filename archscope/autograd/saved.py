"""Bytes autograd keeps for backward, from the graph alone (``CostReport.train_activation_bytes``).

Every op's ``saved()`` tensors, each counted once, with two refinements:

- reversible stacks (``archscope.autograd.couplings``) keep their output and nothing of
  their couplings' inner tensors; a folded (symbolic) stack keeps one output whatever
  its depth;
- a saved channel slice keeps the whole tensor it views alive (torch saves the view,
  whose storage is its base's): it counts as its base, once.
"""

from __future__ import annotations

from archscope.dims import Dim
from archscope.graph import Network
from archscope.autograd.couplings import reversible_stacks, stack_nodes
from archscope.ops import Slice


def saved_activation_bytes(network: Network, *, elem_bytes: int = 4) -> Dim:
    """Bytes of the tensors ``network`` keeps for backward, each counted once."""
    stacks = reversible_stacks(network)
    inside = {node for stack in stacks for node in stack_nodes(network, stack)}
    kept: dict[str, Dim] = {}
    aux: Dim = 0
    for node in network.nodes():
        if node in inside:
            continue
        sources, shape = network.sources(node), network.shape(node)
        for saved in network.op(node).saved(network.input_shapes(node), shape, elem_bytes=elem_bytes):
            if saved.tensor == "aux":
                aux = aux + saved.nbytes * network.multiplicity(node)
                continue
            owner = node if saved.tensor == "output" else sources[saved.index]
            base = _viewed(network, owner)
            nbytes = saved.nbytes if base == owner else network.shape(base).numel * elem_bytes
            kept[base] = nbytes * network.multiplicity(base)
    for stack in stacks:
        kept[stack.output] = network.shape(stack.output).numel * elem_bytes
    return sum(kept.values(), 0) + aux


def _viewed(network: Network, node: str) -> str:
    """The node whose storage ``node``'s tensor is (itself unless it is a channel slice)."""
    while isinstance(network.op(node), Slice):
        node = network.sources(node)[0]
    return node
