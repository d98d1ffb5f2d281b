"""Cost roll-ups: blocks and op classes sum to the total; saved tensors counted once."""

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from archscope import api
from archscope.costs import analyze
from archscope.ops import COST_FIELDS, OpClass
from tests.test_graph import build


@settings(max_examples=20, deadline=None)
@given(
    widths=st.lists(st.integers(1, 40), min_size=1, max_size=4),
    data=st.data(),
)
def test_blocks_and_classes_sum_to_total(widths, data):
    depths = data.draw(st.lists(st.integers(1, 5), min_size=len(widths), max_size=len(widths)))
    report = api.cost("ndnet", widths=tuple(widths), depths=tuple(depths), resolution=(64, 96))
    total = report.total
    for field in COST_FIELDS:
        assert sum(getattr(b.cost, field) for b in report.blocks) == getattr(total.cost, field)
        assert sum(getattr(c.cost, field) for c in report.op_classes) == getattr(total.cost, field)
    assert sum(b.layers for b in report.blocks) == total.layers == 1 + 2 * sum(depths)
    assert report.ops_table()["params"].sum() == total.cost.params


def test_folded_costs_equal_unrolled():
    d = sympy.Symbol("d", integer=True, positive=True)
    folded = analyze(build(d)).total
    for depth in (1, 3, 7):
        unrolled = analyze(build(depth)).total
        assert all(sympy.sympify(f).subs(d, depth) == u for f, u in zip(folded.cost.values(), unrolled.cost.values()))
        assert folded.layers.subs(d, depth) == unrolled.layers


def test_train_activation_bytes_dedupes_shared_tensors():
    report = analyze(build(1))
    net = report.network
    # the stem conv output is saved by the layer's conv (its input) and nowhere else;
    # the bn saves the conv output; relu saves its own output: 4 tensors of 8x8x8
    # plus the network input (saved by the stem conv) and BN's batch statistics
    expected = 4 * (3 * 16 * 16) + 4 * 3 * (8 * 8 * 8) + 2 * 8 * 4
    assert report.train_activation_bytes == expected
    naive = sum(r.cost.saved_bytes for r in report.records)
    assert naive == expected  # no tensor is saved twice in this toy network
    assert net.op("body.layer0.relu").kind == "activation"


def test_train_activation_bytes_counts_a_tensor_saved_twice_once():
    report = api.cost("ndnet", widths=(4,), depths=(1,), resolution=(32, 32), head="none")
    naive = sum(r.cost.saved_bytes for r in report.records)
    # BN saves the pointwise conv's output, which nothing else saves; the next depthwise
    # conv saves the ReLU's output, which the ReLU saves too: counted once
    assert report.train_activation_bytes < naive


def test_op_class_breakdown_names():
    report = api.cost("ndnet", widths=(8, 16), depths=(1, 1), resolution=(64, 64))
    names = [c.name for c in report.op_classes]
    assert names == [str(c) for c in OpClass if str(c) in names]
    assert {"depthwise", "pointwise", "norm/activation", "elementwise", "pooling", "resize", "conv"} == set(names)
