"""A tiny NDNet space (162 configurations at 64x128) that the full model enumerates in
seconds, and helpers to run ``archscope search`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = """
name = "tiny"
family = "ndnet"
description = "tests: 3 widths x 27 depth combinations x 2 expansions at 64x128"

[constraints]
device = "titanx"
resolution = "64x128"
head = "fcn32"
min_fps = 1800.0
min_layers = 7
rules = []

[parameters.widths]
names = ["n1", "n2", "n3"]
choices = [4, 8, 12]
tie = "double"

[parameters.depths]
names = ["d1", "d2", "d3"]
low = 1
high = 3

[parameters.expansion]
name = "e"
choices = [2, 4]

[[objectives]]
metric = "layers"
direction = "maximize"

[[objectives]]
metric = "width"
direction = "maximize"
"""


@pytest.fixture
def tiny_space_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture
def tiny_space(tiny_space_file: Path):
    from archscope.search.space import load_space

    return load_space(tiny_space_file)


@pytest.fixture(scope="session")
def titanx():
    from archscope.latency.profile import load_profile

    return load_profile("titanx")


def archscope_process(*args: str, **kwargs) -> subprocess.Popen:
    """``archscope ARGS`` as a subprocess of this interpreter (stdout/stderr piped)."""
    command = [sys.executable, "-m", "archscope", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kwargs)
