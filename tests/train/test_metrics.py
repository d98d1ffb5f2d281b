"""Confusion matrix and IoU on hand-computed cases."""

import math

import pytest
import torch

from archscope.data import IGNORE_INDEX
from archscope.train.metrics import confusion_matrix, scores


def test_confusion_matrix_counts_target_prediction_pairs_and_skips_ignored_pixels():
    target = torch.tensor([[0, 0, 1, 1], [2, 2, IGNORE_INDEX, 1]])
    predicted = torch.tensor([[0, 1, 1, 1], [2, 0, 2, 0]])
    expected = torch.tensor(
        [
            [1, 1, 0],  # class 0: one right, one taken for 1
            [1, 2, 0],  # class 1: two right, one taken for 0 (the ignored pixel predicted 2 is not counted)
            [1, 0, 1],  # class 2: one right, one taken for 0
        ]
    )
    assert torch.equal(confusion_matrix(predicted, target, classes=3), expected)


def test_iou_per_class_mean_and_accuracy_by_hand():
    confusion = torch.tensor([[1, 1, 0], [1, 2, 0], [1, 0, 1]])
    result = scores(confusion)
    # IoU = TP / (row + column - TP): class 0: 1/(2+3-1) = 1/4; class 1: 2/(3+3-2) = 1/2; class 2: 1/(2+1-1) = 1/2
    assert result.iou == pytest.approx((0.25, 0.5, 0.5))
    assert result.miou == pytest.approx((0.25 + 0.5 + 0.5) / 3)
    assert result.pixel_accuracy == pytest.approx(4 / 7)


def test_a_class_absent_from_truth_and_prediction_is_left_out_of_the_mean():
    result = scores(torch.tensor([[3, 1, 0], [0, 2, 0], [0, 0, 0]]))
    assert math.isnan(result.iou[2])
    assert result.miou == pytest.approx((3 / 4 + 2 / 3) / 2)


def test_a_class_never_right_has_iou_zero():
    result = scores(torch.tensor([[0, 2], [0, 0]]))
    assert result.iou == (0.0, 0.0) and result.miou == 0.0


def test_labels_out_of_range_are_an_error():
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix(torch.tensor([0]), torch.tensor([3]), classes=3)
