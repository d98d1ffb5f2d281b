"""Tests never read or write the user's calibrated device profiles."""

import pytest


@pytest.fixture(autouse=True)
def _own_devices_folder(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("ARCHSCOPE_DEVICES", str(tmp_path_factory.mktemp("devices")))
