"""Registered network families; importing this package registers the built-in ones."""

from archscope.families.base import DEFAULT_FAMILY, FAMILIES, BlockLinear, Family, Help, HyperError, HyperParam, Preset, Resolution, get_family, register_family
from archscope.families import ndnet as _ndnet  # noqa: F401  (registers "ndnet")
from archscope.families import erfnet as _erfnet  # noqa: F401  (registers "erfnet")
from archscope.families import enet as _enet  # noqa: F401  (registers "enet")
from archscope.families import espnet as _espnet  # noqa: F401  (registers "espnet")
from archscope.families import icnet as _icnet  # noqa: F401  (registers "icnet")
from archscope.families import vnet as _vnet  # noqa: F401  (registers "vnet")

__all__ = ["DEFAULT_FAMILY", "FAMILIES", "BlockLinear", "Family", "Help", "HyperError", "HyperParam", "Preset", "Resolution", "get_family",
           "register_family"]
