"""CLI options generated from a family's hyper-parameters (``Family.hyper``).

Each ``HyperParam`` becomes a typer option: ints and floats get their lower bound, enums
become choices, tuples of ints are comma-separated lists (``--widths 16,32,64``),
resolutions are ``HxW`` and bools are ``--flag/--no-flag``. The option's text is read by
``HyperParam.parse``, whose one-line errors name the option.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from typing import Annotated, Any, Callable, Iterator

import typer

from archscope.families.base import Family, HyperError, HyperParam
from archscope.families.hyper import Resolution, parse_bool, parse_number, parse_resolution

__all__ = ["common_option", "convert_hyper", "family_command", "family_options", "hyper_option", "parse_bool",
           "parse_number", "parse_resolution", "parsed"]


@contextmanager
def naming(option: str) -> Iterator[None]:
    """A ``HyperError`` (or ``BadParameter``) raised inside becomes a usage error of ``option``."""
    try:
        yield
    except HyperError as error:
        raise typer.BadParameter(str(error), param_hint=f"'{option}'") from None
    except typer.BadParameter as error:
        error.param_hint = f"'{option}'"
        raise


def parsed(option: str, convert: Callable[[Any], Any], value: Any) -> Any:
    """``convert(value)``; an error it raises names ``option`` (``--elem-bytes``)."""
    with naming(option):
        return convert(value)


def hyper_option(param: HyperParam, default: Any) -> tuple[Any, Any]:
    """(annotation, CLI default) of the option of ``param``."""
    flag, text = param.flag, param.help
    if param.type is bool:
        negative = "--no-" + param.name.replace("_", "-")
        return Annotated[bool, typer.Option(f"{flag}/{negative}", help=text)], default
    if param.is_enum:
        return Annotated[param.type, typer.Option(flag, help=text)], default
    if param.type is Resolution:
        metavar = "HxW"
    elif param.is_tuple:
        metavar, text = "N,N,...", f"{text} (comma-separated)"
    else:
        metavar = "INT" if param.type is int else "FLOAT"
    return Annotated[str, typer.Option(flag, help=text, metavar=metavar)], param.text(default)


def family_options(family: Family) -> tuple[list[inspect.Parameter], dict[str, Callable[[Any], Any]]]:
    """Typer parameters for a family's hyper-parameters and the converters that turn the
    parsed CLI values into build arguments (errors name the option)."""
    parameters, converters = [], {}
    for name, param in family.hyper.items():
        annotation, default = hyper_option(param, param.default)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
        converters[name] = param.parse
    return parameters, converters


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
