"""Dimensions that are either plain ints or sympy expressions.

Every cost formula in archscope is written once, with plain arithmetic, and evaluated on
``Dim`` values: ints give exact counts, sympy symbols give closed-form formulas. The few
operations that need care (exact division, products) live here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, TypeAlias, Union

if TYPE_CHECKING:
    import sympy

#: sympy is imported only by what builds symbols (closed forms): concrete costs need none
Dim: TypeAlias = Union[int, "sympy.Expr"]


def _is_sympy(value: object) -> bool:
    return type(value).__module__.startswith("sympy")


class ShapeError(ValueError):
    """A network description that cannot be built (bad channels, too small an input...)."""


def is_symbolic(*values: object) -> bool:
    """True if any value is a sympy expression that is not a plain number."""
    return any(_is_sympy(v) and not v.is_number for v in values)  # type: ignore[attr-defined]


def prod(values: Iterable[Dim]) -> Dim:
    """Product of dims; ``1`` for an empty iterable."""
    result: Dim = 1
    for value in values:
        result = result * value
    return result


def exact_div(numerator: Dim, denominator: Dim, *, what: str = "value") -> Dim:
    """``numerator / denominator``, which must divide exactly for ints.

    With symbols the quotient is the rational expression: channel counts are assumed to
    be divisible by group counts, the condition torch itself imposes on concrete models.
    """
    if is_symbolic(numerator, denominator):
        import sympy

        return sympy.simplify(numerator / denominator)
    numerator, denominator = int(numerator), int(denominator)
    if denominator <= 0 or numerator % denominator:
        raise ShapeError(f"{what}: {numerator} is not divisible by {denominator}")
    return numerator // denominator


def as_int(value: Dim) -> int:
    """A concrete dim as an ``int`` (raises on a symbolic one)."""
    if is_symbolic(value):
        raise TypeError(f"expected a concrete number, got the expression {value}")
    return int(value)
