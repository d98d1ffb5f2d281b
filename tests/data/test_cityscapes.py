"""The Cityscapes reader on a tiny folder in the official layout."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from archscope.data import IGNORE_INDEX, CityscapesDataset, DatasetError, open_datasets
from archscope.data.cityscapes import CLASSES, ID_TO_TRAIN_ID, lookup_table, official_id_to_train_id


def write_city(root: Path, split: str, city: str, name: str, ids: np.ndarray) -> None:
    (root / "leftImg8bit" / split / city).mkdir(parents=True, exist_ok=True)
    (root / "gtFine" / split / city).mkdir(parents=True, exist_ok=True)
    rgb = np.stack([ids * 7 % 256, ids * 3 % 256, np.full_like(ids, 200)], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(root / "leftImg8bit" / split / city / f"{name}_leftImg8bit.png")
    Image.fromarray(ids.astype(np.uint8), mode="L").save(root / "gtFine" / split / city / f"{name}_gtFine_labelIds.png")


@pytest.fixture
def cityscapes(tmp_path):
    ids = np.arange(8 * 12, dtype=np.int64).reshape(8, 12) % 36  # every label id 0..35
    for split in ("train", "val"):
        write_city(tmp_path, split, "aachen", "aachen_000000_000019", ids)
        write_city(tmp_path, split, "bremen", "bremen_000001_000019", ids[::-1].copy())
    return tmp_path, ids


def test_reads_pairs_and_maps_ids_to_train_ids(cityscapes):
    root, ids = cityscapes
    data = CityscapesDataset(root, split="train")
    assert len(data) == 2 and data.classes == CLASSES and len(CLASSES) == 19
    image, label = data[0]  # aachen comes first (sorted)
    assert image.shape == (3, 8, 12) and image.dtype == torch.float32
    assert float(image[2].mean()) == pytest.approx(200 / 255)
    # road (id 7) -> 0, sidewalk (8) -> 1, bicycle (33) -> 18; unlabeled (0), parking (9),
    # caravan (29) and ids above 33 are ignored
    flat_ids, flat_labels = ids.reshape(-1), label.reshape(-1)
    expected = {7: 0, 8: 1, 26: 13, 33: 18, 0: IGNORE_INDEX, 9: IGNORE_INDEX, 29: IGNORE_INDEX, 35: IGNORE_INDEX}
    for label_id, train_id in expected.items():
        assert set(flat_labels[flat_ids == label_id].tolist()) == {train_id}
    assert set(label.unique().tolist()) == set(range(19)) | {IGNORE_INDEX}


def test_in_repo_table_matches_the_official_package_when_installed():
    official = official_id_to_train_id()
    if official is None:
        pytest.skip("cityscapesscripts is not installed (pip install archscope[cityscapes])")
    assert official == ID_TO_TRAIN_ID


def test_lookup_table_has_19_train_ids():
    table = lookup_table()
    assert sorted(set(table.tolist()) - {IGNORE_INDEX}) == list(range(19))


def test_open_datasets_reads_both_splits(cityscapes):
    root, _ = cityscapes
    for spec in (f"cityscapes:{root}", str(root)):
        splits = open_datasets(spec, crop=(8, 8))
        assert len(splits.train) == len(splits.val) == 2 and splits.name == "cityscapes"


def test_missing_or_malformed_folders_are_named(cityscapes, tmp_path):
    root, _ = cityscapes
    with pytest.raises(DatasetError, match="is not a folder"):
        CityscapesDataset(root / "nowhere")
    with pytest.raises(DatasetError, match="lacks leftImg8bit/test"):
        CityscapesDataset(root, split="test")
    (root / "gtFine" / "val" / "bremen" / "bremen_000001_000019_gtFine_labelIds.png").unlink()
    with pytest.raises(DatasetError, match="bremen_000001_000019_leftImg8bit.png has no label file"):
        CityscapesDataset(root, split="val")
    with pytest.raises(DatasetError, match="unknown dataset 'imagenet'"):
        open_datasets("imagenet", crop=(8, 8))


def test_unreadable_and_mismatched_files_are_named(cityscapes):
    root, ids = cityscapes
    label = root / "gtFine" / "train" / "bremen" / "bremen_000001_000019_gtFine_labelIds.png"
    label.write_bytes(b"not a png")
    data = CityscapesDataset(root, split="train")
    with pytest.raises(DatasetError, match="cannot read .*bremen_000001_000019_gtFine_labelIds.png"):
        data[1]
    Image.fromarray(ids[:4].astype(np.uint8), mode="L").save(label)
    with pytest.raises(DatasetError, match="is 4x12 but its image is 8x12"):
        data[1]
    Image.fromarray(np.zeros((8, 12, 3), np.uint8)).save(label)
    with pytest.raises(DatasetError, match="mode RGB, expected 8-bit label ids"):
        data[1]
