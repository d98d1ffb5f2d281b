"""The report tests' fixtures: the run folders of tests/search and the titanx profile."""

from __future__ import annotations

import pytest

from tests.search.conftest import infeasible_run, tiny_run, tiny_space_file, write_run  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def titanx():
    from archscope.latency.profile import load_profile

    return load_profile("titanx")


@pytest.fixture(scope="session")
def trained_cohort(tiny_run, tmp_path_factory):
    """A cohort folder: two front rows and NDNet29 of the tiny run, trained for 4 steps."""
    import torch

    from archscope.cohort.networks import choose
    from archscope.cohort.runner import run_cohort
    from archscope.latency.profile import load_profile
    from archscope.search.folder import load_run
    from tests.cohort.conftest import request

    run = load_run(tiny_run)
    out = tmp_path_factory.mktemp("cohorts") / "trained"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_cohort(request(run, choose(run, load_profile("titanx"), rows="0,1", baselines="ndnet29"), out))
    finally:
        torch.set_num_threads(threads)
    return out
