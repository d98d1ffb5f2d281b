"""Search spaces as data: a TOML file names the family, the range of each searched
hyper-parameter, the constraints and the objectives.

```toml
name = "ndnet"
family = "ndnet"
description = "..."

[constraints]             # the rules every front point must meet
device = "titanx"         # fps is predicted on this device profile
resolution = "1024x2048"  # ... at this input size
head = "fcn32"            # ... with this head
min_fps = 50.0
min_layers = 25
rules = ["d2 >= d1"]      # optional comparisons over parameter names and metrics

[fixed]                   # other hyper-parameters held constant (default: the family's)
classes = 19

[parameters.widths]       # a tuple hyper-parameter: one searched integer per entry
names = ["n1", "n2", "n3"]
low = 8                   # an int, or one per entry: [8, 16, 32]
high = 64
step = 4
tie = "double"            # n2 = 2·n1, n3 = 2·n2: only n1 is searched ("equal": all the same)
# log = true              # samplers draw it log-uniformly (step 1 only)

[parameters.expansion]    # a scalar hyper-parameter
name = "e"
choices = [4]

[[objectives]]
metric = "layers"         # see archscope.search.objectives.METRICS
direction = "maximize"
```

A run's ``config.toml`` holds the resolved space under ``[space]`` and loads here too.
Spaces are found by name in ``$ARCHSCOPE_SPACES``, ``./search_spaces`` and the
``search_spaces/`` folder of the archscope checkout, or given as a path.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Iterator, Mapping

from archscope.families import get_family
from archscope.families.base import Family, Help, Resolution
from archscope.search.objectives import METRICS, Direction, Objective
from archscope.search.rules import Rule, RuleError

#: the folder of the archscope checkout that ships the spaces
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "search_spaces"
_RESOLUTION = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
TIES = {"double": 2, "equal": 1}


class SpaceError(ValueError):
    """A search space that is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Parameter:
    """One searched hyper-parameter of the family.

    hyper:  the build function's argument it sets (``widths``)
    names:  the searched name of each entry (``n1, n2, n3``); one name for a scalar
    values: the admissible values of each entry
    tie:    entries after the first follow it (``double``: ×2 per entry), or ``None``
    """

    hyper: str
    names: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]
    scalar: bool
    tie: str | None = None
    log: bool = False  # samplers draw it on a log scale (more mass on small values)

    @property
    def searched(self) -> tuple[str, ...]:
        """Names a sampler draws (a tied tuple: its first entry only)."""
        return self.names[:1] if self.tie else self.names

    def entries(self, drawn: Mapping[str, int]) -> tuple[int, ...]:
        """Every entry's value from the drawn ones."""
        if self.tie:
            first = int(drawn[self.names[0]])
            return tuple(first * TIES[self.tie] ** i for i in range(len(self.names)))
        return tuple(int(drawn[name]) for name in self.names)

    def decode(self, drawn: Mapping[str, int]) -> int | tuple[int, ...]:
        """The build argument: an int for a scalar, a tuple otherwise."""
        entries = self.entries(drawn)
        return entries[0] if self.scalar else entries

    def size(self) -> int:
        return math.prod(len(self.values[i]) for i, _ in enumerate(self.searched))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.names[0]} if self.scalar else {"names": list(self.names)}
        data["choices"] = list(self.values[0]) if len(set(self.values)) == 1 else [list(v) for v in self.values]
        if self.tie:
            data["tie"] = self.tie
        if self.log:
            data["log"] = True
        return data


@dataclass(frozen=True)
class Constraints:
    """What a feasible configuration meets."""

    device: str
    min_fps: float | None = None
    min_layers: int | None = None
    rules: tuple[Rule, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"device": self.device}
        if self.min_fps is not None:
            data["min_fps"] = self.min_fps
        if self.min_layers is not None:
            data["min_layers"] = self.min_layers
        data["rules"] = [rule.text for rule in self.rules]
        return data


@dataclass(frozen=True)
class SearchSpace:
    """A family, what is searched, what must hold and what is optimised."""

    name: str
    family: str
    description: str
    fixed: Mapping[str, Any]
    parameters: tuple[Parameter, ...]
    constraints: Constraints
    objectives: tuple[Objective, ...]
    source: str = field(default="", compare=False)

    @property
    def searched(self) -> tuple[str, ...]:
        return tuple(name for p in self.parameters for name in p.searched)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for p in self.parameters for name in p.names)

    def size(self) -> int:
        """Number of configurations (before constraints)."""
        return math.prod(p.size() for p in self.parameters)

    def choices(self) -> dict[str, tuple[int, ...]]:
        """The admissible values of each searched name."""
        return {name: p.values[i] for p in self.parameters for i, name in enumerate(p.searched)}

    def log_scaled(self) -> set[str]:
        """Searched names drawn on a log scale."""
        return {name for p in self.parameters if p.log for name in p.searched}

    def entries(self, drawn: Mapping[str, int]) -> dict[str, int]:
        """Every parameter name's value (tied entries included) from the drawn ones."""
        return {name: value for p in self.parameters for name, value in zip(p.names, p.entries(drawn))}

    def hyper(self, drawn: Mapping[str, int]) -> dict[str, Any]:
        """The family's build arguments for drawn values."""
        return {**self.fixed, **{p.hyper: p.decode(drawn) for p in self.parameters}}

    def corners(self) -> tuple[dict[str, int], dict[str, int]]:
        """The drawn values at every searched name's lowest and highest value."""
        choices = self.choices()
        return {n: min(v) for n, v in choices.items()}, {n: max(v) for n, v in choices.items()}

    def grid(self) -> Iterator[dict[str, int]]:
        """Every configuration as drawn values (small spaces only)."""
        choices = self.choices()
        for values in itertools.product(*choices.values()):
            yield dict(zip(choices, values))

    def with_overrides(self, **overrides: Any) -> SearchSpace:
        """The space with constraint values replaced (``None`` keeps a value):
        ``device``, ``min_fps``, ``min_layers`` and ``resolution``."""
        constraints = self.constraints
        for key in ("device", "min_fps", "min_layers"):
            if overrides.get(key) is not None:
                constraints = replace(constraints, **{key: overrides[key]})
        fixed = dict(self.fixed)
        if overrides.get("resolution") is not None:
            fixed["resolution"] = _convert(get_family(self.family), "resolution", overrides["resolution"], self.source)
        return replace(self, constraints=constraints, fixed=fixed)

    def to_dict(self) -> dict[str, Any]:
        """The resolved space in the TOML schema (``load_space`` reads it back)."""
        constraints = self.constraints.to_dict()
        fixed = {k: _plain(v) for k, v in self.fixed.items()}
        for key in ("resolution", "head"):
            if key in fixed:
                constraints[key] = fixed.pop(key)
        return {
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "constraints": constraints,
            "fixed": fixed,
            "parameters": {p.hyper: p.to_dict() for p in self.parameters},
            "objectives": [{"metric": o.metric, "direction": o.direction.value} for o in self.objectives],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Resolution):
        return f"{value.height}x{value.width}"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _hints(family: Family) -> dict[str, tuple[Any, Help, Any]]:
    import inspect

    hints = typing.get_type_hints(family.build, include_extras=True)
    result = {}
    for name, parameter in inspect.signature(family.build).parameters.items():
        annotation = hints[name]
        base, extras = annotation, ()
        if typing.get_origin(annotation) is Annotated:
            base, *extras = typing.get_args(annotation)
        help_ = next((e for e in extras if isinstance(e, Help)), Help(name))
        result[name] = (base, help_, parameter.default)
    return result


def _convert(family: Family, name: str, value: Any, origin: str) -> Any:
    """A TOML value as the build function's type (Resolution, enums, tuples)."""
    hints = _hints(family)
    if name not in hints:
        raise SpaceError(f"{origin}: {family.name} has no hyper-parameter {name!r} (it takes {', '.join(hints)})")
    base, help_, _ = hints[name]
    where = f"{origin}: {name}"
    if base is Resolution:
        if isinstance(value, str) and (match := _RESOLUTION.match(value)):
            return Resolution(int(match.group(1)), int(match.group(2)))
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) and v > 0 for v in value):
            return Resolution(*value)
        raise SpaceError(f"{where} = {value!r} is not HxW (e.g. \"1024x2048\")")
    if isinstance(base, type) and issubclass(base, Enum):
        try:
            return base(value)
        except ValueError:
            raise SpaceError(f"{where} = {value!r} is not one of {', '.join(str(m.value) for m in base)}") from None
    if typing.get_origin(base) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise SpaceError(f"{where} = {value!r} is not a list of integers")
        return tuple(value)
    if base is bool:
        if not isinstance(value, bool):
            raise SpaceError(f"{where} = {value!r} is not true or false")
        return value
    if base in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (base is int and not isinstance(value, int)):
            raise SpaceError(f"{where} = {value!r} is not {'an integer' if base is int else 'a number'}")
        if help_.minimum is not None and value < help_.minimum:
            raise SpaceError(f"{where} = {value} must be >= {help_.minimum}")
        return base(value)
    return value


def _table(data: Mapping[str, Any], key: str, origin: str, *, required: bool = True) -> dict[str, Any]:
    value = data.get(key, None)
    if value is None:
        if required:
            raise SpaceError(f"{origin}: missing [{key}] table")
        return {}
    if not isinstance(value, dict):
        raise SpaceError(f"{origin}: {key} must be a table")
    return value


def _unknown(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpaceError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _per_entry(value: Any, count: int, key: str, where: str) -> list[int]:
    values = value if isinstance(value, list) else [value] * count
    if len(values) != count or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise SpaceError(f"{where}: {key} must be an integer or a list of {count} integers, got {value!r}")
    return values


def _parameter(family: Family, hyper: str, table: Any, origin: str) -> Parameter:
    where = f"{origin}: [parameters.{hyper}]"
    if not isinstance(table, dict):
        raise SpaceError(f"{where} must be a table")
    hints = _hints(family)
    if hyper not in hints:
        raise SpaceError(f"{where}: {family.name} has no hyper-parameter {hyper!r} (it takes {', '.join(hints)})")
    base, help_, _ = hints[hyper]
    scalar = base is int
    if not scalar and typing.get_origin(base) is not tuple:
        raise SpaceError(f"{where}: only integer and integer-tuple hyper-parameters can be searched, {hyper} is {base}")
    _unknown(table, {"name", "names", "low", "high", "step", "choices", "tie", "log"}, where)
    if scalar:
        if not isinstance(table.get("name"), str):
            raise SpaceError(f"{where}: a scalar parameter needs name = \"...\"")
        names = [table["name"]]
    else:
        names = table.get("names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise SpaceError(f"{where}: a tuple parameter needs names = [\"...\", ...], one per entry")
    for name in names:
        if not name.isidentifier() or name in METRICS:
            raise SpaceError(f"{where}: {name!r} is not a usable name (an identifier that is not a metric)")
    count = len(names)
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
        values = [tuple(sorted(set(v))) for v in values]
    else:
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
    minimum = help_.minimum if help_.minimum is not None else -math.inf
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
    return Parameter(hyper=hyper, names=tuple(names), values=tuple(values), scalar=scalar, tie=tie, log=log)


def space_from_dict(data: Mapping[str, Any], *, origin: str = "space") -> SearchSpace:
    """Validate and build a space from parsed TOML (a run's config: its ``[space]``)."""
    if "space" in data and isinstance(data["space"], dict):
        data = data["space"]
    _unknown(data, {"name", "family", "description", "constraints", "fixed", "parameters", "objectives"}, origin)
    if not isinstance(data.get("family"), str):
        raise SpaceError(f"{origin}: missing family = \"...\"")
    try:
        family = get_family(data["family"])
    except KeyError as error:
        raise SpaceError(f"{origin}: {error.args[0]}") from None
    name = data.get("name", Path(origin).stem)
    if not isinstance(name, str) or not name:
        raise SpaceError(f"{origin}: name must be a non-empty string")

    raw_constraints = _table(data, "constraints", origin)
    _unknown(raw_constraints, {"device", "min_fps", "min_layers", "rules", "resolution", "head"}, f"{origin}: [constraints]")
    device = raw_constraints.get("device")
    if not isinstance(device, str) or not device:
        raise SpaceError(f"{origin}: [constraints] needs device = \"...\" (a device profile: titanx, local, ...)")
    min_fps = raw_constraints.get("min_fps")
    if min_fps is not None and (isinstance(min_fps, bool) or not isinstance(min_fps, (int, float)) or min_fps <= 0):
        raise SpaceError(f"{origin}: [constraints] min_fps must be a positive number, got {min_fps!r}")
    min_layers = raw_constraints.get("min_layers")
    if min_layers is not None and (isinstance(min_layers, bool) or not isinstance(min_layers, int) or min_layers < 1):
        raise SpaceError(f"{origin}: [constraints] min_layers must be a positive integer, got {min_layers!r}")
    rules_raw = raw_constraints.get("rules", [])
    if not isinstance(rules_raw, list) or not all(isinstance(r, str) for r in rules_raw):
        raise SpaceError(f"{origin}: [constraints] rules must be a list of strings")

    fixed_raw = dict(_table(data, "fixed", origin, required=False))
    for key in ("resolution", "head"):
        if key in raw_constraints:
            if key in fixed_raw:
                raise SpaceError(f"{origin}: {key} is given in [constraints] and in [fixed]")
            fixed_raw[key] = raw_constraints[key]
    fixed = {key: _convert(family, key, value, f"{origin}: [fixed]") for key, value in fixed_raw.items()}

    parameters_raw = _table(data, "parameters", origin)
    if not parameters_raw:
        raise SpaceError(f"{origin}: [parameters] is empty: nothing to search")
    parameters = tuple(_parameter(family, hyper, table, origin) for hyper, table in parameters_raw.items())
    overlap = sorted(set(fixed) & {p.hyper for p in parameters})
    if overlap:
        raise SpaceError(f"{origin}: {', '.join(overlap)} is both fixed and searched")
    names = [n for p in parameters for n in p.names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpaceError(f"{origin}: parameter name(s) {', '.join(duplicates)} used twice")

    try:
        rules = tuple(Rule.parse(text) for text in rules_raw)
    except RuleError as error:
        raise SpaceError(f"{origin}: {error}") from None
    known = set(names) | set(METRICS)
    for rule in rules:
        unknown = sorted(set(rule.names) - known)
        if unknown:
            raise SpaceError(f"{origin}: rule {rule.text!r} names unknown {', '.join(unknown)} (parameters: {', '.join(names)}; metrics: {', '.join(METRICS)})")

    objectives_raw = data.get("objectives")
    if not isinstance(objectives_raw, list) or not objectives_raw:
        raise SpaceError(f"{origin}: needs at least one [[objectives]] table")
    objectives = []
    for index, table in enumerate(objectives_raw, start=1):
        where = f"{origin}: objective {index}"
        if not isinstance(table, dict):
            raise SpaceError(f"{where} must be a table")
        _unknown(table, {"metric", "direction"}, where)
        metric, direction = table.get("metric"), table.get("direction")
        if metric not in METRICS:
            raise SpaceError(f"{where}: metric {metric!r} is not one of {', '.join(METRICS)}")
        if direction not in ("maximize", "minimize"):
            raise SpaceError(f"{where}: direction must be \"maximize\" or \"minimize\", got {direction!r}")
        objectives.append(Objective(metric=metric, direction=Direction(direction)))
    metrics = [o.metric for o in objectives]
    if len(set(metrics)) != len(metrics):
        raise SpaceError(f"{origin}: an objective's metric is listed twice ({', '.join(metrics)})")

    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpaceError(f"{origin}: description must be a string")
    return SearchSpace(
        name=name,
        family=family.name,
        description=description,
        fixed=fixed,
        parameters=parameters,
        constraints=Constraints(device=device, min_fps=None if min_fps is None else float(min_fps), min_layers=min_layers, rules=rules),
        objectives=tuple(objectives),
        source=origin,
    )


def space_dirs() -> list[Path]:
    """Where spaces are looked up by name, in order."""
    dirs = []
    if os.environ.get("ARCHSCOPE_SPACES"):
        dirs.append(Path(os.environ["ARCHSCOPE_SPACES"]))
    dirs += [Path.cwd() / "search_spaces", SHIPPED_DIR]
    return list(dict.fromkeys(dirs))


def available_spaces() -> list[str]:
    return sorted({p.stem for d in space_dirs() if d.is_dir() for p in d.glob("*.toml")})


def load_space(name_or_path: str | Path) -> SearchSpace:
    """A space by name (``ndnet``) or by path (a space file or a run's config.toml)."""
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        found = [d / f"{name_or_path}.toml" for d in space_dirs() if (d / f"{name_or_path}.toml").is_file()]
        if not found:
            known = ", ".join(available_spaces()) or "none found"
            raise SpaceError(f"unknown search space {str(name_or_path)!r} (known: {known}; or give a .toml path)")
        path = found[0]
    if not path.is_file():
        raise SpaceError(f"no search space file {str(path)!r}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise SpaceError(f"{path}: malformed TOML ({error})") from None
    except UnicodeDecodeError:
        raise SpaceError(f"{path}: not a UTF-8 text file") from None
    return space_from_dict(data, origin=str(path))
