"""The searched hyper-parameters of a space: ``[parameters.NAME]`` tables.

Three kinds, by the type of the family's build argument:

- an **integer** (``expansion``): ``name``, and ``choices`` or ``low``/``high``/``step``
  (optionally ``log = true``); samplers draw it as an ordered integer;
- an **integer tuple** (``widths``): ``names``, one searched integer per entry, each
  with ``choices`` or ``low``/``high``/``step`` (an int or one per entry), optionally
  ``tie``d to the first entry; or ``name`` and ``choices``, a list of whole tuples
  (``choices = [[16, 64, 128], [8, 32, 64]]``), drawn as one categorical;
- anything else (an enum such as ERFNet's ``conv``, a bool, a float, a resolution): a
  **categorical**: ``choices`` in the family's CLI spelling (``["dense", "grouped"]``,
  ``[true, false]``, ``["512x1024"]``); ``name`` defaults to the hyper-parameter's.

A sampler draws *labels*: integers, or for a categorical the CLI spelling of each
choice (``"dense"``, ``"16,64,128"``, ``true``), which Optuna stores as they are;
``Parameter.decode`` turns them into build arguments. Categorical choices keep the
order they are listed in: the space's corners (``SearchSpace.corners``) take the first
and the last, so list them from the cheapest to the costliest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from archscope.families.base import Family, HyperError, HyperParam
from archscope.families.hyper import Label, label, plain
from archscope.search.objectives import METRICS

TIES = {"double": 2, "equal": 1}


class SpaceError(ValueError):
    """A search space that is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Parameter:
    """One searched hyper-parameter of the family.

    hyper:  the build function's argument it sets (``widths``)
    names:  the searched name of each entry (``n1, n2, n3``); one name for a scalar
    values: the admissible values of each entry: integers, or a categorical's labels
    tie:    entries after the first follow it (``double``: ×2 per entry), or ``None``
    typed:  a categorical's build argument for each label (empty otherwise)
    """

    hyper: str
    names: tuple[str, ...]
    values: tuple[tuple[Label, ...], ...]
    scalar: bool
    tie: str | None = None
    log: bool = False  # samplers draw it on a log scale (more mass on small values)
    typed: tuple[Any, ...] = ()
    param: HyperParam | None = None  # the family's description of ``hyper``

    @property
    def categorical(self) -> bool:
        return bool(self.typed)

    @property
    def numeric(self) -> bool:
        """Its drawn values are numbers (rules may name it)."""
        return not self.categorical or all(isinstance(v, (int, float)) for v in self.values[0])

    @property
    def searched(self) -> tuple[str, ...]:
        """Names a sampler draws (a tied tuple: its first entry only)."""
        return self.names[:1] if self.tie else self.names

    def entries(self, drawn: Mapping[str, Any]) -> tuple[Any, ...]:
        """Every entry's value from the drawn ones (a categorical: its label)."""
        if self.categorical:
            return (drawn[self.names[0]],)
        if self.tie:
            first = int(drawn[self.names[0]])
            return tuple(first * TIES[self.tie] ** i for i in range(len(self.names)))
        return tuple(int(drawn[name]) for name in self.names)

    def decode(self, drawn: Mapping[str, Any]) -> Any:
        """The build argument: an int for a scalar, a tuple for a tuple, a categorical's
        typed choice."""
        if self.categorical:
            return self.typed[self.values[0].index(drawn[self.names[0]])]
        entries = self.entries(drawn)
        return entries[0] if self.scalar else entries

    def read(self, text: str) -> Any:
        """The build argument from its spelling in a run table (``16,32,64``, ``grouped``)."""
        assert self.param is not None
        return self.param.parse(text)

    def size(self) -> int:
        return math.prod(len(self.values[i]) for i, _ in enumerate(self.searched))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.names[0]} if self.scalar else {"names": list(self.names)}
        if self.categorical:
            data["choices"] = [plain(v) for v in self.typed]
        elif len(set(self.values)) == 1:
            data["choices"] = list(self.values[0])
        else:
            data["choices"] = [list(v) for v in self.values]
        if self.tie:
            data["tie"] = self.tie
        if self.log:
            data["log"] = True
        return data


def typed(family: Family, name: str, value: Any, origin: str) -> Any:
    """A TOML value as the build function's type (``HyperParam.from_plain``); a bad
    one is a ``SpaceError`` naming where it is."""
    try:
        return family.param(name).from_plain(value)
    except HyperError as error:
        where = origin if "no hyper-parameter" in str(error) else f"{origin}: {name}"
        raise SpaceError(f"{where}: {error}") from None


def unknown_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpaceError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _per_entry(value: Any, count: int, key: str, where: str) -> list[int]:
    values = value if isinstance(value, list) else [value] * count
    if len(values) != count or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise SpaceError(f"{where}: {key} must be an integer or a list of {count} integers, got {value!r}")
    return values


def _check_names(names: list[str], where: str) -> None:
    for name in names:
        if not name.isidentifier() or name in METRICS:
            raise SpaceError(f"{where}: {name!r} is not a usable name (an identifier that is not a metric)")


def _categorical(family: Family, hyper: str, table: Mapping[str, Any], where: str) -> Parameter:
    """A parameter drawn from a list of choices of any type the family takes."""
    unknown_keys(table, {"name", "choices"}, f"{where} (a categorical: name and choices)")
    name = table.get("name", hyper)
    if not isinstance(name, str):
        raise SpaceError(f"{where}: name must be a string")
    _check_names([name], where)
    raw = table.get("choices")
    if not isinstance(raw, list) or not raw:
        raise SpaceError(f"{where}: a categorical parameter needs choices = [...], a non-empty list")
    choices = tuple(typed(family, hyper, value, where) for value in raw)
    labels = tuple(label(value) for value in choices)
    if len(set(labels)) != len(labels):
        raise SpaceError(f"{where}: choices are listed twice in {raw!r}")
    return Parameter(hyper=hyper, names=(name,), values=(labels,), scalar=True, typed=choices, param=family.hyper[hyper])


def _ordered_values(table: Mapping[str, Any], count: int, where: str) -> list[tuple[int, ...]]:
    """Each entry's admissible integers, from choices or low/high/step."""
    if "choices" in table:
        if {"low", "high", "step"} & set(table):
            raise SpaceError(f"{where}: give either choices or low/high/step, not both")
        raw = table["choices"]
        if isinstance(raw, list) and raw and all(isinstance(v, list) for v in raw):
            if len(raw) != count:
                raise SpaceError(f"{where}: choices has {len(raw)} lists for {count} entries")
            values = [tuple(v) for v in raw]
        else:
            values = [tuple(raw)] * count if isinstance(raw, list) else []
        if not values or not all(v and all(isinstance(x, int) and not isinstance(x, bool) for x in v) for v in values):
            raise SpaceError(f"{where}: choices must be a non-empty list of integers (or one list per entry)")
        return [tuple(sorted(set(v))) for v in values]
    if "low" not in table or "high" not in table:
        raise SpaceError(f"{where}: give low and high (and optionally step), or choices")
    lows = _per_entry(table["low"], count, "low", where)
    highs = _per_entry(table["high"], count, "high", where)
    steps = _per_entry(table.get("step", 1), count, "step", where)
    values = []
    for low, high, step in zip(lows, highs, steps):
        if step < 1 or high < low:
            raise SpaceError(f"{where}: need low <= high and step >= 1, got low={low} high={high} step={step}")
        values.append(tuple(range(low, high + 1, step)))
    return values


def parse_parameter(family: Family, hyper: str, table: Any, origin: str) -> Parameter:
    """The ``[parameters.HYPER]`` table of a space (see the module docstring)."""
    where = f"{origin}: [parameters.{hyper}]"
    if not isinstance(table, dict):
        raise SpaceError(f"{where} must be a table")
    if hyper not in family.hyper:
        raise SpaceError(f"{where}: {family.name} has no hyper-parameter {hyper!r} (it takes {', '.join(family.hyper)})")
    param = family.hyper[hyper]
    if (param.type is not int and not param.is_tuple) or (param.is_tuple and "names" not in table):
        return _categorical(family, hyper, table, where)
    unknown_keys(table, {"name", "names", "low", "high", "step", "choices", "tie", "log"}, where)
    scalar = param.type is int
    if scalar:
        name = table.get("name", hyper)
        if not isinstance(name, str):
            raise SpaceError(f"{where}: name must be a string")
        names = [name]
    else:
        names = table.get("names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise SpaceError(f"{where}: a tuple parameter needs names = [\"...\", ...], one per entry")
    _check_names(names, where)
    values = _ordered_values(table, len(names), where)
    minimum = param.minimum if param.minimum is not None else -math.inf
    for entry in values:
        if min(entry) < minimum:
            raise SpaceError(f"{where}: values must be >= {minimum}, got {min(entry)}")
    tie = table.get("tie")
    if tie is not None:
        if tie not in TIES or scalar:
            raise SpaceError(f"{where}: tie must be one of {', '.join(TIES)} (tuple parameters only), got {tie!r}")
    log = table.get("log", False)
    if not isinstance(log, bool):
        raise SpaceError(f"{where}: log must be true or false, got {log!r}")
    if log and not all(min(v) >= 1 and v == tuple(range(min(v), max(v) + 1)) for v in values):
        raise SpaceError(f"{where}: log = true needs consecutive integers >= 1 (step 1)")
    return Parameter(hyper=hyper, names=tuple(names), values=tuple(values), scalar=scalar, tie=tie, log=log, param=param)
