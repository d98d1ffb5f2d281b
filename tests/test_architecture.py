"""The package's structure holds: nothing inside imports the public facade, and a
regular (non-editable) install carries every data file and works from any folder."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "archscope"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_module_of_the_package_imports_the_api():
    facade = {PACKAGE / "api.py", PACKAGE / "__init__.py"}
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
                 if p not in facade and "archscope.api" in _imports(p)]
    assert offenders == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                   check=True, capture_output=True)
    return next(out.glob("archscope-*.whl"))


@pytest.mark.slow
def test_the_wheel_ships_every_data_file(wheel):
    data = {str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert data - shipped == set()
    assert {"archscope/spaces/ndnet.toml", "archscope/devices/titanx.toml"} <= shipped


@pytest.mark.slow
def test_a_regular_install_searches_from_any_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}  # the installed copy, not this checkout
    result = subprocess.run(
        [sys.executable, "-c", "import archscope, archscope.cli, sys; print(archscope.__file__); sys.exit(archscope.cli.main(sys.argv[1:]))",
         "search", "--min-fps", "50", "--trials", "5", "--no-true-front", "--out", "run", "--format", "json"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(site)), result.stdout[:200]
    assert (elsewhere / "run" / "pareto.csv").is_file()
