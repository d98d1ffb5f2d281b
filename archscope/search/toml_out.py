"""A small TOML writer for plain data (the standard library reads TOML but cannot write it).

>>> print(dumps({"name": "ndnet", "run": {"seed": 0}, "objectives": [{"metric": "layers"}]}))
name = "ndnet"
<BLANKLINE>
[run]
seed = 0
<BLANKLINE>
[[objectives]]
metric = "layers"
<BLANKLINE>
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's string escapes are valid TOML basic-string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _emit(data: Mapping[str, Any], prefix: str, lines: list[str]) -> None:
    for key, value in data.items():
        if not isinstance(value, Mapping) and not _is_table_array(value) and value is not None:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, Mapping):
            lines += ["", f"[{name}]"]
            _emit(value, name, lines)
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{name}]]"]
                _emit(item, name, lines)


def dumps(data: Mapping[str, Any], *, header: str = "") -> str:
    """``data`` as TOML; ``header`` lines become comments at the top."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _emit(data, "", lines)
    return "\n".join(lines).lstrip("\n") + "\n"
