"""Checkpoints written atomically and checked when read.

File layout: one header line ``ARCHSCOPE-CHECKPOINT 1 <payload bytes> <sha256>``, then a
``torch.save`` payload. Writing goes to a temporary file in the same folder, fsync'ed and
renamed over the old one, so a crash leaves either the old or the new checkpoint. Reading
checks the length and the digest before unpickling (with ``weights_only=True``): a
truncated, altered or foreign file raises ``CheckpointError`` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import torch

MAGIC = b"ARCHSCOPE-CHECKPOINT"
VERSION = 1
NAME = "checkpoint.pt"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why in one line."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    header = b"%s %d %d %s\n" % (MAGIC, VERSION, len(payload), hashlib.sha256(payload).hexdigest().encode())
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(header)
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    data = path.read_bytes()
    header, newline, payload = data.partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) != 4 or fields[0] != MAGIC:
        raise CheckpointError(f"{path} is not an archscope checkpoint (bad header)")
    if fields[1] != str(VERSION).encode():
        raise CheckpointError(f"{path} has checkpoint format {fields[1].decode(errors='replace')}, expected {VERSION}")
    if not fields[2].isdigit() or int(fields[2]) != len(payload):
        expected = fields[2].decode(errors="replace")
        raise CheckpointError(f"{path} is truncated or corrupt ({len(payload)} payload bytes, header says {expected})")
    if hashlib.sha256(payload).hexdigest().encode() != fields[3]:
        raise CheckpointError(f"{path} is corrupt (sha256 mismatch)")
    try:
        return torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
    except Exception as error:  # noqa: BLE001 - any unpickling failure means the same
        raise CheckpointError(f"{path} cannot be read: {type(error).__name__}") from None
