"""Search spaces as data: a TOML file names the family, the range of each searched
hyper-parameter, the constraints and the objectives.

```toml
name = "ndnet"
family = "ndnet"              # any registered family
description = "..."

[constraints]                 # the rules every front point must meet
device = "titanx"             # latency and fps are predicted on this device profile
resolution = "1024x2048"      # ... at this input size
head = "fcn32"                # ... with this head
min_fps = 50.0
# max_latency_ms = 20.0       # a latency budget (ms per batch)
min_layers = 25
rules = ["d2 >= d1"]          # optional comparisons over parameter names and metrics

[fixed]                       # other hyper-parameters held constant (default: the family's)
classes = 19

[parameters.widths]           # an integer tuple: one searched integer per entry
names = ["n1", "n2", "n3"]
low = 8                       # an int, or one per entry: [8, 16, 32]
high = 64
step = 4
tie = "double"                # n2 = 2·n1, n3 = 2·n2: only n1 is searched ("equal": all the same)
# log = true                  # samplers draw it log-uniformly (step 1 only)

[parameters.expansion]        # an integer
name = "e"                    # (default: the hyper-parameter's name)
choices = [4]

# [parameters.conv]           # a categorical: any other type the family takes (enums,
# choices = ["dense", "grouped"]  # bools, floats, whole tuples), in its CLI spelling

[[objectives]]
metric = "layers"             # see archscope.search.objectives.METRICS
direction = "maximize"

# [proxy]                     # how a learned metric (miou) is measured: archscope.search.proxy
# steps = 200
```

``archscope.search.parameters`` describes the ``[parameters]`` tables. A run's
``config.toml`` holds the resolved space under ``[space]`` and loads here too. Spaces are
found by name in ``$ARCHSCOPE_SPACES``, ``./search_spaces`` and the spaces archscope
ships (package data, ``archscope/spaces/``), or given as a path.
"""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from importlib import resources
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator, Mapping

from archscope.families import get_family
from archscope.search.objectives import LEARNED, METRICS, WIDTH_METRICS, Direction, Objective
from archscope.families.hyper import Label, label, plain
from archscope.search.constraints import BY_KEY, Constraints
from archscope.search.parameters import Parameter, SpaceError, parse_parameter, typed, unknown_keys
from archscope.search.proxy import ProxyTask, proxy_from_dict
from archscope.search.rules import Rule, RuleError

__all__ = ["Constraints", "Parameter", "SearchSpace", "SpaceError", "load_space", "space_from_dict"]

#: the package that ships the spaces (installed with archscope, wheel or not)
SHIPPED = "archscope.spaces"


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
    #: how learned metrics (miou) are measured; set when an objective is learned
    proxy: ProxyTask | None = None
    source: str = field(default="", compare=False)

    @property
    def learned(self) -> tuple[str, ...]:
        """The objectives' metrics measured by training (``miou``), not analytically."""
        return tuple(o.metric for o in self.objectives if o.metric in LEARNED)

    @property
    def searched(self) -> tuple[str, ...]:
        return tuple(name for p in self.parameters for name in p.searched)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for p in self.parameters for name in p.names)

    def size(self) -> int:
        """Number of configurations (before constraints)."""
        return math.prod(p.size() for p in self.parameters)

    def choices(self) -> dict[str, tuple[Label, ...]]:
        """The admissible values of each searched name (a categorical's: its labels)."""
        return {name: p.values[i] for p in self.parameters for i, name in enumerate(p.searched)}

    def categorical(self) -> set[str]:
        """Searched names drawn as categoricals (unordered labels)."""
        return {p.names[0] for p in self.parameters if p.categorical}

    @property
    def ordered(self) -> bool:
        """Every parameter is an integer (its corners are its cheapest and costliest
        configurations when costs grow with every parameter, as NDNet's)."""
        return not any(p.categorical for p in self.parameters)

    def log_scaled(self) -> set[str]:
        """Searched names drawn on a log scale."""
        return {name for p in self.parameters if p.log for name in p.searched}

    def entries(self, drawn: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter name's value (tied entries included) from the drawn ones."""
        return {name: value for p in self.parameters for name, value in zip(p.names, p.entries(drawn))}

    def hyper(self, drawn: Mapping[str, Any]) -> dict[str, Any]:
        """The family's build arguments for drawn values."""
        return {**self.fixed, **{p.hyper: p.decode(drawn) for p in self.parameters}}

    def defaults(self) -> dict[str, str]:
        """Each searched hyper-parameter's family default, spelled as a run's columns
        spell it (``pareto.front`` prefers configurations that keep them)."""
        known = get_family(self.family).hyper
        return {p.hyper: str(label(known[p.hyper].default)) for p in self.parameters}

    def corners(self) -> tuple[dict[str, Label], dict[str, Label]]:
        """The drawn values at every searched name's first and last value: the lowest and
        highest integers, a categorical's first and last listed choices."""
        choices = self.choices()
        return {n: v[0] for n, v in choices.items()}, {n: v[-1] for n, v in choices.items()}

    def grid(self) -> Iterator[dict[str, Label]]:
        """Every configuration as drawn values (small spaces only)."""
        choices = self.choices()
        for values in itertools.product(*choices.values()):
            yield dict(zip(choices, values))

    def with_overrides(self, **overrides: Any) -> SearchSpace:
        """The space with constraint values replaced (``None`` keeps a value):
        ``device``, ``min_fps``, ``max_latency_ms``, ``min_layers`` and ``resolution``;
        ``objectives`` (a tuple of ``Objective``) and ``proxy`` (a dict of
        ``ProxyTask`` fields) too."""
        space = self._with_objectives(overrides.get("objectives"), overrides.get("proxy") or {})
        return space._with_constraints(overrides)

    def _with_objectives(self, objectives: tuple[Objective, ...] | None, proxy: Mapping[str, Any]) -> SearchSpace:
        space = replace(self, objectives=objectives) if objectives else self
        if space.learned or proxy:
            space = replace(space, proxy=(space.proxy or ProxyTask()).with_overrides(**proxy))
        if objectives:
            _check_width_metrics(space, self.source or self.name)
        return space

    def _with_constraints(self, overrides: Mapping[str, Any]) -> SearchSpace:
        constraints = self.constraints
        if overrides.get("device") is not None:
            constraints = replace(constraints, device=overrides["device"])
        limits = {key: overrides[key] for key in BY_KEY if overrides.get(key) is not None}
        if limits:
            constraints = replace(constraints, limits={**constraints.limits, **limits})
        fixed = dict(self.fixed)
        if overrides.get("resolution") is not None:
            if "resolution" in {p.hyper for p in self.parameters}:
                raise SpaceError(f"{self.source or self.name}: resolution is searched, it cannot be overridden")
            fixed["resolution"] = typed(get_family(self.family), "resolution", overrides["resolution"], self.source)
        return replace(self, constraints=constraints, fixed=fixed)

    def to_dict(self) -> dict[str, Any]:
        """The resolved space in the TOML schema (``load_space`` reads it back)."""
        constraints = self.constraints.to_dict()
        fixed = {k: plain(v) for k, v in self.fixed.items()}
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
            **({"proxy": self.proxy.to_dict()} if self.proxy is not None else {}),
        }


def _table(data: Mapping[str, Any], key: str, origin: str, *, required: bool = True) -> dict[str, Any]:
    value = data.get(key, None)
    if value is None:
        if required:
            raise SpaceError(f"{origin}: missing [{key}] table")
        return {}
    if not isinstance(value, dict):
        raise SpaceError(f"{origin}: {key} must be a table")
    return value


def _limits(raw: Mapping[str, Any], origin: str) -> dict[str, float | int]:
    """The bounds set in ``[constraints]`` (``min_fps = 50``...)."""
    limits = {}
    for key, bound in BY_KEY.items():
        if raw.get(key) is not None:
            try:
                limits[key] = bound.parse(raw[key])
            except ValueError as error:
                raise SpaceError(f"{origin}: [constraints] {error}") from None
    return limits


def _rules(raw: Any, parameters: tuple[Parameter, ...], origin: str) -> tuple[Rule, ...]:
    """The rules, naming only numeric parameters and metrics."""
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        raise SpaceError(f"{origin}: [constraints] rules must be a list of strings")
    try:
        rules = tuple(Rule.parse(text) for text in raw)
    except RuleError as error:
        raise SpaceError(f"{origin}: {error}") from None
    names = [n for p in parameters for n in p.names]
    labels = {n for p in parameters if not p.numeric for n in p.names}
    for rule in rules:
        learned = sorted(set(rule.names) & set(LEARNED))
        if learned:
            raise SpaceError(f"{origin}: rule {rule.text!r} names {', '.join(learned)}, which is measured by training "
                             "after the rules are checked")
        unknown = sorted(set(rule.names) - set(names) - set(METRICS))
        if unknown:
            raise SpaceError(f"{origin}: rule {rule.text!r} names unknown {', '.join(unknown)} (parameters: {', '.join(names)}; metrics: {', '.join(METRICS)})")
        if labels & set(rule.names):
            named = ", ".join(sorted(labels & set(rule.names)))
            raise SpaceError(f"{origin}: rule {rule.text!r} names {named}, a categorical without numeric values")
    return rules


def _objectives(raw: Any, origin: str) -> tuple[Objective, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpaceError(f"{origin}: needs at least one [[objectives]] table")
    objectives = []
    for index, table in enumerate(raw, start=1):
        where = f"{origin}: objective {index}"
        if not isinstance(table, dict):
            raise SpaceError(f"{where} must be a table")
        unknown_keys(table, {"metric", "direction"}, where)
        metric, direction = table.get("metric"), table.get("direction")
        if metric not in METRICS:
            raise SpaceError(f"{where}: metric {metric!r} is not one of {', '.join(METRICS)}")
        if direction not in ("maximize", "minimize"):
            raise SpaceError(f"{where}: direction must be \"maximize\" or \"minimize\", got {direction!r}")
        objectives.append(Objective(metric=metric, direction=Direction(direction)))
    metrics = [o.metric for o in objectives]
    if len(set(metrics)) != len(metrics):
        raise SpaceError(f"{origin}: an objective's metric is listed twice ({', '.join(metrics)})")
    return tuple(objectives)


def _proxy(data: Mapping[str, Any], origin: str) -> ProxyTask | None:
    raw = _table(data, "proxy", origin, required=False)
    return proxy_from_dict(raw, origin) if raw else None


def _check_width_metrics(space: SearchSpace, origin: str) -> None:
    """``width`` and ``max_width`` read the ``widths`` tuple: it must be fixed or searched."""
    used = {o.metric for o in space.objectives} | {n for r in space.constraints.rules for n in r.names}
    needing = sorted(used & set(WIDTH_METRICS))
    widths = "widths" in space.fixed or any(p.hyper == "widths" for p in space.parameters)
    if needing and not widths:
        raise SpaceError(f"{origin}: metric {', '.join(needing)} needs widths among the [fixed] or searched hyper-parameters")


def space_from_dict(data: Mapping[str, Any], *, origin: str = "space") -> SearchSpace:
    """Validate and build a space from parsed TOML (a run's config: its ``[space]``)."""
    if "space" in data and isinstance(data["space"], dict):
        data = data["space"]
    unknown_keys(data, {"name", "family", "description", "constraints", "fixed", "parameters", "objectives", "proxy"}, origin)
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
    unknown_keys(raw_constraints, {"device", *BY_KEY, "rules", "resolution", "head"}, f"{origin}: [constraints]")
    device = raw_constraints.get("device")
    if not isinstance(device, str) or not device:
        raise SpaceError(f"{origin}: [constraints] needs device = \"...\" (a device profile: titanx, local, ...)")

    fixed_raw = dict(_table(data, "fixed", origin, required=False))
    for key in ("resolution", "head"):
        if key in raw_constraints:
            if key in fixed_raw:
                raise SpaceError(f"{origin}: {key} is given in [constraints] and in [fixed]")
            fixed_raw[key] = raw_constraints[key]
    fixed = {key: typed(family, key, value, f"{origin}: [fixed]") for key, value in fixed_raw.items()}

    parameters_raw = _table(data, "parameters", origin)
    if not parameters_raw:
        raise SpaceError(f"{origin}: [parameters] is empty: nothing to search")
    parameters = tuple(parse_parameter(family, hyper, table, origin) for hyper, table in parameters_raw.items())
    overlap = sorted(set(fixed) & {p.hyper for p in parameters})
    if overlap:
        raise SpaceError(f"{origin}: {', '.join(overlap)} is both fixed and searched")
    names = [n for p in parameters for n in p.names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpaceError(f"{origin}: parameter name(s) {', '.join(duplicates)} used twice")

    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpaceError(f"{origin}: description must be a string")
    space = SearchSpace(
        name=name,
        family=family.name,
        description=description,
        fixed=fixed,
        parameters=parameters,
        constraints=Constraints(device=device, limits=_limits(raw_constraints, origin),
                                rules=_rules(raw_constraints.get("rules", []), parameters, origin)),
        objectives=_objectives(data.get("objectives"), origin),
        proxy=_proxy(data, origin),
        source=origin,
    )
    if space.learned and space.proxy is None:
        space = replace(space, proxy=ProxyTask())
    _check_width_metrics(space, origin)
    return space


def space_dirs() -> list[Path]:
    """The user's folders where spaces are looked up by name, in order (before the
    shipped ones)."""
    dirs = []
    if os.environ.get("ARCHSCOPE_SPACES"):
        dirs.append(Path(os.environ["ARCHSCOPE_SPACES"]))
    dirs.append(Path.cwd() / "search_spaces")
    return list(dict.fromkeys(dirs))


def _shipped() -> dict[str, Any]:
    """name -> the shipped space file (a ``Traversable``)."""
    return {p.name.removesuffix(".toml"): p for p in resources.files(SHIPPED).iterdir() if p.name.endswith(".toml")}


def available_spaces() -> list[str]:
    user = {p.stem for d in space_dirs() if d.is_dir() for p in d.glob("*.toml")}
    return sorted(user | set(_shipped()))


def _read_space(text: str, origin: str) -> SearchSpace:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpaceError(f"{origin}: malformed TOML ({error})") from None
    return space_from_dict(data, origin=origin)


def load_space(name_or_path: str | Path) -> SearchSpace:
    """A space by name (``ndnet``: the user's folders first, then the shipped spaces) or
    by path (a space file or a run's config.toml)."""
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        found = [d / f"{name_or_path}.toml" for d in space_dirs() if (d / f"{name_or_path}.toml").is_file()]
        if found:
            path = found[0]
        elif str(name_or_path) in _shipped():
            return _read_space(_shipped()[str(name_or_path)].read_text(), f"{name_or_path}.toml")
        else:
            known = ", ".join(available_spaces()) or "none found"
            raise SpaceError(f"unknown search space {str(name_or_path)!r} (known: {known}; or give a .toml path)")
    if not path.is_file():
        raise SpaceError(f"no search space file {str(path)!r}")
    try:
        return _read_space(path.read_text(), str(path))
    except UnicodeDecodeError:
        raise SpaceError(f"{path}: not a UTF-8 text file") from None
