"""archscope: analytic cost models and architecture search for efficient CNNs."""

from typing import Any

from archscope.api import build, check, cost, formulas, from_module, latency, resolve_config
from archscope.costs import CostReport, analyze
from archscope.graph import GraphBuilder, Network
from archscope.version import version

__version__ = version()

__all__ = [
    "CostReport",
    "GraphBuilder",
    "Network",
    "analyze",
    "build",
    "check",
    "cost",
    "formulas",
    "from_module",
    "latency",
    "resolve_config",
    "to_torch",
]


def __getattr__(name: str) -> Any:
    # torch is imported only when a torch module is asked for: costing needs no torch
    if name == "to_torch":
        from archscope.torch_module import to_torch

        return to_torch
    raise AttributeError(f"module 'archscope' has no attribute {name!r}")
