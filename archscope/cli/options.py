"""CLI options generated from a family's typed build signature, and value parsers.

Every hyper-parameter of ``family.build`` is ``Annotated[type, Help(...)]``; this module
turns it into a typer option: ints get a lower bound, enums become choices, tuples of ints
are comma-separated lists (``--widths 16,32,64``) and resolutions are ``HxW``.
"""

from __future__ import annotations

import inspect
import re
import typing
from enum import Enum
from typing import Annotated, Any, Callable

import typer

from archscope.families.base import Family, Help, Resolution

_RESOLUTION = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


def parse_int_list(text: str, *, minimum: int = 1) -> tuple[int, ...]:
    """``"16,32,64"`` -> ``(16, 32, 64)``; every entry an integer >= ``minimum``."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of integers (e.g. 16,32,64)")
    values = []
    for item in items:
        try:
            value = int(item)
        except ValueError:
            raise typer.BadParameter(f"{item!r} in {text!r} is not an integer") from None
        if value < minimum:
            raise typer.BadParameter(f"{value} in {text!r} must be >= {minimum}")
        values.append(value)
    return tuple(values)


def parse_number(text: str, kind: type, minimum: int | float | None) -> int | float:
    """An int or float option's value; the message names a bad value."""
    try:
        value = kind(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if minimum is not None and value < minimum:
        raise typer.BadParameter(f"{text} must be >= {minimum}")
    return value


def parse_resolution(text: str) -> Resolution:
    """``"1024x2048"`` -> ``Resolution(1024, 2048)``."""
    match = _RESOLUTION.match(text)
    if not match:
        raise typer.BadParameter(f"{text!r} is not HxW (e.g. 1024x2048)")
    height, width = int(match.group(1)), int(match.group(2))
    if height < 1 or width < 1:
        raise typer.BadParameter(f"{text!r} must have a positive height and width")
    return Resolution(height, width)


def _split(annotation: Any) -> tuple[Any, Help]:
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        helps = [e for e in extras if isinstance(e, Help)]
        if helps:
            return base, helps[0]
    raise TypeError(f"hyper-parameter annotation {annotation!r} lacks a Help(...) entry")


def _show(value: Any) -> str:
    if isinstance(value, tuple) and not isinstance(value, Resolution):
        return ",".join(map(str, value))
    return str(value.value if isinstance(value, Enum) else value)


_BOOL_TEXT = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


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
        raise typer.BadParameter(f"{value!r} is not true or false") from None


def _option(name: str, base: Any, help_: Help, default: Any) -> tuple[Any, Any, Callable[[Any], Any]]:
    """(annotation, CLI default, converter to the build function's value)."""
    flag = "--" + name.replace("_", "-")
    text = help_.text
    if base is Resolution:
        return Annotated[str, typer.Option(flag, help=text, metavar="HxW")], _show(default), parse_resolution
    if typing.get_origin(base) is tuple:
        minimum = int(help_.minimum if help_.minimum is not None else 0)
        option = typer.Option(flag, help=f"{text} (comma-separated)", metavar="N,N,...")
        return Annotated[str, option], _show(default), lambda text: parse_int_list(text, minimum=minimum)
    if isinstance(base, type) and issubclass(base, Enum):
        return Annotated[base, typer.Option(flag, help=text)], default, base
    if base in (int, float):
        option = typer.Option(flag, help=text, metavar="INT" if base is int else "FLOAT")
        return Annotated[str, option], str(default), lambda text: parse_number(text, base, help_.minimum)
    if base is bool:
        return Annotated[bool, typer.Option(f"{flag}/--no-{name.replace('_', '-')}", help=text)], default, parse_bool
    raise TypeError(f"no CLI option type for hyper-parameter {name}: {base!r}")


def family_options(family: Family) -> tuple[list[inspect.Parameter], dict[str, Callable[[Any], Any]]]:
    """Typer parameters for a family's hyper-parameters and the converters that turn
    the parsed CLI values into build arguments (parse errors name the option)."""
    hints = typing.get_type_hints(family.build, include_extras=True)
    parameters, converters = [], {}
    for name, parameter in inspect.signature(family.build).parameters.items():
        base, help_ = _split(hints[name])
        annotation, default, convert = _option(name, base, help_, parameter.default)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
        converters[name] = convert
    return parameters, converters


def parsed(option: str, convert: Callable[[Any], Any], value: Any) -> Any:
    """``convert(value)``; a ``BadParameter`` it raises names ``option`` (``--elem-bytes``)."""
    try:
        return convert(value)
    except typer.BadParameter as error:
        error.param_hint = f"'{option}'"
        raise


def convert_hyper(converters: dict[str, Callable[[Any], Any]], values: dict[str, Any]) -> dict[str, Any]:
    """Apply the converters to the parsed CLI values of a family's hyper-parameters."""
    return {name: parsed("--" + name.replace("_", "-"), convert, values[name]) for name, convert in converters.items()}


def family_command(
    family: Family,
    handler: Callable[..., Any],
    common: list[inspect.Parameter],
) -> Callable[..., Any]:
    """A typer command for ``family``: its hyper-parameters plus ``common`` options.

    ``handler(family, hyper, **common_values)`` receives the converted hyper-parameters.
    """
    parameters, converters = family_options(family)

    def command(**values: Any) -> Any:
        hyper = convert_hyper(converters, {name: values.pop(name) for name in converters})
        return handler(family, hyper, **values)

    command.__signature__ = inspect.Signature([*parameters, *common])  # type: ignore[attr-defined]
    command.__name__ = family.name.replace("-", "_")
    command.__doc__ = family.summary
    return command


def common_option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    """A keyword-only parameter for an option shared by all families."""
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
