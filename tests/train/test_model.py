"""The network a run trains."""

import pytest

from archscope.families import get_family
from archscope.families.ndnet import Head, Transition
from archscope.train.model import segmentation_network


def test_hyper_parameters_round_trip_through_plain_data():
    family = get_family("ndnet")
    typed = {"widths": (8, 16), "depths": (1, 2), "head": Head.FCN32, "transition": Transition.STRIDED}
    plain = family.plain(typed)
    assert plain == {"widths": [8, 16], "depths": [1, 2], "head": "fcn32", "transition": "strided"}
    assert family.typed(plain) == typed


def test_segmentation_network_has_per_pixel_scores():
    network = segmentation_network(
        "ndnet", {"widths": [8, 16], "depths": [1, 1]}, classes=6, batch=3, resolution=(32, 64)
    )
    assert tuple(network.output_shape) == (3, 6, 32, 64)


@pytest.mark.parametrize(
    "hyper, batch, message",
    [
        ({"widths": [8, 16], "depths": [1, 1], "head": "none"}, 2, "segmentation head"),
        ({"widths": [8, 16], "depths": [1, 1], "classes": 3}, 2, "sets classes"),
        ({"widths": [8, 16, 32], "depths": [1, 1, 1]}, 1, "block3.proj_bn .*one value per channel"),
    ],
)
def test_networks_that_cannot_train_are_refused(hyper, batch, message):
    with pytest.raises(ValueError, match=message):
        segmentation_network("ndnet", hyper, classes=6, batch=batch, resolution=(32, 32))
    if batch == 1:  # the same network trains with two images per step
        segmentation_network("ndnet", hyper, classes=6, batch=2, resolution=(32, 32))
