"""Rules of a search space: one comparison over parameter names and metrics.

A rule is a string such as ``"d2 >= 2 * max(d1, d3)"`` or ``"params <= 1e6"``: one
comparison (``<=``, ``>=`` or ``==``) between two arithmetic expressions of
numbers, names, ``+ - * / // %``, unary minus and ``min``, ``max``, ``abs``. It is parsed
once with :mod:`ast` (never ``eval``) and evaluates on scalars or on numpy arrays, so the
same rule filters one Optuna trial and a whole exhaustive grid.

>>> rule = Rule.parse("d2 >= 2 * max(d1, d3)")
>>> rule.names
('d1', 'd2', 'd3')
>>> rule.violation({"d1": 3, "d2": 8, "d3": 3})   # <= 0: satisfied
-2
>>> rule.violation({"d1": 1, "d2": 1, "d3": 13})
25
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": lambda *xs: _fold(np.minimum, min, xs),
    "max": lambda *xs: _fold(np.maximum, max, xs),
    "abs": lambda x: np.abs(x) if isinstance(x, np.ndarray) else abs(x),
}
_COMPARISONS = (ast.LtE, ast.GtE, ast.Eq)  # no strict ones: feasibility is violation <= 0


class RuleError(ValueError):
    """A rule that does not parse or names something unknown."""


def _fold(function: Callable[[Any, Any], Any], scalar: Callable[..., Any], values: tuple[Any, ...]) -> Any:
    """Element-wise over arrays, the builtin over scalars."""
    if not values:
        raise RuleError("min() and max() need at least one argument")
    if not any(isinstance(v, np.ndarray) for v in values):
        return scalar(values)
    result = values[0]
    for value in values[1:]:
        result = function(result, value)
    return result


def _check(node: ast.AST, text: str) -> None:
    """Only numbers, names, arithmetic and min/max/abs calls."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return
    if isinstance(node, ast.Name):
        if node.id in _FUNCTIONS:
            raise RuleError(f"rule {text!r}: {node.id} is a function, call it as {node.id}(...)")
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text)
        _check(node.right, text)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        for arg in node.args:
            _check(arg, text)
        return
    raise RuleError(f"rule {text!r}: {ast.unparse(node)!r} is not allowed (numbers, names, + - * / // %, min, max, abs)")


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id not in _FUNCTIONS}


def _evaluate(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values), _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        return _FUNCTIONS[node.func.id](*(_evaluate(arg, values) for arg in node.args))  # type: ignore[attr-defined]
    raise AssertionError(f"unchecked node {ast.dump(node)}")


@dataclass(frozen=True)
class Rule:
    """``left <op> right``; ``violation`` is how far a point is from satisfying it."""

    text: str
    left: ast.expr = field(compare=False)
    op: type = field(compare=False)
    right: ast.expr = field(compare=False)

    @classmethod
    def parse(cls, text: str) -> Rule:
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as error:
            raise RuleError(f"rule {text!r} does not parse: {error.msg}") from None
        if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 or type(tree.ops[0]) not in _COMPARISONS:
            raise RuleError(f"rule {text!r} must be one comparison: A <= B, A >= B or A == B")
        left, right = tree.left, tree.comparators[0]
        _check(left, text)
        _check(right, text)
        return cls(text=text.strip(), left=left, op=type(tree.ops[0]), right=right)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(_names(self.left) | _names(self.right)))

    def violation(self, values: Mapping[str, Any]) -> Any:
        """``<= 0`` where the rule holds (Optuna's constraint convention); scalars or arrays.

        ``A <= B``: A - B; ``A >= B``: B - A; ``A == B``: |A - B|.
        """
        left, right = _evaluate(self.left, values), _evaluate(self.right, values)
        if self.op is ast.LtE:
            return left - right
        if self.op is ast.GtE:
            return right - left
        return abs(left - right)

    def holds(self, values: Mapping[str, Any]) -> Any:
        """Where the rule holds: a bool, or a bool array."""
        left, right = _evaluate(self.left, values), _evaluate(self.right, values)
        compare = {ast.LtE: operator.le, ast.GtE: operator.ge, ast.Eq: operator.eq}
        return compare[self.op](left, right)
