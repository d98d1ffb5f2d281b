"""A tiny NDNet space (162 configurations at 64x128) that the full model enumerates in
seconds, run folders made from it (a fixed sample of its configurations written as a
run's trials), and helpers to run ``archscope search`` in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


TRIALS = 60


def write_run(folder: Path, *, min_fps: float | None = None, trials: int = TRIALS) -> Path:
    """A run folder as ``archscope search --out`` writes it (``min_fps`` overrides the space's)."""
    import tomllib

    from archscope.latency.profile import load_profile
    from archscope.search.exhaustive import enumerate_space
    from archscope.search.run import pareto_frame, write_config, write_csv
    from archscope.search.space import space_from_dict

    space = space_from_dict(tomllib.loads(TINY), origin="tiny.toml").with_overrides(min_fps=min_fps)
    table = enumerate_space(space, load_profile(space.constraints.device)).table
    frame = table.sample(n=min(trials, len(table)), random_state=0).reset_index(drop=True)
    frame.insert(0, "trial", range(len(frame)))
    frame.insert(1, "state", "COMPLETE")
    folder.mkdir(parents=True, exist_ok=True)
    pareto = pareto_frame(frame, space)
    write_csv(folder / "trials.csv", frame)
    write_csv(folder / "pareto.csv", pareto)
    command = f"archscope search --space tiny.toml --trials {trials} --out {folder}"
    run = {"command": command, "sampler": "tpe", "seed": 0}
    result = {"finished_trials": len(frame), "feasible_trials": int(frame["feasible"].sum()), "hypervolume_ratio": 0.5}
    write_config(folder / "config.toml", space, run, result)
    return folder


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    return write_run(tmp_path_factory.mktemp("runs") / "tiny-run")


@pytest.fixture(scope="session")
def infeasible_run(tmp_path_factory) -> Path:
    """A run whose constraint no configuration meets: zero feasible trials."""
    return write_run(tmp_path_factory.mktemp("runs") / "infeasible-run", min_fps=1e9)


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL URL: ``$ARCHSCOPE_TEST_POSTGRES_URL`` (``.ci/run`` starts a server), else
    a throwaway server started here, else the test is skipped."""
    from tests.search import pg_server

    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'archscope[postgres]'")
    given = os.environ.get("ARCHSCOPE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    # not under pytest's tmp folders: the server may run as another user (postgres), who
    # must be able to reach its folder
    folder = Path(tempfile.mkdtemp(prefix="archscope-pg-"))
    try:
        url = pg_server.start(folder)
    except pg_server.ServerUnavailable as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"no PostgreSQL server could be started here: {error}")
    yield url
    pg_server.stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


