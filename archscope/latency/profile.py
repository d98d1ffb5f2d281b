"""Device profiles: the few physical parameters of a device, as TOML data files.

A profile holds the device's peak MAC throughput and memory bandwidths (with the source
of every published figure), the fraction of them each op class reaches, a fixed time per
kernel of each class, the fusion rule and the memory format it assumes. Shipped profiles
live in ``archscope/devices/``; the ``local`` profile is written by ``archscope
calibrate`` to the user's config folder (``~/.config/archscope/devices/`` on Linux,
``$ARCHSCOPE_DEVICES`` overrides) and falls back to the shipped, uncalibrated one.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from archscope.ops import OpClass

#: op classes a profile must describe (the input "class" costs nothing)
CLASSES: tuple[str, ...] = tuple(str(c) for c in OpClass if c is not OpClass.INPUT)


class ProfileError(ValueError):
    """A profile that is missing, malformed or inconsistent."""


class Fusion(StrEnum):
    """Which ops run as one kernel."""

    NONE = "none"  # eager PyTorch: every op is a kernel
    CONV_BN_ACT = "conv-bn-act"  # conv (+ BN) (+ activation) fused, as TensorRT or torch.compile do


class Combine(StrEnum):
    """How compute time and memory time of a kernel combine."""

    MAX = "max"  # roofline: the slower of the two (perfect overlap)
    SUM = "sum"  # no overlap


@dataclass(frozen=True)
class ClassParams:
    """What one op class reaches on the device.

    compute_efficiency: fraction of ``peak_macs_per_s`` its MACs run at.
    memory_efficiency:  fraction of the memory bandwidths its traffic moves at.
    overhead_us:        fixed time per kernel (launch, dispatch, framework).
    """

    compute_efficiency: float
    memory_efficiency: float
    overhead_us: float

    def __post_init__(self) -> None:
        for name in ("compute_efficiency", "memory_efficiency"):
            value = getattr(self, name)
            if not 0 < value <= 1.5:
                raise ProfileError(f"{name} must be in (0, 1.5], got {value}")
        if self.overhead_us < 0:
            raise ProfileError(f"overhead_us must be >= 0, got {self.overhead_us}")


@dataclass(frozen=True)
class DeviceProfile:
    """A device's physical parameters for the roofline-with-overhead latency model."""

    name: str
    description: str
    kind: str  # "gpu" or "cpu"
    peak_macs_per_s: float
    dram_bytes_per_s: float
    cache_bytes: float  # cache capacity; traffic of a kernel that fits is served from it (0: none)
    cache_bytes_per_s: float
    memory_bytes: float  # device memory (RAM shared with the CPU on a Jetson)
    fusion: Fusion
    combine: Combine
    memory_format: str  # "channels_last" or "contiguous", what measurements use
    classes: Mapping[str, ClassParams]
    threads: int | None = None  # CPU threads the profile was calibrated with
    sources: Mapping[str, str] = field(default_factory=dict)
    fit: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("peak_macs_per_s", "dram_bytes_per_s", "cache_bytes_per_s", "memory_bytes"):
            if not getattr(self, name) > 0:
                raise ProfileError(f"profile {self.name!r}: {name} must be positive, got {getattr(self, name)}")
        if not self.cache_bytes >= 0:
            raise ProfileError(f"profile {self.name!r}: cache_bytes must be >= 0, got {self.cache_bytes}")
        missing = [c for c in CLASSES if c not in self.classes]
        if missing:
            raise ProfileError(f"profile {self.name!r}: no parameters for op class(es) {', '.join(missing)}")
        if self.memory_format not in ("channels_last", "contiguous"):
            raise ProfileError(f"profile {self.name!r}: unknown memory_format {self.memory_format!r}")

    def with_classes(self, **updates: ClassParams) -> DeviceProfile:
        return replace(self, classes={**self.classes, **updates})

    def to_toml(self) -> str:
        return _to_toml(self)


_REQUIRED = ("name", "description", "kind", "peak_macs_per_s", "dram_bytes_per_s", "cache_bytes",
             "cache_bytes_per_s", "memory_bytes", "fusion", "combine", "memory_format", "classes")


def profile_from_dict(data: Mapping[str, Any], *, origin: str = "profile") -> DeviceProfile:
    """Validate and build a profile from parsed TOML."""
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ProfileError(f"{origin}: missing field(s) {', '.join(missing)}")
    unknown = set(data) - {f.name for f in fields(DeviceProfile)}
    if unknown:
        raise ProfileError(f"{origin}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        classes = {name: ClassParams(**params) for name, params in data["classes"].items()}
        return DeviceProfile(
            **{**data, "classes": classes, "fusion": Fusion(data["fusion"]), "combine": Combine(data["combine"])}
        )
    except (TypeError, ValueError) as error:
        raise ProfileError(f"{origin}: {error}") from None


def user_devices_dir() -> Path:
    """Where calibrated profiles are saved: ``$ARCHSCOPE_DEVICES`` or the user config folder."""
    override = os.environ.get("ARCHSCOPE_DEVICES")
    if override:
        return Path(override)
    import typer  # its get_app_dir follows each platform's convention

    return Path(typer.get_app_dir("archscope")) / "devices"


def _shipped(name: str) -> resources.abc.Traversable:
    return resources.files("archscope.devices") / f"{name}.toml"


def available_profiles() -> list[str]:
    """Names of the shipped and user profiles."""
    shipped = {p.name.removesuffix(".toml") for p in resources.files("archscope.devices").iterdir() if p.name.endswith(".toml")}
    user_dir = user_devices_dir()
    user = {p.stem for p in user_dir.glob("*.toml")} if user_dir.is_dir() else set()
    return sorted(shipped | user)


def load_profile(name_or_path: str | Path) -> DeviceProfile:
    """A profile by name (the user's copy first, then the shipped one) or by file path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ProfileError(f"no profile file {str(path)!r}")
        return _read(path.read_text(), str(path))
    user = user_devices_dir() / f"{name_or_path}.toml"
    if user.is_file():
        return _read(user.read_text(), str(user))
    shipped = _shipped(str(name_or_path))
    if shipped.is_file():
        return _read(shipped.read_text(), f"{name_or_path}.toml")
    raise ProfileError(f"unknown device {str(name_or_path)!r} (known: {', '.join(available_profiles())})")


def _read(text: str, origin: str) -> DeviceProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{origin}: malformed TOML ({error})") from None
    return profile_from_dict(data, origin=origin)


def save_profile(profile: DeviceProfile, path: Path | None = None) -> Path:
    """Write ``profile`` as TOML (to the user devices folder by default); atomic."""
    path = path or user_devices_dir() / f"{profile.name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(profile.to_toml())
    tmp.replace(path)
    return path


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _to_toml(profile: DeviceProfile) -> str:
    # tomllib reads TOML but the standard library cannot write it; profiles are flat
    # enough that a few lines do (tables: classes.*, sources, fit)
    data = asdict(profile)
    lines = []
    for key, value in data.items():
        if key in ("classes", "sources", "fit") or value is None:
            continue
        lines.append(f"{key} = {_value(getattr(profile, key))}")
    for name, params in data["classes"].items():
        lines.append(f'\n[classes."{name}"]')
        lines.extend(f"{k} = {_value(v)}" for k, v in params.items())
    for table in ("sources", "fit"):
        if data[table]:
            lines.append(f"\n[{table}]")
            lines.extend(f'"{k}" = {_value(v)}' for k, v in data[table].items())
    return "\n".join(lines) + "\n"
