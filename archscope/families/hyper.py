"""One description of each hyper-parameter of a family, derived from its build signature.

A family's build function takes keyword-only arguments annotated
``Annotated[type, Help("...")]``. ``hyper_params`` reads each once into a ``HyperParam``
(name, type, help, bounds, default, closed-form symbol), which every layer that meets a
hyper-parameter uses: the CLI options (``parse`` reads option text), search spaces and
training checkpoints (``from_plain``/``plain``: TOML and JSON data), Optuna trials
(``label``), run tables and measurement CSVs (``parse`` again, ``text`` to write) and
closed forms (``symbols``).

The types a hyper-parameter can have, and how each is spelled:

=============  =====================  ==================  ======================
type           text (CLI, CSV)        plain (TOML, JSON)  label (Optuna)
=============  =====================  ==================  ======================
int, float     ``4``, ``0.5``         ``4``, ``0.5``      ``4``, ``0.5``
bool           ``True``, ``false``    ``true``            ``True``
tuple of ints  ``16,32,64``           ``[16, 32, 64]``    ``"16,32,64"``
Resolution     ``512x1024``           ``"512x1024"``      ``"512x1024"``
an Enum        ``fcn32`` (its value)  ``"fcn32"``         ``"fcn32"``
=============  =====================  ==================  ======================
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Callable, Mapping, NamedTuple

_RESOLUTION = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_BOOL_TEXT = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

Label = int | float | bool | str  # what a sampler draws (Optuna's categorical choices)


class HyperError(ValueError):
    """A hyper-parameter value that cannot be read or is out of bounds (one line)."""


class Resolution(NamedTuple):
    """Input height and width in pixels."""

    height: Any
    width: Any

    def __str__(self) -> str:
        return f"{self.height}x{self.width}"


@dataclass(frozen=True)
class Help:
    """What the annotation of a hyper-parameter adds to its type.

    text:    one line of documentation
    minimum: lower bound of an int, a float or every entry of a tuple (``None``: none)
    symbol:  its sympy name in closed forms; a tuple's entries are ``symbol`` + index,
             counted from ``first`` (``n1, n2, n3``); ``None``: it stays a number
    """

    text: str
    minimum: int | float | None = 1
    symbol: str | None = None
    first: int = 1


def parse_resolution(text: str) -> Resolution:
    """``"1024x2048"`` -> ``Resolution(1024, 2048)``.

    >>> parse_resolution("512x1024")
    Resolution(height=512, width=1024)
    """
    match = _RESOLUTION.match(str(text))
    if not match:
        raise HyperError(f"{text!r} is not HxW (e.g. 1024x2048)")
    height, width = int(match.group(1)), int(match.group(2))
    if height < 1 or width < 1:
        raise HyperError(f"{text!r} must have a positive height and width")
    return Resolution(height, width)


def parse_bool(value: bool | str) -> bool:
    """A flag's value, or its text in a file (``True``/``False``, yes/no, 1/0).

    >>> parse_bool("False"), parse_bool(True)
    (False, True)
    """
    if isinstance(value, bool):
        return value
    try:
        return _BOOL_TEXT[str(value).strip().lower()]
    except KeyError:
        raise HyperError(f"{value!r} is not true or false") from None


def parse_number(text: str, kind: type, minimum: int | float | None) -> int | float:
    """An int or float from text; the message names a bad value."""
    try:
        value = kind(str(text).strip())
    except ValueError:
        raise HyperError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if minimum is not None and value < minimum:
        raise HyperError(f"{text} must be >= {minimum}")
    return value


def parse_int_list(text: str, *, minimum: int | None = 1) -> tuple[int, ...]:
    """``"16,32,64"`` (or ``"[16, 32, 64]"``, as a table may write it) -> ``(16, 32, 64)``."""
    items = [item.strip() for item in str(text).strip().strip("[]()").split(",")]
    if not str(text).strip() or any(not item for item in items):
        raise HyperError(f"{text!r} is not a comma-separated list of integers (e.g. 16,32,64)")
    values = []
    for item in items:
        try:
            value = int(item)
        except ValueError:
            raise HyperError(f"{item!r} in {text!r} is not an integer") from None
        if minimum is not None and value < minimum:
            raise HyperError(f"{value} in {text!r} must be >= {minimum}")
        values.append(value)
    return tuple(values)


@dataclass(frozen=True)
class HyperParam:
    """One hyper-parameter of a family: its build argument's name, type and default and
    what its ``Help`` says."""

    name: str
    type: Any
    help: str
    default: Any
    minimum: int | float | None = 1
    symbol: str | None = None
    first: int = 1

    @property
    def flag(self) -> str:
        """The CLI option: ``--head-channels``."""
        return "--" + self.name.replace("_", "-")

    @property
    def is_tuple(self) -> bool:
        return typing.get_origin(self.type) is tuple

    @property
    def is_enum(self) -> bool:
        return isinstance(self.type, type) and issubclass(self.type, Enum)

    @property
    def choices(self) -> tuple[str, ...]:
        """An enum's values (empty for other types)."""
        return tuple(str(m.value) for m in self.type) if self.is_enum else ()

    # ---- reading -------------------------------------------------------------------

    def parse(self, text: Any) -> Any:
        """The value from its text (a CLI option, a CSV cell); ``HyperError`` names it."""
        if self.type is Resolution:
            return parse_resolution(text)
        if self.is_tuple:
            return parse_int_list(text, minimum=self.minimum)
        if self.type is bool:
            return parse_bool(text)
        if self.type in (int, float):
            return parse_number(text, self.type, self.minimum)
        return self._member(text)

    def from_plain(self, value: Any) -> Any:
        """The value from plain data (TOML, JSON), type-checked; ``HyperError`` says why not."""
        if self.type is Resolution:
            if isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_int(v) and v > 0 for v in value):
                return Resolution(*value)
            if isinstance(value, str):
                return parse_resolution(value)
            raise HyperError(f"{value!r} is not HxW (e.g. \"1024x2048\")")
        if self.is_tuple:
            if not isinstance(value, (list, tuple)) or not value or not all(_is_int(v) for v in value):
                raise HyperError(f"{value!r} is not a list of integers")
            self._at_least(value)
            return tuple(value)
        if self.type is bool:
            if not isinstance(value, bool):
                raise HyperError(f"{value!r} is not true or false")
            return value
        if self.type in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (self.type is int and not _is_int(value)):
                raise HyperError(f"{value!r} is not {'an integer' if self.type is int else 'a number'}")
            self._at_least([value])
            return self.type(value)
        return self._member(value)

    def _member(self, value: Any) -> Any:
        if isinstance(value, self.type):
            return value
        try:
            return self.type(value)
        except ValueError:
            raise HyperError(f"{value!r} is not one of {', '.join(self.choices)}") from None

    def _at_least(self, values: Any) -> None:
        if self.minimum is not None and any(v < self.minimum for v in values):
            shown = ",".join(map(str, values))
            raise HyperError(f"{shown} must be >= {self.minimum}" if len(values) == 1 else f"entries of {shown} must be >= {self.minimum}")

    # ---- writing -------------------------------------------------------------------

    def label(self, value: Any) -> Label:
        """The value as a search draws and records it: see the module's table."""
        return label(value)

    def text(self, value: Any) -> str:
        """The value as the CLI and run tables spell it (``parse`` reads it back)."""
        return text(value)

    def plain(self, value: Any) -> Any:
        """The value as plain data (``from_plain`` reads it back)."""
        return plain(value)

    # ---- closed forms --------------------------------------------------------------

    def symbols(self, value: Any) -> Any:
        """Its sympy symbol(s) for a configuration holding ``value`` (a tuple gets one per
        entry); ``None`` when it stays a number."""
        if self.symbol is None:
            return None
        import sympy  # only closed forms need it

        assumptions = {"positive": True} if self.type is float else {"integer": True, "positive": True}
        if self.is_tuple:
            names = [f"{self.symbol}{self.first + i}" for i in range(len(value))]
            return tuple(sympy.Symbol(name, **assumptions) for name in names)
        return sympy.Symbol(self.symbol, **assumptions)


def label(value: Any) -> Label:
    """A hyper-parameter value as a search draws and records it.

    >>> [label(v) for v in ((16, 64, 128), Resolution(512, 1024), True, 0.5)]
    ['16,64,128', '512x1024', True, 0.5]
    """
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Resolution):
        return str(value)
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return value


def text(value: Any) -> str:
    """A hyper-parameter value as the CLI and run tables spell it (``16,32,64``)."""
    return str(label(value))


def plain(value: Any) -> Any:
    """A hyper-parameter value as TOML or JSON holds it (tuples as lists)."""
    if isinstance(value, tuple) and not isinstance(value, Resolution):
        return list(value)
    return label(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def hyper_params(build: Callable[..., Any]) -> dict[str, HyperParam]:
    """name -> ``HyperParam`` of every keyword-only argument of ``build``; each must be
    ``Annotated[type, Help(...)]`` with a default."""
    hints = typing.get_type_hints(build, include_extras=True)
    params = {}
    for name, parameter in inspect.signature(build).parameters.items():
        annotation = hints.get(name)
        if typing.get_origin(annotation) is not Annotated:
            raise TypeError(f"{build.__name__}: hyper-parameter {name} is not Annotated[type, Help(...)]")
        base, *extras = typing.get_args(annotation)
        help_ = next((e for e in extras if isinstance(e, Help)), None)
        if help_ is None or parameter.default is inspect.Parameter.empty:
            raise TypeError(f"{build.__name__}: hyper-parameter {name} needs a Help(...) entry and a default")
        params[name] = HyperParam(name=name, type=base, help=help_.text, default=parameter.default,
                                  minimum=help_.minimum, symbol=help_.symbol, first=help_.first)
    return params


def describe(name: str, config: Mapping[str, Any]) -> str:
    """``ndnet  widths=16,32,64 depths=4,12,6 ...``: a configuration in one line."""
    shown = [f"{key}={text(value)}" for key, value in config.items()]
    return f"{name}  " + " ".join(shown)
