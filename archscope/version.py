"""Installed versions of archscope and the libraries a run records."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _installed


def version(package: str = "archscope") -> str:
    """The installed version of ``package`` (``unknown`` when it is not installed)."""
    try:
        return _installed(package)
    except PackageNotFoundError:
        return "unknown"
