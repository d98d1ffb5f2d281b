"""What the rest of archscope reads from an op lives on its class: its class for the
latency model and breakdowns, layers, fusion roles and the tools' counting tables. Every
registered kind is checked, so a new kind that forgets one fails here."""

import pytest

from archscope.latency.profile import CLASSES
from archscope.ops import OPS, OpClass
from archscope.ops.base import FusionRole
from archscope.ops.tools import TOOLS, Invocation
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
    counts = {node: network.op(node).tool_count("fvcore", network.input_shapes(node), network.shape(node),
                                                 Invocation.module("Conv2d"))
              for node in network.nodes()}
    assert counts["a.conv"] == {"conv": 2 * 16 * 16 * 16 * 3 * 9}  # batch 2, 16x16 output, 3 -> 16 channels
    assert counts["a.bn"] == {"batch_norm": 2 * 2 * 16 * 16 * 16}
    assert counts["a.add"] == {}  # fvcore does not count adds


@pytest.mark.parametrize(
    ("call", "counted"),
    [
        (Invocation.module("ReLU"), 2),  # its hook and the F.relu it calls, which ptflops patches
        (Invocation.module("ReLU6"), 1),  # nn.ReLU6 calls F.hardtanh, which is not patched
        (Invocation("function", "relu"), 1),
        (Invocation("torch", "relu"), 0),
        (Invocation("method", "relu"), 0),
        (Invocation.module("Sigmoid"), 0),
    ],
)
def test_ptflops_counts_an_activation_by_how_it_is_called(call, counted):
    from archscope.ops import Activation, Shape

    x = Shape(2, 3, 4, 4)
    assert Activation().tool_count("ptflops_pytorch", [x], x, call) == ({"activation": counted * 96} if counted else {})
