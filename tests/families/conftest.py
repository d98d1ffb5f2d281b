"""Family tests run many tiny networks: one torch thread (``tests/conftest.py``)."""

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_torch_thread):
    yield
