"""Reversible stacks in torch: one autograd function per stack of couplings that keeps only
the stack's output and recomputes every input in backward (REFERENCE.md §2; the couplings
come from the graph, see ``archscope.autograd.couplings``).

Forward (no autograd graph inside the stack): for each coupling
``Y1 = X1 + F1(X2)``, ``Y2 = X2 + F2(Y1)``, ``Y = [Y1, Y2]``, with the very layers the
plain graph module runs; only the last ``Y`` is saved.

Backward, from the last coupling to the first, given ``Y`` and dL/dY = [G1, G2]:

1. with grad enabled, ``F2(Y1)`` from a detached ``Y1``; ``X2 = Y2 - F2(Y1)``;
   ``G1 += (dF2/dY1)ᵀ G2`` and F2's parameter gradients (one ``autograd.grad`` call);
2. with grad enabled, ``F1(X2)`` from a detached ``X2``; ``X1 = Y1 - F1(X2)``;
   ``dL/dX2 = G2 + (dF1/dX2)ᵀ G1``, ``dL/dX1 = G1`` and F1's parameter gradients;
3. ``X = [X1, X2]`` is the previous coupling's ``Y``.

Each F runs once more in backward and serves both the inverse and the gradient. The
parameters are inputs of the function, so their gradients reach autograd's usual
accumulation (and DDP's hooks); gradients equal the plain block's (tested with
``torch.autograd.gradcheck`` in float64).

Batch norm. In training mode F's BN normalises with the batch statistics of its input and
updates the running statistics. The recomputation runs every BN in the mode of the
forward: in training mode with batch statistics but *without* touching the running
statistics (``track_running_stats`` is switched off for the call), so they are updated
once per step as in the plain block. The recomputed X2 equals the forward's up to float
rounding, hence so do its batch statistics and F1(X2): the inverse is exact to rounding
(about 1e-7 relative in fp32 per coupling). In eval mode BN uses the running statistics,
which do not change between forward and backward. Under autocast the recomputation runs
with the forward's autocast state. F must be deterministic: ``check_coupling`` refuses
dropout inside a coupling.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch
from torch import nn

from archscope.graph import Network
from archscope.autograd.couplings import Coupling, Stack, branch_nodes

#: (node, (block, key) of its layer, source nodes)
BranchStep = tuple[str, tuple[str, str], tuple[str, ...]]
LayerKey = tuple[str, str]

@contextmanager
def _recompute(modules: Sequence[nn.Module]) -> Iterator[None]:
    """Grad enabled; BN layers in training mode use batch statistics without updating
    their running statistics."""
    frozen = [
        m for m in modules
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and m.track_running_stats
    ]
    for module in frozen:
        module.track_running_stats = False
    try:
        with torch.enable_grad():
            yield
    finally:
        for module in frozen:
            module.track_running_stats = True


@dataclass(frozen=True)
class Branch:
    """F1 or F2 of a coupling as steps over the graph module's layers (no steps: the
    identity)."""

    start: str
    steps: tuple[BranchStep, ...]

    def __call__(self, x: torch.Tensor, layers: nn.ModuleDict) -> torch.Tensor:
        if not self.steps:
            return x
        values = {self.start: x}
        for node, (block, key), sources in self.steps:
            values[node] = layers[block][key](*(values[s] for s in sources))
        return values[self.steps[-1][0]]

    def modules(self, layers: nn.ModuleDict) -> list[nn.Module]:
        found = {key: layers[key[0]][key[1]] for _, key, _ in self.steps}
        return list(found.values())

    def parameters(self, layers: nn.ModuleDict) -> list[nn.Parameter]:
        unique = {id(p): p for m in self.modules(layers) for p in m.parameters() if p.requires_grad}
        return list(unique.values())


@dataclass(frozen=True)
class CouplingSteps:
    """One coupling: the channel split and its two branches."""

    half: int
    f1: Branch
    f2: Branch

    def forward(self, x: torch.Tensor, layers: nn.ModuleDict) -> torch.Tensor:
        x1, x2 = x[:, : self.half], x[:, self.half :]
        y1 = x1 + self.f1(x2, layers)
        y2 = x2 + self.f2(y1, layers)
        return torch.cat((y1, y2), dim=1)

    def backward(
        self, y: torch.Tensor, grad: torch.Tensor, layers: nn.ModuleDict, param_grads: dict[int, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The coupling's input and dL/dinput from its output and dL/doutput; parameter
        gradients are added to ``param_grads`` (by ``id``)."""
        y1, y2 = y[:, : self.half], y[:, self.half :]
        g1, g2 = grad[:, : self.half], grad[:, self.half :]
        with _recompute(self.f1.modules(layers) + self.f2.modules(layers)):
            if self.f2.steps:
                y1_ = y1.detach().requires_grad_()
                f2 = self.f2(y1_, layers)
                x2 = (y2 - f2).detach()
                g1 = g1 + _grads(f2, y1_, g2, self.f2.parameters(layers), param_grads)
                del f2
            else:
                x2 = y2 - y1
                g1 = g1 + g2
            x2_ = x2.requires_grad_()
            f1 = self.f1(x2_, layers)
            x1 = (y1 - f1).detach()
            gx2 = g2 + _grads(f1, x2_, g1, self.f1.parameters(layers), param_grads)
            del f1
        return torch.cat((x1, x2.detach()), dim=1), torch.cat((g1, gx2), dim=1)


def _grads(
    output: torch.Tensor,
    x: torch.Tensor,
    grad: torch.Tensor,
    params: list[nn.Parameter],
    param_grads: dict[int, torch.Tensor],
) -> torch.Tensor:
    """(d output / d x)ᵀ grad; the parameters' share is added to ``param_grads``."""
    found = torch.autograd.grad(output, [x, *params], grad, allow_unused=True)
    for p, g in zip(params, found[1:]):
        if g is not None:
            param_grads[id(p)] = g if id(p) not in param_grads else param_grads[id(p)] + g
    return found[0] if found[0] is not None else torch.zeros_like(x)


class _ReversibleStackFunction(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, stack: ReversibleStack, layers: nn.ModuleDict, *params: torch.Tensor
    ) -> torch.Tensor:
        ctx.stack, ctx.layers, ctx.params = stack, layers, params
        device = x.device.type
        ctx.autocast = (device, torch.is_autocast_enabled(device), torch.get_autocast_dtype(device))
        for coupling in stack.couplings:
            x = coupling.forward(x, layers)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (y,) = ctx.saved_tensors
        device, enabled, dtype = ctx.autocast
        y = y.detach()
        param_grads: dict[int, torch.Tensor] = {}
        with torch.autocast(device, dtype=dtype, enabled=enabled):
            for coupling in reversed(ctx.stack.couplings):
                y, grad = coupling.backward(y, grad, ctx.layers, param_grads)
        return (grad, None, None, *(param_grads.get(id(p)) for p in ctx.params))


@dataclass(frozen=True)
class ReversibleStack:
    """A stack of couplings run reversibly over a graph module's layers (held by the
    graph module: the stack only names them, so parameters and state dicts are the
    plain module's)."""

    input: str
    output: str
    couplings: tuple[CouplingSteps, ...]

    def parameters(self, layers: nn.ModuleDict) -> list[nn.Parameter]:
        unique = {
            id(p): p
            for c in self.couplings
            for branch in (c.f1, c.f2)
            for p in branch.parameters(layers)
        }
        return list(unique.values())

    def __call__(self, x: torch.Tensor, layers: nn.ModuleDict) -> torch.Tensor:
        return _ReversibleStackFunction.apply(x, self, layers, *self.parameters(layers))


def _branch(network: Network, start: str, end: str | None, layer_of: dict[str, LayerKey]) -> Branch:
    nodes = branch_nodes(network, start, end)
    return Branch(start, tuple((node, layer_of[node], tuple(network.sources(node))) for node in nodes))


def build_stack(network: Network, stack: Stack, layer_of: dict[str, LayerKey]) -> ReversibleStack:
    """The torch stack of a graph's ``stack``; ``layer_of`` maps a node to the (block,
    key) of the graph module's layer it runs."""

    def steps(c: Coupling) -> CouplingSteps:
        half = int(network.shape(c.x1).c)
        f1 = _branch(network, c.x2, c.f1_output, layer_of)
        return CouplingSteps(half, f1, _branch(network, c.y1, c.f2_output, layer_of))

    return ReversibleStack(stack.input, stack.output, tuple(steps(c) for c in stack.couplings))


def reversible_active() -> bool:
    """Whether graph modules run their stacks reversibly now: only when autograd records
    (inference, torch.jit and torch.fx tracing run the plain ops, which compute the same)."""
    from torch.fx import _symbolic_trace  # its is_fx_tracing() warns on every call

    fx_tracing = bool(getattr(_symbolic_trace, "_is_fx_tracing_flag", False))
    return torch.is_grad_enabled() and not torch.jit.is_tracing() and not fx_tracing
