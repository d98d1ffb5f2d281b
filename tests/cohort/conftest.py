"""A tiny search run (tests/search's) and a recipe that trains its networks in a second
or two each: 32x32 crops, batch 2, a few steps, one torch thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.search.conftest import tiny_run, titanx, write_run  # noqa: F401  (fixtures)

#: the recipe of every cohort test (the networks and the folder are set per network)
RECIPE = dict(family="ndnet", hyper={}, steps=4, batch=2, crop=(32, 32), eval_every=2, eval_images=4,
              checkpoint_every=2)


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Many tiny networks: one torch thread."""


def recipe(out: Path, **changes):
    from archscope.train.config import TrainConfig

    return TrainConfig(**{**RECIPE, "out": out, **changes})


def request(run, members, out: Path, **changes):
    from archscope.cohort.runner import CohortRequest

    storage = changes.pop("storage", None)
    return CohortRequest(recipe=recipe(out, **changes), members=members, out=out, run=run.path,
                         device=run.space.constraints.device, resolution="64x128", storage=storage)


@pytest.fixture(scope="session")
def loaded_run(tiny_run):
    from archscope.search.folder import load_run

    return load_run(tiny_run)
