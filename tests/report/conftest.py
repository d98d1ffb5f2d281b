"""Search run folders made in seconds: the tiny NDNet space of tests/search, every
configuration evaluated, a fixed sample of them written as a run's trials."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.search.conftest import TINY

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


@pytest.fixture(scope="session")
def titanx():
    from archscope.latency.profile import load_profile

    return load_profile("titanx")
