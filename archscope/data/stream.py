"""The training stream: every sample of a run has a global position, and what it is
(which image, which augmentation) depends only on that position and the seed. A resumed
run, a different number of data workers or another process of a distributed run
therefore sees exactly the samples it would have seen in one uninterrupted run.

Step ``s`` (counted from 1) of a run with ``world`` processes of ``batch`` images each
uses positions ``(s-1)·batch·world + rank·batch + i`` for ``i < batch``.
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch.utils.data import Dataset, Sampler

from archscope.data.base import SegmentationDataset
from archscope.data.rng import generator_for
from archscope.data.transforms import augment, normalize


class TrainStream(Dataset):
    """Position -> augmented sample. Position p reads image ``perm_e[p mod n]`` of a
    permutation drawn per epoch e = p div n, and augments it with a generator keyed by p."""

    def __init__(
        self, dataset: SegmentationDataset, *, crop: tuple[int, int], scales: tuple[float, ...], seed: int
    ) -> None:
        self.dataset, self.crop, self.scales, self.seed = dataset, crop, scales, seed
        self._epoch, self._permutation = -1, torch.empty(0, dtype=torch.int64)

    def __len__(self) -> int:
        return 1 << 62  # unbounded: positions are given by a PositionSampler

    def index_of(self, position: int) -> int:
        epoch, offset = divmod(position, len(self.dataset))
        if epoch != self._epoch:
            generator = generator_for(self.seed, "epoch", epoch)
            self._epoch, self._permutation = epoch, torch.randperm(len(self.dataset), generator=generator)
        return int(self._permutation[offset])

    def __getitem__(self, position: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self.dataset[self.index_of(position)]
        generator = generator_for(self.seed, "augment", position)
        return augment(image, label, crop=self.crop, scales=self.scales, generator=generator)


class PositionSampler(Sampler[int]):
    """This process's positions for steps ``first_step..last_step`` (inclusive)."""

    def __init__(self, *, first_step: int, last_step: int, batch: int, rank: int = 0, world: int = 1) -> None:
        self.first_step, self.last_step, self.batch, self.rank, self.world = first_step, last_step, batch, rank, world

    def __iter__(self) -> Iterator[int]:
        for step in range(self.first_step, self.last_step + 1):
            start = (step - 1) * self.batch * self.world + self.rank * self.batch
            yield from range(start, start + self.batch)

    def __len__(self) -> int:
        return max(self.last_step - self.first_step + 1, 0) * self.batch


class EvalView(Dataset):
    """The first ``count`` samples of a dataset, normalised, every ``world``-th one
    from ``rank`` on (the shard of one process)."""

    def __init__(self, dataset: SegmentationDataset, *, count: int, rank: int = 0, world: int = 1) -> None:
        self.dataset = dataset
        self.indices = list(range(min(count, len(dataset))))[rank::world]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self.dataset[self.indices[index]]
        return normalize(image), label
