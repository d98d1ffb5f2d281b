"""Memory sizes of the devices training memory is checked against.

A stand-in until the device profiles (``archscope.latency``) are the one source: swap
the body of ``device_memory_bytes`` for a profile lookup then.
"""

from __future__ import annotations

import os

GIB = 1 << 30

#: name -> (bytes, note). NVIDIA's specifications: TITAN X (Pascal) and TITAN Xp 12 GB
#: GDDR5X; Jetson TX2 8 GB LPDDR4, shared by the CPU and the GPU.
DEVICE_MEMORY: dict[str, tuple[int, str]] = {
    "titanx": (12 * GIB, "12 GB GDDR5X (the NDNet and ICNet papers' GPU)"),
    "titanxp": (12 * GIB, "12 GB GDDR5X (the VNet paper's GPU)"),
    "jetson-tx2": (8 * GIB, "8 GB LPDDR4 shared with the CPU and the OS"),
}


def local_memory_bytes() -> int:
    """This machine's physical RAM."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def device_memory_bytes(name: str) -> int:
    """Memory of device ``name`` (``local``: this machine's RAM)."""
    if name == "local":
        return local_memory_bytes()
    try:
        return DEVICE_MEMORY[name][0]
    except KeyError:
        raise KeyError(f"unknown device {name!r} (known: {', '.join(known_devices())})") from None


def known_devices() -> list[str]:
    return [*DEVICE_MEMORY, "local"]


def fits(total_bytes: int) -> dict[str, bool]:
    """Whether ``total_bytes`` fits in each known device's memory."""
    return {name: total_bytes <= device_memory_bytes(name) for name in known_devices()}
