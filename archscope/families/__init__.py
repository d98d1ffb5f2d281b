"""Registered network families; importing this package registers the built-in ones."""

from archscope.families.base import FAMILIES, Family, Help, Resolution, get_family, register_family
from archscope.families import ndnet as _ndnet  # noqa: F401  (registers "ndnet")

__all__ = ["FAMILIES", "Family", "Help", "Resolution", "get_family", "register_family"]
