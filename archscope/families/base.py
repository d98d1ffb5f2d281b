"""Network families: registered, typed functions of hyper-parameters that build a graph.

A family's build function takes keyword-only hyper-parameters annotated with their type
and a ``Help`` text (``Annotated[int, Help("...")]``); the CLI options of
``archscope cost FAMILY`` are generated from that signature, so there is one description
of each hyper-parameter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple

import sympy

from archscope.graph import Network


class Resolution(NamedTuple):
    """Input height and width in pixels."""

    height: Any
    width: Any

    def __str__(self) -> str:
        return f"{self.height}x{self.width}"


@dataclass(frozen=True)
class Help:
    """Documentation and bounds of a hyper-parameter (used by the CLI and validation)."""

    text: str
    minimum: int | float | None = 1


@dataclass(frozen=True)
class Family:
    """A registered network family.

    build:     keyword-only function of the hyper-parameters returning a ``Network``.
    symbols:   given the concrete hyper-parameters, the sympy values to substitute for
               the numeric ones when deriving the whole network's closed forms.
    formulas:  extra closed forms of the family (e.g. NDNet's per-block formulas), as a
               function of the concrete hyper-parameters.
    presets:   named configurations from the papers, e.g. ``ndnet29``.
    sample:    draws a random configuration (a dict of hyper-parameters) from a
               ``random.Random``: used to draw diverse candidates for validations.
    """

    name: str
    summary: str
    build: Callable[..., Network]
    symbols: Callable[..., dict[str, Any]]
    formulas: Callable[..., dict[str, sympy.Expr]] | None = None
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sample: Callable[[random.Random], dict[str, Any]] | None = None


FAMILIES: dict[str, Family] = {}


def register_family(family: Family) -> Family:
    """Add a family to the registry; a name can be registered once."""
    if family.name in FAMILIES:
        raise ValueError(f"family {family.name!r} is already registered")
    FAMILIES[family.name] = family
    return family


def get_family(name: str) -> Family:
    """The family called ``name``; ``KeyError`` with the known names otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown family {name!r} (known: {', '.join(sorted(FAMILIES))})") from None
