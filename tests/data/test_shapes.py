"""The procedural dataset: deterministic, varied, every class present, any size."""

import torch

from archscope.data import IGNORE_INDEX, ShapesDataset, open_datasets


def test_same_seed_and_index_give_the_same_scene():
    a = ShapesDataset(size=(48, 64), seed=3)[17]
    b = ShapesDataset(size=(48, 64), seed=3)[17]
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_scenes_differ_by_index_seed_and_split():
    base = ShapesDataset(size=(48, 64), seed=3)
    others = [base[18], ShapesDataset(size=(48, 64), seed=4)[17], ShapesDataset(size=(48, 64), split="val", seed=3)[17]]
    for image, _ in others:
        assert not torch.equal(image, base[17][0])


def test_images_and_labels_are_well_formed_at_odd_sizes():
    for size in [(33, 47), (96, 96)]:
        image, label = ShapesDataset(size=size)[0]
        assert image.shape == (3, *size) and image.dtype == torch.float32
        assert 0 <= float(image.min()) and float(image.max()) <= 1
        assert label.shape == size and label.dtype == torch.int64
        assert set(label.unique().tolist()) <= set(range(len(ShapesDataset.classes))) | {IGNORE_INDEX}


def test_every_class_and_the_ignore_label_occur():
    data = ShapesDataset(size=(64, 64))
    seen = set()
    for index in range(30):
        seen |= set(data[index][1].unique().tolist())
    assert seen == set(range(len(ShapesDataset.classes))) | {IGNORE_INDEX}


def test_open_datasets_gives_train_and_val_of_the_crop_size():
    splits = open_datasets("shapes", crop=(40, 56), seed=1)
    assert splits.classes == ShapesDataset.classes
    assert splits.train[0][0].shape == splits.val[0][0].shape == (3, 40, 56)
    assert not torch.equal(splits.train[0][0], splits.val[0][0])
