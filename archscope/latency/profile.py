"""Device profiles: the few physical parameters of a device, as TOML data files.

A profile holds the device's peak MAC throughput and memory bandwidths (with the source
of every published figure), the fraction of them each op class reaches, a fixed time per
kernel of each class, the fusion rule and the memory format it assumes. Shipped profiles
live in ``archscope/devices/``; the ``local`` profile is written by ``archscope
calibrate`` to the user's config folder (``~/.config/archscope/devices/`` on Linux,
``$ARCHSCOPE_DEVICES`` overrides) and falls back to the shipped, uncalibrated one.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from archscope.ops import OpClass

#: op classes a profile must describe (the input "class" costs nothing); it may also
#: describe finer kernel kinds (``conv:3x3``, ``Op.latency_class``), which then use their own
CLASSES: tuple[str, ...] = tuple(str(c) for c in OpClass if c is not OpClass.INPUT)


def kind_levels(latency_class: str) -> list[str]:
    """A kernel kind and the coarser kinds it belongs to, finest first:
    ``pooling:maxpool:3x3`` -> ``pooling:maxpool:3x3``, ``pooling:maxpool``, ``pooling``."""
    parts = latency_class.split(":")
    return [":".join(parts[:end]) for end in range(len(parts), 0, -1)]


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
    position_ns:        time per output position (batch × height × width) on top of its
                        MACs: the kernel's loop over pixels, paid once per pixel whatever
                        its channels, which dominates a conv with few channels on a
                        large map (0: none).
    """

    compute_efficiency: float
    memory_efficiency: float
    overhead_us: float
    position_ns: float = 0.0

    def __post_init__(self) -> None:
        for name in ("compute_efficiency", "memory_efficiency"):
            value = getattr(self, name)
            if not 0 < value <= 1.5:
                raise ProfileError(f"{name} must be in (0, 1.5], got {value}")
        for name in ("overhead_us", "position_ns"):
            if getattr(self, name) < 0:
                raise ProfileError(f"{name} must be >= 0, got {getattr(self, name)}")


#: fp32 lanes of the CPU's vector unit (AVX2: 256 bits). Channels-last kernels vectorise
#: over channels; the channels past the last multiple of it run a slower remainder path,
#: and odd counts the slowest (BN and PReLU on 11 channels take several times as long per
#: element as on 8 or 16; the micro-benchmarks of ``calibrate._unaligned_benchmarks``)
VECTOR_LANES = 8
#: what a learned correction reads of a kernel, in this order
FEATURES = ("log2_in_channels", "log2_out_channels", "log2_positions", "log2_traffic_bytes",
            "in_channels_remainder", "out_channels_remainder", "in_channels_odd", "dram_share")


def shape_features(
    in_channels: float, out_channels: float, positions: float, traffic_bytes: float, cache_bytes: float
) -> tuple[float, ...]:
    """A kernel's shape as a learned correction reads it (:data:`FEATURES`): log2 of its
    input and output channels, output positions and bytes moved; the share of its input
    and output channels past the last multiple of :data:`VECTOR_LANES`; whether its input
    channels are odd; and the share of its traffic that the device's cache cannot hold,
    1 - cache_bytes / traffic (0 when it fits): the kernels of a network at a large input
    stream from DRAM in a way that the copies of the bandwidth curve do not show, and
    log-linear features cannot bend at the cache's edge."""
    logs = tuple(math.log2(max(v, 1.0)) for v in (in_channels, out_channels, positions, traffic_bytes))
    remainders = tuple((c % VECTOR_LANES) / c if c >= 1 else 0.0 for c in (in_channels, out_channels))
    dram_share = max(0.0, 1.0 - cache_bytes / traffic_bytes) if traffic_bytes > 0 else 0.0
    return (*logs, *remainders, float(in_channels % 2 == 1), dram_share)


@dataclass(frozen=True)
class Residual:
    """A kernel kind's learned correction: time × exp(w · (features - center)), the
    exponent clipped to ±log 4 so that it never runs away."""

    weights: tuple[float, ...]
    center: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES) or len(self.center) != len(FEATURES):
            raise ProfileError(f"a learned correction needs {len(FEATURES)} weights and centers ({', '.join(FEATURES)}), "
                               f"got {len(self.weights)} and {len(self.center)}: calibrate the profile again")

    def factor(self, features: Sequence[float]) -> float:
        value = sum(w * (x - c) for w, x, c in zip(self.weights, features, self.center))
        return math.exp(max(-RESIDUAL_LIMIT, min(RESIDUAL_LIMIT, value)))


RESIDUAL_LIMIT = math.log(4.0)


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
    #: kernel kind -> learned correction of its time (``archscope calibrate``); none: pure roofline
    residuals: Mapping[str, Residual] = field(default_factory=dict)
    #: framework time per kernel, outside any correction (the work between ops)
    kernel_overhead_us: float = 0.0
    #: measured copy rate by bytes moved, ((traffic_bytes, bytes_per_s), ...) ascending:
    #: the memory hierarchy as this device shows it (``archscope calibrate``); when given
    #: it replaces the two-level cache/DRAM rule
    bandwidth_curve: tuple[tuple[float, float], ...] = ()
    #: output channels a dense or depthwise conv kernel computes at a time (``archscope
    #: calibrate`` measures it: 16 for channels-last oneDNN convs on an AVX2 CPU, where a
    #: conv to 19 output channels takes as long as to 32); 1: no blocking
    channel_block: int = 1

    def __post_init__(self) -> None:
        if not (isinstance(self.channel_block, int) and self.channel_block >= 1):
            raise ProfileError(f"profile {self.name!r}: channel_block must be a whole number >= 1, got {self.channel_block!r}")
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

    def seconds_per_byte(self, traffic_bytes: float) -> float:
        """Time to move one byte of a kernel that moves ``traffic_bytes``: interpolated on
        the measured bandwidth curve (log size, clamped at its ends), else the share that
        fits ``cache_bytes`` at the cache rate and the rest at the DRAM rate."""
        if self.bandwidth_curve:
            return 1.0 / _interpolate(self.bandwidth_curve, traffic_bytes)
        cached = min(1.0, self.cache_bytes / traffic_bytes) if traffic_bytes > 0 else 1.0
        return cached / self.cache_bytes_per_s + (1 - cached) / self.dram_bytes_per_s

    def correction(self, latency_class: str, features: Sequence[float]) -> float:
        """The learned factor of a kernel of this kind and shape (1 without one): that of
        the parameters it uses (its kind's own, else its op class's)."""
        residual = self.residuals.get(self.owner(latency_class))
        return residual.factor(features) if residual is not None else 1.0

    def without_residuals(self) -> DeviceProfile:
        """The same profile as a pure roofline with overheads."""
        return replace(self, residuals={})

    def with_classes(self, **updates: ClassParams) -> DeviceProfile:
        return replace(self, classes={**self.classes, **updates})

    def owner(self, latency_class: str) -> str:
        """Whose parameters a kernel kind (``pooling:maxpool:3x3``) uses: the finest of its
        :func:`kind_levels` the profile describes, at the least its op class (``pooling``)."""
        levels = kind_levels(latency_class)
        return next((level for level in levels if level in self.classes), levels[-1])

    def params(self, latency_class: str) -> ClassParams:
        """The parameters of a kernel kind: see :meth:`owner`."""
        return self.classes[self.owner(latency_class)]

    def to_toml(self) -> str:
        return _to_toml(self)


def _interpolate(curve: Sequence[tuple[float, float]], size: float) -> float:
    """The rate at ``size`` on a (size, rate) curve, linear in log size."""
    if size <= curve[0][0]:
        return curve[0][1]
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if size <= x1:
            t = math.log(size / x0) / math.log(x1 / x0)
            return y0 + t * (y1 - y0)
    return curve[-1][1]


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
        residuals = {name: Residual(tuple(r["weights"]), tuple(r["center"]))
                     for name, r in data.get("residuals", {}).items()}
        curve = tuple((float(x), float(y)) for x, y in data.get("bandwidth_curve", ()))
        return DeviceProfile(**{**data, "classes": classes, "residuals": residuals, "fusion": Fusion(data["fusion"]),
                                "combine": Combine(data["combine"]), "bandwidth_curve": curve})
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


def _set_fields(obj: Any) -> list[str]:
    """A dataclass's fields whose values differ from their defaults (every field without one)."""
    return [f.name for f in fields(obj)
            if (f.default is MISSING and f.default_factory is MISSING)
            or getattr(obj, f.name) != (f.default if f.default is not MISSING else f.default_factory())]


def _to_toml(profile: DeviceProfile) -> str:
    # tomllib reads TOML but the standard library cannot write it; profiles are flat
    # enough that a few lines do (tables: classes.*, residuals.*, sources, fit). Fields at
    # their defaults are left out: a profile that does not use a term (no bandwidth curve,
    # no time per position) reads as one written before the term existed
    lines = []
    for key in _set_fields(profile):
        if key not in ("classes", "sources", "fit", "residuals"):
            lines.append(f"{key} = {_value(getattr(profile, key))}")
    for table in ("classes", "residuals"):
        for name, params in getattr(profile, table).items():
            lines.append(f'\n[{table}."{name}"]')
            lines.extend(f"{k} = {_value(getattr(params, k))}" for k in _set_fields(params))
    for table in ("sources", "fit"):
        if getattr(profile, table):
            lines.append(f"\n[{table}]")
            lines.extend(f'"{k}" = {_value(v)}' for k, v in getattr(profile, table).items())
    return "\n".join(lines) + "\n"
