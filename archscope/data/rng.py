"""Random generators keyed by (seed, stream, index): the same key, the same numbers, in
any process, worker or resumed run."""

from __future__ import annotations

import zlib

import numpy as np
import torch


def seed_for(seed: int, stream: str, index: int) -> int:
    """A 63-bit seed mixed from the key by numpy's SeedSequence (well spread, stable)."""
    entropy = [seed & 0xFFFFFFFF, zlib.crc32(stream.encode()), index & 0xFFFFFFFF, index >> 32]
    high, low = (int(word) for word in np.random.SeedSequence(entropy).generate_state(2, np.uint32))
    return (high << 31) ^ low


def generator_for(seed: int, stream: str, index: int) -> torch.Generator:
    """A CPU torch generator seeded from ``(seed, stream, index)``."""
    return torch.Generator().manual_seed(seed_for(seed, stream, index))
