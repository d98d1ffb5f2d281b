"""Gradual grouping: the schedule, the masked dense convs, their conversion to real grouped
convs with identical outputs, and runs that train, convert and resume with it."""

import pytest
import torch

from archscope import api
from archscope.torch_module import to_torch
from archscope.train import train
from archscope.train.checkpoint import load_checkpoint
from archscope.train.grouping import (
    GroupMaskedConv2d,
    dense_network,
    diagonal_blocks,
    grouped_convs,
    masked_convs,
    masked_dense_module,
    set_off_block_scale,
    to_grouped,
)
from archscope.train.schedule import GroupingSchedule
from tests.train.hooks import CrashAt

TINY_ERFNET = {"widths": [8, 16, 32], "depths": [1, 1], "decoder_depths": [1, 1], "conv": "grouped", "groups": 4}


def erfnet(conv="grouped", **changes):
    config = dict(widths=(8, 16, 32), depths=(1, 2), decoder_depths=(1, 1), conv=conv, groups=4,
                  resolution=(32, 32), batch=2, classes=6)
    return api.build("erfnet", **{**config, **changes})


def test_schedule_fades_from_one_to_zero():
    schedule = GroupingSchedule(0.2, 0.6)
    scales = [schedule.off_block_scale(step, 10) for step in range(1, 11)]
    assert scales == pytest.approx([1, 1, 0.75, 0.5, 0.25, 0, 0, 0, 0, 0])
    assert GroupingSchedule(0, 1).off_block_scale(10, 10) == 0  # the last step is grouped
    for bad in [(0.6, 0.2), (-0.1, 0.5), (0.5, 1.5), (0.3, 0.3)]:
        with pytest.raises(ValueError, match="0 <= START < END <= 1"):
            GroupingSchedule(*bad)


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_a_masked_conv_at_zero_is_the_grouped_conv(groups):
    torch.manual_seed(0)
    dense = torch.nn.Conv2d(8, 16, (3, 1), padding=(2, 0), dilation=(2, 1), bias=True).double()
    masked = GroupMaskedConv2d(dense, groups).double()
    x = torch.randn(2, 8, 6, 5, dtype=torch.float64)
    assert torch.equal(masked(x), dense(x))  # alpha = 1: the dense conv
    masked.off_block_scale.fill_(0)
    grouped = torch.nn.Conv2d(8, 16, (3, 1), padding=(2, 0), dilation=(2, 1), groups=groups, bias=True).double()
    grouped.weight.data = diagonal_blocks(masked.weight.data, groups)
    grouped.bias.data = masked.bias.data.clone()
    assert torch.allclose(masked(x), grouped(x), rtol=0, atol=1e-13)
    # alpha = 0: the off-block weights get no gradient; the diagonal blocks get the grouped conv's
    masked(x).square().sum().backward()
    grouped(x).square().sum().backward()
    off_block = 1 - masked.block_mask.expand_as(masked.weight)
    assert torch.all(masked.weight.grad[off_block.bool()] == 0)
    assert torch.allclose(diagonal_blocks(masked.weight.grad, groups), grouped.weight.grad, atol=1e-12)


def test_halfway_the_off_block_weights_count_half():
    torch.manual_seed(0)
    dense = torch.nn.Conv2d(4, 4, 1, bias=False).double()
    masked = GroupMaskedConv2d(dense, 2).double()
    masked.off_block_scale.fill_(0.5)
    expected = dense.weight * torch.tensor([[1, 1, 0.5, 0.5], [1, 1, 0.5, 0.5], [0.5, 0.5, 1, 1], [0.5, 0.5, 1, 1]],
                                           dtype=torch.float64)[:, :, None, None]
    assert torch.equal(masked.masked_weight(), expected)


@pytest.mark.parametrize("conv", ["grouped", "shuffled", "separable"])
def test_conversion_gives_the_grouped_network_with_identical_outputs(conv):
    target = erfnet(conv)
    assert grouped_convs(target) and not grouped_convs(dense_network(target))
    torch.manual_seed(0)
    model = masked_dense_module(target).double()
    dense = to_torch(dense_network(target)).double()
    dense.load_state_dict({k: v for k, v in model.state_dict().items() if not k.endswith("off_block_scale")})
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    model.eval(), dense.eval()
    assert torch.equal(model(x), dense(x))  # alpha = 1: the dense network
    with pytest.raises(ValueError, match="schedule has not ended"):
        to_grouped(model, target)
    set_off_block_scale(model, 0.0)
    grouped = to_grouped(model, target).double().eval()
    assert torch.allclose(grouped(x), model(x), rtol=0, atol=1e-12)
    assert sum(p.numel() for p in grouped.parameters()) == api.cost(target).total.all_params
    assert len(masked_convs(model)) == len(grouped_convs(target))


def test_a_network_without_grouped_convs_is_refused():
    with pytest.raises(ValueError, match="no grouped convolutions"):
        masked_dense_module(erfnet("dense"))


def losses(path):
    import csv

    with open(path / "metrics.csv", newline="") as handle:
        return [float(r["loss"]) for r in csv.DictReader(handle) if r["phase"] == "train"]


def test_a_run_trains_dense_then_grouped_converts_and_resumes_exactly(tiny_config, tmp_path):
    config = dict(family="erfnet", hyper=TINY_ERFNET, grouping=(0.25, 0.75))
    reference = train(tiny_config(**config, out=tmp_path / "reference"))
    assert reference.grouping["max_abs_output_difference"] < 1e-4
    grouped = to_torch(erfnet(classes=6, depths=(1, 1)))
    grouped.load_state_dict(torch.load(reference.grouping["file"], weights_only=True))
    assert reference.grouping["grouped_params"] == sum(p.numel() for p in grouped.parameters()) < reference.params
    state = load_checkpoint(reference.out / "checkpoint.pt")
    assert state["config"]["grouping"] == [0.25, 0.75]
    assert all(float(v) == 0 for k, v in state["model"].items() if k.endswith("off_block_scale"))

    crashed = tiny_config(**config, out=tmp_path / "crashed")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(crashed, hooks=[CrashAt(5)])  # checkpoint at 3, mid-schedule
    assert 0 < float(next(v for k, v in load_checkpoint(crashed.out / "checkpoint.pt")["model"].items()
                          if k.endswith("off_block_scale"))) < 1
    resumed = train(crashed, resume=True)
    assert losses(crashed.out) == pytest.approx(losses(reference.out), rel=1e-4)
    assert resumed.grouping["grouped_params"] == reference.grouping["grouped_params"]
