"""Turning bad input into one-line usage errors (exit code 2), never tracebacks."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import typer

from archscope.dims import ShapeError


@contextmanager
def domain_errors(hint: str | None = None) -> Iterator[None]:
    """Re-raise the errors a bad configuration causes as usage errors."""
    try:
        yield
    except (ShapeError, ValueError, KeyError, TypeError) as error:
        message = error.args[0] if error.args else str(error)
        raise typer.BadParameter(str(message), param_hint=hint) from None
