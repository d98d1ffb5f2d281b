"""The training stream: positions, sharding and augmentation."""

import torch

from archscope.data import IGNORE_INDEX, ShapesDataset
from archscope.data.stream import EvalView, PositionSampler, TrainStream
from archscope.data.transforms import augment, random_crop


def test_positions_cover_each_step_once_across_processes():
    ranks = [list(PositionSampler(first_step=1, last_step=3, batch=2, rank=r, world=3)) for r in range(3)]
    assert sorted(p for rank in ranks for p in rank) == list(range(18))
    assert ranks[1][:2] == [2, 3]  # step 1: rank 0 has 0,1, rank 1 has 2,3
    resumed = list(PositionSampler(first_step=3, last_step=3, batch=2, rank=1, world=3))
    assert resumed == ranks[1][4:]


def test_a_position_is_the_same_sample_anywhere():
    data = ShapesDataset(size=(32, 32), length=5)
    a = TrainStream(data, crop=(24, 24), scales=(0.75, 1.5), seed=2)
    b = TrainStream(data, crop=(24, 24), scales=(0.75, 1.5), seed=2)
    for position in (0, 7, 12, 3):  # out of order, across epochs
        assert torch.equal(a[position][0], b[position][0]) and torch.equal(a[position][1], b[position][1])
    epoch0 = sorted(a.index_of(p) for p in range(5))
    assert epoch0 == list(range(5))  # each image once per epoch


def test_augment_shapes_and_padding_with_the_ignore_label():
    image, label = torch.rand(3, 10, 12), torch.randint(0, 3, (10, 12))
    out_image, out_label = augment(
        image, label, crop=(16, 16), scales=(1.0,), generator=torch.Generator().manual_seed(0)
    )
    assert out_image.shape == (3, 16, 16) and out_label.shape == (16, 16)
    assert int((out_label == IGNORE_INDEX).sum()) == 16 * 16 - 10 * 12
    small_image, small_label = augment(image, label, crop=(5, 6), scales=(2.0,), generator=torch.Generator())
    assert small_image.shape == (3, 5, 6) and set(small_label.unique().tolist()) <= {0, 1, 2}


def test_crop_keeps_image_and_labels_aligned():
    label = torch.arange(8 * 9).reshape(8, 9)
    image = label[None].float().repeat(3, 1, 1)
    crop_image, crop_label = random_crop(image, label, (4, 5), torch.Generator().manual_seed(1))
    assert torch.equal(crop_image[0].long(), crop_label)


def test_eval_view_shards_the_first_images():
    data = ShapesDataset(size=(8, 8), length=10)
    shards = [EvalView(data, count=7, rank=r, world=2).indices for r in range(2)]
    assert shards == [[0, 2, 4, 6], [1, 3, 5]]
