"""Cityscapes, read from the official folder layout::

    ROOT/leftImg8bit/<split>/<city>/<name>_leftImg8bit.png     RGB images
    ROOT/gtFine/<split>/<city>/<name>_gtFine_labelIds.png      label ids (8-bit)

Label ids become the 19 train ids of the official label table; every other id (void,
and the classes the benchmark ignores) becomes ``IGNORE_INDEX``. The table is taken from
the ``cityscapesscripts`` package when it is installed (``pip install
archscope[cityscapes]``), otherwise from ``ID_TO_TRAIN_ID`` below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from archscope.data.base import IGNORE_INDEX, DatasetError

IMAGE_SUFFIX = "_leftImg8bit.png"
LABEL_SUFFIX = "_gtFine_labelIds.png"

#: The 19 evaluated classes, in train-id order.
# fmt: off
CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
    "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
)

#: label id -> train id of the 19 evaluated classes; every other id is ignored.
#: Copied from the ``labels`` table of cityscapesScripts
#: (github.com/mcordts/cityscapesScripts, cityscapesscripts/helpers/labels.py, v2.3.0,
#: MIT license); used only when that package is not installed.
ID_TO_TRAIN_ID: dict[int, int] = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}
# fmt: on


def official_id_to_train_id() -> dict[int, int] | None:
    """The mapping read from ``cityscapesscripts``, or ``None`` if it is not installed."""
    try:
        from cityscapesscripts.helpers.labels import labels
    except ImportError:
        return None
    return {label.id: label.trainId for label in labels if label.id >= 0 and 0 <= label.trainId < len(CLASSES)}


def lookup_table() -> torch.Tensor:
    """A 256-entry table: label id -> train id (``IGNORE_INDEX`` for the rest)."""
    mapping = official_id_to_train_id() or ID_TO_TRAIN_ID
    table = torch.full((256,), IGNORE_INDEX, dtype=torch.int64)
    for label_id, train_id in mapping.items():
        table[label_id] = train_id
    return table


def _pairs(root: Path, split: str) -> list[tuple[Path, Path]]:
    """(image, label) paths of a split, sorted; errors name what is missing."""
    if not root.is_dir():
        raise DatasetError(f"cityscapes: {root} is not a folder")
    images_dir, labels_dir = root / "leftImg8bit" / split, root / "gtFine" / split
    for folder in (images_dir, labels_dir):
        if not folder.is_dir():
            raise DatasetError(f"cityscapes: {root} lacks {folder.relative_to(root)}/ (expected the official layout)")
    images = sorted(images_dir.glob(f"*/*{IMAGE_SUFFIX}"))
    if not images:
        raise DatasetError(f"cityscapes: no <city>/*{IMAGE_SUFFIX} under {images_dir}")
    pairs = []
    for image in images:
        label = labels_dir / image.parent.name / (image.name[: -len(IMAGE_SUFFIX)] + LABEL_SUFFIX)
        if not label.is_file():
            raise DatasetError(f"cityscapes: {image.name} has no label file {label}")
        pairs.append((image, label))
    return pairs


def _read(path: Path, *, labels: bool) -> np.ndarray:
    """An image as RGB, or a label file's raw 8-bit ids (mode L or P)."""
    from PIL import Image  # Pillow comes with fvcore; only Cityscapes needs it

    try:
        picture = Image.open(path)
        picture.load()
    except (OSError, ValueError) as error:
        raise DatasetError(f"cityscapes: cannot read {path}: {error}") from None
    with picture:
        if not labels:
            return np.asarray(picture.convert("RGB"))
        if picture.mode not in ("L", "P"):
            raise DatasetError(f"cityscapes: {path} has mode {picture.mode}, expected 8-bit label ids")
        return np.asarray(picture)


class CityscapesDataset:
    """One split of a Cityscapes folder (``train``, ``val`` or ``test``)."""

    classes = CLASSES

    def __init__(self, root: str | Path, *, split: str = "train") -> None:
        self.root, self.split = Path(root), split
        self.pairs = _pairs(self.root, split)
        self.table = lookup_table()

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image_path, label_path = self.pairs[index]
        image = _read(image_path, labels=False)
        ids = _read(label_path, labels=True)
        if image.shape[:2] != ids.shape:
            raise DatasetError(
                f"cityscapes: {label_path.name} is {ids.shape[0]}x{ids.shape[1]} but its image is "
                f"{image.shape[0]}x{image.shape[1]}"
            )
        pixels = torch.from_numpy(image.copy()).permute(2, 0, 1).float().div_(255)
        return pixels, self.table[torch.from_numpy(ids.astype(np.int64))]
