"""Closed-form costs, derived by building a network with sympy symbols for its
hyper-parameters and summing the ops' own formulas over the graph.

Input sizes: torch's sliding-window size ``(H + 2p - d(k-1) - 1) // s + 1`` has a floor
that sympy cannot drop for a bare symbol H. The network is therefore built on an input
of ``SIZE_SCALE·h`` × ``SIZE_SCALE·w`` with integer h, w: every floor then resolves, and
``h = H / SIZE_SCALE`` is substituted at the end. The formulas are exact whenever H and
W are multiples of the network's total stride (32 for NDNet), the usual condition for
segmentation inputs.
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from archscope.costs import analyze
from archscope.families.base import Family, Resolution

SIZE_SCALE = 2**10
H, W = sympy.symbols("H W", integer=True, positive=True)
_h, _w = sympy.symbols("h_ w_", integer=True, positive=True)

#: cost fields given as whole-network closed forms
FORMULA_FIELDS = ("params", "norm_params", "macs", "vector_ops", "read_bytes", "write_bytes")


def symbolic_config(family: Family, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with its numeric hyper-parameters replaced by the family's symbols."""
    symbolic = {**config, **family.symbols(config)}
    if "resolution" in config:
        symbolic["resolution"] = Resolution(SIZE_SCALE * _h, SIZE_SCALE * _w)
    return symbolic


def network_formulas(family: Family, config: Mapping[str, Any], *, elem_bytes: int = 4) -> dict[str, sympy.Expr]:
    """Whole-network closed forms (params, MACs, traffic, layers...) in the family's
    symbols and the input size H × W."""
    network = family.build(**symbolic_config(family, config))
    total = analyze(network, elem_bytes=elem_bytes).total
    sizes = {_h: H / SIZE_SCALE, _w: W / SIZE_SCALE}
    values = {name: getattr(total.cost, name) for name in FORMULA_FIELDS}
    values["layers"] = total.layers
    return {name: sympy.expand(sympy.sympify(value).subs(sizes)) for name, value in values.items()}


def all_formulas(family: Family, config: Mapping[str, Any], *, elem_bytes: int = 4) -> dict[str, sympy.Expr]:
    """The family's own closed forms (e.g. NDNet's per-block ones) and the whole network's."""
    formulas = dict(family.formulas(**config)) if family.formulas else {}
    formulas.update(network_formulas(family, config, elem_bytes=elem_bytes))
    return formulas


def substitute(formula: sympy.Expr, family: Family, config: Mapping[str, Any]) -> sympy.Expr:
    """Evaluate a whole-network formula at a concrete configuration."""
    symbols = family.symbols(config)
    values: dict[sympy.Symbol, Any] = {}
    for name, symbol in symbols.items():
        if name not in config:
            continue
        if isinstance(symbol, tuple):
            values.update(zip(symbol, config[name]))
        else:  # a float (ICNet's kernel keep rate) as the exact decimal it was written as
            value = config[name]
            values[symbol] = sympy.Rational(str(value)) if isinstance(value, float) else value
    if "resolution" in config:
        values[H], values[W] = config["resolution"]
    return formula.subs(values)
