"""Running a module once to learn every tensor's shape, computing no more than needed.

Engines, tried in order until one runs the forward pass:

- ``meta``: parameters, buffers and input on the meta device (shapes without data: no
  memory, no arithmetic; the fastest);
- ``fake``: torch's ``FakeTensorMode`` (also fakes the tensors ``forward`` creates itself,
  ``torch.zeros(n, c, h, w)``, which meta tensors cannot mix with);
- ``real``: a real input drawn from a seeded generator, for a forward pass that looks at
  values (``if x.mean() > 0:``): it computes everything, as the user's model does.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

ENGINES = ("meta", "fake", "real")
SEED = 0


class _Body(nn.Module):
    """Runs ``body`` with ``root``'s parameters as ``torch.func.functional_call`` sets them."""

    def __init__(self, root: nn.Module, body: Callable[[torch.Tensor], Any]) -> None:
        super().__init__()
        self.root = root
        self._body = body

    def forward(self, x: torch.Tensor) -> Any:
        return self._body(x)


def _meta(root: nn.Module, shape: tuple[int, ...], body: Callable[[torch.Tensor], Any]) -> Any:
    tensors = {**dict(root.named_parameters(remove_duplicate=False)), **dict(root.named_buffers(remove_duplicate=False))}
    state = {f"root.{name}": tensor.to("meta") for name, tensor in tensors.items()}
    x = torch.empty(shape, device="meta")
    return torch.func.functional_call(_Body(root, body), state, (x,))


def _fake(root: nn.Module, shape: tuple[int, ...], body: Callable[[torch.Tensor], Any]) -> Any:
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode(allow_non_fake_inputs=True):
        return body(torch.empty(shape))


def _real(root: nn.Module, shape: tuple[int, ...], body: Callable[[torch.Tensor], Any]) -> Any:
    generator = torch.Generator().manual_seed(SEED)
    return body(torch.randn(shape, generator=generator))


_RUN = {"meta": _meta, "fake": _fake, "real": _real}


def run(root: nn.Module, shape: tuple[int, ...], body: Callable[[torch.Tensor], Any],
        *, engines: tuple[str, ...] = ENGINES) -> str:
    """Call ``body(x)`` (which runs ``root``) with ``x`` of ``shape`` under each engine
    until one succeeds; its name. ``body`` must start afresh on every call. The last
    engine's exception is raised when none succeeds."""
    for index, engine in enumerate(engines):
        try:
            with torch.no_grad():
                _RUN[engine](root, shape, body)
            return engine
        except Exception:
            if index == len(engines) - 1:
                raise
    raise AssertionError("unreachable")
