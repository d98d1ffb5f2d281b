"""Validation of hyper-parameter values, with messages that name the bad value."""

from __future__ import annotations

from typing import Any

from archscope.dims import is_symbolic


def check_hyper(name: str, value: Any, *, minimum: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` (an int or a tuple of ints) is >= minimum.

    Symbolic values pass: they stand for any admissible value.
    """
    values = value if isinstance(value, (tuple, list)) else (value,)
    if not values:
        raise ValueError(f"{name} must not be empty")
    for item in values:
        if is_symbolic(item):
            continue
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            shown = ",".join(map(str, values)) if len(values) > 1 else str(item)
            raise ValueError(f"{name} must be integers >= {minimum}, got {shown}")
