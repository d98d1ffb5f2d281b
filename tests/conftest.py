"""Tests never read or write the user's calibrated device profiles; modules of many tiny
networks can ask for one torch thread."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _own_devices_folder(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("ARCHSCOPE_DEVICES", str(tmp_path_factory.mktemp("devices")))


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module: faster for many tiny networks (no thread spin-up per
    op, no contention on a busy 2-core runner); counts do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
