"""Network families: registered, typed functions of hyper-parameters that build a graph.

A family's build function takes keyword-only hyper-parameters annotated with their type
and a ``Help`` (``Annotated[int, Help("...", symbol="e")]``); ``Family.hyper`` reads
them once (``archscope.families.hyper``) and everything else (CLI options, search
spaces, training configurations, closed forms, run tables) uses that description.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping

from archscope.families.hyper import Help, HyperError, HyperParam, Resolution, describe, hyper_params
from archscope.graph import Network

if TYPE_CHECKING:
    import sympy

__all__ = ["BlockLinear", "DEFAULT_FAMILY", "FAMILIES", "Family", "Help", "HyperError", "HyperParam", "Preset", "Resolution",
           "get_family", "register_family"]


@dataclass(frozen=True)
class Preset:
    """A configuration from a paper: the hyper-parameters it sets (the others keep the
    family's defaults) and the figures the paper publishes for it (``params``, ``fps``,
    ``miou``, ``ms``, ...)."""

    hyper: Mapping[str, Any] = field(default_factory=dict)
    paper: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BlockLinear:
    """How a family's cost splits into depth-repeated blocks (for fast enumeration:
    ``archscope.search.vectorized``). A block's cost is that of its first layer (with its
    transition) plus (d - 1) times one repeated layer.

    block_names: block names in the order of the ``depths`` entries, given their number
    block_key:   (configuration, block index) -> what that block's costs depend on,
                 besides its depth and the space's fixed hyper-parameters
    rest_key:    configuration -> what the other blocks (stem, head) depend on
    handles:     hyper-parameters the keys account for; a space that searches any other
                 adds its value to every key
    """

    block_names: Callable[[int], list[str]]
    block_key: Callable[[Mapping[str, Any], int], Hashable]
    rest_key: Callable[[Mapping[str, Any]], Hashable]
    handles: frozenset[str]
    depths: str = "depths"


@dataclass(frozen=True)
class Family:
    """A registered network family.

    build:         keyword-only function of the hyper-parameters returning a ``Network``.
    formulas:      extra closed forms of the family (e.g. NDNet's per-block formulas), as
                   a function of the concrete hyper-parameters.
    presets:       named configurations from the papers, e.g. ``ndnet29``.
    sample:        draws a random configuration (a dict of hyper-parameters) from a
                   ``random.Random``: diverse candidates for latency validation. A function,
                   not ranges, because the draws are joint (NDNet's widths double).
    decomposition: the block-linear split of its cost, if it has one.
    """

    name: str
    summary: str
    build: Callable[..., Network]
    formulas: Callable[..., dict[str, sympy.Expr]] | None = None
    presets: Mapping[str, Preset] = field(default_factory=dict)
    sample: Callable[[random.Random], dict[str, Any]] | None = None
    decomposition: BlockLinear | None = None

    @cached_property
    def hyper(self) -> dict[str, HyperParam]:
        """Every hyper-parameter, in the build signature's order."""
        return hyper_params(self.build)

    def param(self, name: str) -> HyperParam:
        """The hyper-parameter ``name``; ``HyperError`` naming the known ones otherwise."""
        try:
            return self.hyper[name]
        except KeyError:
            raise HyperError(f"{self.name} has no hyper-parameter {name!r} (it takes {', '.join(self.hyper)})") from None

    def resolve(self, **hyper: Any) -> dict[str, Any]:
        """The full configuration: ``hyper`` over the defaults (unknown names: ``HyperError``)."""
        for name in hyper:
            self.param(name)
        return {name: hyper.get(name, p.default) for name, p in self.hyper.items()}

    def network(self, **hyper: Any) -> Network:
        """The network of ``hyper`` (the others at their defaults)."""
        return self.build(**hyper)

    def typed(self, plain: Mapping[str, Any]) -> dict[str, Any]:
        """Plain data (``{"widths": [16, 32], "head": "fcn32"}``) as build arguments."""
        return {name: self.param(name).from_plain(value) for name, value in plain.items()}

    def plain(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Build arguments as plain data (the inverse of ``typed``)."""
        return {name: self.param(name).plain(value) for name, value in config.items()}

    def symbols(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The sympy values to put in place of the numeric hyper-parameters of ``config``
        when deriving closed forms (those with a ``Help(symbol=...)``)."""
        result = {}
        for name, param in self.hyper.items():
            symbols = param.symbols(config.get(name, param.default))
            if symbols is not None:
                result[name] = symbols
        return result

    def describe(self, config: Mapping[str, Any]) -> str:
        """``ndnet  widths=16,32,64 depths=4,12,6 ...``"""
        return describe(self.name, config)


FAMILIES: dict[str, Family] = {}
#: the family archscope is built around (REFERENCE.md §1), where one is not named
DEFAULT_FAMILY = "ndnet"


def register_family(family: Family) -> Family:
    """Add a family to the registry; a name can be registered once, and its presets may
    set only its hyper-parameters."""
    if family.name in FAMILIES:
        raise ValueError(f"family {family.name!r} is already registered")
    for name, preset in family.presets.items():
        unknown = sorted(set(preset.hyper) - set(family.hyper))
        if unknown:
            raise ValueError(f"{family.name} preset {name}: no hyper-parameter {', '.join(unknown)}")
    FAMILIES[family.name] = family
    return family


def get_family(name: str) -> Family:
    """The family called ``name``; ``KeyError`` with the known names otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown family {name!r} (known: {', '.join(sorted(FAMILIES))})") from None
