"""Memory sizes of the devices training memory is checked against: the device profiles'
``memory_bytes`` (``archscope/devices/*.toml`` and the user's calibrated profiles, see
``archscope.latency.profile``), so each size is written once, with its source, in the
profile. ``local`` is this machine: its physical RAM, read now (what ``archscope
calibrate`` records in a calibrated local profile; the shipped placeholder's figure is a
guess).
"""

from __future__ import annotations

import os

from archscope.latency.profile import available_profiles, load_profile

GIB = 1 << 30
LOCAL = "local"


def local_memory_bytes() -> int:
    """This machine's physical RAM."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def device_memory_bytes(name: str) -> int:
    """Memory of device ``name`` (a profile name or .toml path; ``local``: this machine's
    RAM). ``ProfileError`` (a ``ValueError``) for an unknown device."""
    if name == LOCAL:
        return local_memory_bytes()
    return int(load_profile(name).memory_bytes)


def known_devices() -> list[str]:
    """The profiles' names (shipped and the user's), ``local`` included."""
    return sorted({*available_profiles(), LOCAL})


def fits(total_bytes: int) -> dict[str, bool]:
    """Whether ``total_bytes`` fits in each known device's memory."""
    return {name: total_bytes <= device_memory_bytes(name) for name in known_devices()}
