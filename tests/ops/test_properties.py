"""What the rest of archscope reads from an op lives on its class: its class for the
latency model and breakdowns, layers, fusion roles and the tools' counting tables. Every
registered kind is checked, so a new kind that forgets one fails here."""

import pytest

from archscope.latency.profile import CLASSES
from archscope.ops import OPS, OpClass
from archscope.ops.base import FusionRole
from archscope.ops.tools import TOOLS
from tests.test_torch_module import every_op_network

KINDS = sorted(OPS)


@pytest.mark.parametrize("kind", KINDS)
def test_tool_tables_name_known_tools(kind):
    assert set(OPS[kind].tool_counts) <= set(TOOLS), kind


def test_every_op_falls_in_a_class_the_profiles_describe():
    network = every_op_network()
    for node in network.nodes():
        op_class = network.op(node).op_class(network.input_shapes(node))
        assert op_class is OpClass.INPUT or str(op_class) in CLASSES, node


def test_layers_and_fusion_roles():
    assert {k for k in KINDS if OPS[k].counts_as_layer} == {"conv", "conv_transpose", "linear"}
    roles = {k: OPS[k].fusion for k in KINDS if OPS[k].fusion is not FusionRole.NONE}
    assert roles == {"conv": FusionRole.PRODUCER, "conv_transpose": FusionRole.PRODUCER,
                     "batch_norm": FusionRole.NORM, "activation": FusionRole.ACTIVATION}


def test_a_tool_count_is_per_application_of_the_op():
    network = every_op_network()
    counts = {node: network.op(node).tool_count("fvcore", network.input_shapes(node), network.shape(node))
              for node in network.nodes()}
    assert counts["a.conv"] == {"conv": 2 * 16 * 16 * 16 * 3 * 9}  # batch 2, 16x16 output, 3 -> 16 channels
    assert counts["a.bn"] == {"batch_norm": 2 * 2 * 16 * 16 * 16}
    assert counts["a.add"] == {}  # fvcore does not count adds
