"""The report tests' fixtures: the run folders of tests/search and the titanx profile."""

from __future__ import annotations

import pytest

from tests.search.conftest import infeasible_run, tiny_run, write_run  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def titanx():
    from archscope.latency.profile import load_profile

    return load_profile("titanx")
