"""Checkpoints: atomic round trip; truncated, altered or foreign files refused."""

import pytest
import torch

from archscope.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def state():
    return {"step": 7, "model": {"w": torch.arange(6.0).reshape(2, 3)}, "config": {"lr": 0.1, "crop": [8, 8]}}


def test_round_trip_and_no_temporary_file_left(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, state())
    loaded = load_checkpoint(path)
    assert loaded["step"] == 7 and torch.equal(loaded["model"]["w"], state()["model"]["w"])
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_overwriting_replaces_the_whole_file(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {**state(), "model": {"w": torch.zeros(1000)}})
    save_checkpoint(path, state())
    assert load_checkpoint(path)["model"]["w"].shape == (2, 3)


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda data: data[: len(data) // 2], "truncated or corrupt"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "sha256 mismatch"),
        (lambda data: b"PK\x03\x04" + data, "not an archscope checkpoint"),
        (lambda data: b"", "not an archscope checkpoint"),
    ],
)
def test_damaged_checkpoints_are_refused_with_one_line(tmp_path, damage, reason):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, state())
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=reason) as error:
        load_checkpoint(path)
    assert "\n" not in str(error.value)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "checkpoint.pt")
