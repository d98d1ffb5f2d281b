"""Gradual grouping: train with dense convolutions first and move to grouped ones over a
schedule (Vallurupalli et al., "Efficient Semantic Segmentation Using Gradual Grouping",
CVPR-W 2018; REFERENCE.md §5: "training that starts with dense convolutions and
gradually evolves to grouped ones"). The paper's exact schedule was not available to us:
the linear fade below is our reading.

The target is the network as configured (e.g. ``erfnet --conv grouped --groups 4``):
every ``Conv2d`` of its graph with g > 1 groups, depthwise ones included (``--conv
separable``), is trained as a dense conv with the same input and output channels. What
happens to its weights W (C_out × C_in × k_h × k_w), for a run of S steps with
``--gradual-grouping a,b`` (fractions of the run):

- the conv computes with W ⊙ M(α): M is 1 on the g diagonal blocks (output group i ×
  input group i, exactly the weights the grouped conv has) and α elsewhere; before
  step s, α(s) = clip((b·S − s) / ((b − a)·S), 0, 1);
- steps s ≤ a·S: α = 1, a dense conv;
- a·S < s < b·S: α falls linearly to 0: the off-block weights' share of the output fades,
  and their gradient is scaled by α as well (dL/dW_off = α·dL/d(W⊙M)_off); weight decay
  shrinks them as usual;
- s ≥ b·S (at the latest the last step, b ≤ 1): α = 0: the conv computes exactly the
  grouped conv; the off-block weights get no gradient and no longer matter;
- the stored W is never overwritten by the mask (the optimizer updates W; the mask is
  applied in the forward), and α is a buffer in the state dict: a resumed run continues
  exactly;
- at the end of the run the dense convs become real grouped convs: output channel o of
  group i keeps W[o, i·C_in/g : (i+1)·C_in/g] (the bias unchanged), loaded into the module
  built from the target graph, whose outputs equal the masked model's (checked on a
  batch) and which is written to ``OUT/grouped_model.pt``.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from archscope.dims import as_int
from archscope.graph import Network
from archscope.ops import Conv2d
from archscope.torch_module import GraphModule, module_key, to_torch
from archscope.train.hooks import StepState, TrainHook
from archscope.train.schedule import GroupingSchedule


def grouped_convs(network: Network) -> tuple[str, ...]:
    """Nodes of ``network`` that are grouped convolutions (and own their weights)."""
    return tuple(
        node
        for node in network.nodes()
        if type(network.op(node)) is Conv2d and network.op(node).groups != 1 and network.shares(node) is None
    )


def dense_network(network: Network) -> Network:
    """``network`` with every grouped ``Conv2d`` made dense (same channels)."""
    graph = network.graph.copy()
    for node in network.nodes():
        op = network.op(node)
        if type(op) is Conv2d and op.groups != 1:
            graph.nodes[node]["op"] = dataclasses.replace(op, groups=1)
    return dataclasses.replace(network, graph=graph)


def block_diagonal_mask(out_channels: int, in_channels: int, groups: int) -> torch.Tensor:
    """C_out × C_in × 1 × 1: 1 where output and input channel are in the same group."""
    out_group = torch.arange(out_channels) // (out_channels // groups)
    in_group = torch.arange(in_channels) // (in_channels // groups)
    return (out_group[:, None] == in_group[None, :]).float()[:, :, None, None]


def diagonal_blocks(weight: torch.Tensor, groups: int) -> torch.Tensor:
    """A dense conv weight's diagonal blocks as a grouped conv's weight."""
    out_channels, in_channels, *kernel = weight.shape
    blocks = weight.reshape(groups, out_channels // groups, groups, in_channels // groups, *kernel)
    index = torch.arange(groups, device=weight.device)
    return blocks[index, :, index].reshape(out_channels, in_channels // groups, *kernel)


class GroupMaskedConv2d(nn.Conv2d):
    """A dense conv that computes with W ⊙ M(α) (see the module docstring); ``groups``
    of the target is ``target_groups``, α the ``off_block_scale`` buffer."""

    def __init__(self, dense: nn.Conv2d, target_groups: int) -> None:
        super().__init__(
            dense.in_channels, dense.out_channels, dense.kernel_size, dense.stride, dense.padding,
            dense.dilation, groups=1, bias=dense.bias is not None, padding_mode=dense.padding_mode,
        )
        self.target_groups = target_groups
        self.load_state_dict(dense.state_dict(), strict=False)
        self.register_buffer("off_block_scale", torch.ones(()))
        mask = block_diagonal_mask(dense.out_channels, dense.in_channels, target_groups)
        self.register_buffer("block_mask", mask, persistent=False)

    def masked_weight(self) -> torch.Tensor:
        mask = self.block_mask + (1 - self.block_mask) * self.off_block_scale
        return self.weight * mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.masked_weight(), self.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", target_groups={self.target_groups}"


def masked_dense_module(target: Network) -> GraphModule:
    """The torch module gradual grouping trains for ``target``: its dense counterpart
    with each of ``target``'s grouped convs a ``GroupMaskedConv2d``."""
    nodes = grouped_convs(target)
    if not nodes:
        raise ValueError(
            f"--gradual-grouping: {target.name} with these options has no grouped convolutions to move to "
            "(e.g. erfnet --conv grouped)"
        )
    model = to_torch(dense_network(target))
    for node in nodes:
        block, key = module_key(target, node)
        model.blocks[block][key] = GroupMaskedConv2d(model.blocks[block][key], as_int(target.op(node).groups))
    return model


def masked_convs(model: nn.Module) -> list[GroupMaskedConv2d]:
    return [m for m in model.modules() if isinstance(m, GroupMaskedConv2d)]


def set_off_block_scale(model: nn.Module, scale: float) -> None:
    for conv in masked_convs(model):
        conv.off_block_scale.fill_(scale)


def grouped_state_dict(model: GraphModule) -> dict[str, torch.Tensor]:
    """The masked model's weights as the target network's module takes them; every
    masked conv must have reached α = 0."""
    state = model.state_dict()
    for name, module in model.named_modules():
        if isinstance(module, GroupMaskedConv2d):
            if float(module.off_block_scale) != 0.0:
                raise ValueError(
                    f"{name} still has off-block scale {float(module.off_block_scale):g}: the schedule has not ended"
                )
            state[f"{name}.weight"] = diagonal_blocks(module.weight.detach(), module.target_groups)
            del state[f"{name}.off_block_scale"]
    return state


def to_grouped(model: GraphModule, target: Network) -> GraphModule:
    """The target network's module (real grouped convs) with the masked model's weights."""
    grouped = to_torch(target).to(next(model.parameters()).device)
    grouped.load_state_dict(grouped_state_dict(model))
    return grouped


class GradualGrouping(TrainHook):
    """Sets every masked conv's off-block scale from the schedule before each step (a
    pure function of the step: nothing to checkpoint beyond the model's buffers)."""

    name = "gradual_grouping"

    def __init__(self, schedule: GroupingSchedule) -> None:
        self.schedule = schedule

    def before_step(self, state: StepState) -> None:
        set_off_block_scale(state.model, self.schedule.off_block_scale(state.step, state.steps))
