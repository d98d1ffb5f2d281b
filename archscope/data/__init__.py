"""Segmentation datasets: the built-in procedural ``shapes`` and a Cityscapes reader.

``open_datasets("shapes", crop=(128, 128))`` or ``open_datasets("cityscapes:DIR", ...)``
gives the training and validation splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archscope.data.base import IGNORE_INDEX, DatasetError, SegmentationDataset
from archscope.data.cityscapes import CityscapesDataset
from archscope.data.shapes import ShapesDataset

#: validation scenes of the shapes dataset (evaluation uses the first --eval-images)
SHAPES_VAL_LENGTH = 1000


@dataclass(frozen=True)
class DataSplits:
    name: str
    train: SegmentationDataset
    val: SegmentationDataset

    @property
    def classes(self) -> tuple[str, ...]:
        return self.train.classes


def open_datasets(spec: str, *, crop: tuple[int, int], seed: int = 0) -> DataSplits:
    """``shapes`` (procedural scenes of the crop size), or ``cityscapes:DIR`` (a bare
    existing folder also means Cityscapes)."""
    if spec == "shapes":
        return DataSplits(
            "shapes",
            ShapesDataset(size=crop, split="train", seed=seed),
            ShapesDataset(size=crop, split="val", length=SHAPES_VAL_LENGTH, seed=seed),
        )
    kind, _, root = spec.partition(":")
    if kind == "cityscapes" and root:
        path = Path(root)
    elif Path(spec).is_dir():
        path = Path(spec)
    else:
        raise DatasetError(f"unknown dataset {spec!r}: expected 'shapes' or 'cityscapes:DIR'")
    return DataSplits("cityscapes", CityscapesDataset(path, split="train"), CityscapesDataset(path, split="val"))


__all__ = [
    "IGNORE_INDEX",
    "CityscapesDataset",
    "DataSplits",
    "DatasetError",
    "SegmentationDataset",
    "ShapesDataset",
    "open_datasets",
]
