"""Cross-checks: archscope's counts equal fvcore's, ptflops' and torch's exactly."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archscope import api
from archscope.check import cross_check
from archscope.graph import GraphBuilder
from archscope.ops import Conv2d, Shape
from tests.test_torch_module import every_op_network


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 4))
    depthwise = draw(st.booleans())
    in_channels = groups * draw(st.integers(1, 4))
    if depthwise:
        groups, out_channels = in_channels, in_channels
    else:
        out_channels = groups * draw(st.integers(1, 4))
    kernel = draw(st.sampled_from([(1, 1), (3, 3), (5, 5), (3, 1), (1, 3), (1, 5), (2, 2), (7, 1)]))
    dilation = draw(st.sampled_from([(1, 1), (2, 2), (1, 3), (3, 2)]))
    stride = draw(st.sampled_from([(1, 1), (2, 2), (2, 1), (3, 3)]))
    padding = tuple(draw(st.integers(0, 3)) for _ in range(2))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    height = draw(st.integers(max(1, span[0] - 2 * padding[0]), 23))
    width = draw(st.integers(max(1, span[1] - 2 * padding[1]), 23))
    op = Conv2d(
        out_channels=out_channels, kernel_size=kernel, stride=stride, padding=padding,
        dilation=dilation, groups=groups, bias=draw(st.booleans()),
    )
    return op, Shape(draw(st.integers(1, 2)), in_channels, height, width)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_configs())
def test_random_convs_agree_with_fvcore_ptflops_and_torch(config):
    op, shape = config
    b = GraphBuilder("one-conv")
    x = b.input(shape)
    with b.block("body"):
        b.add(op, x, name="conv")
    report = api.cost(b.build())
    checks = cross_check(report)
    assert checks["fvcore"].by_operator["conv"]["theirs"] == report.total.cost.macs
    for name, check in checks.items():
        assert check.diff == 0, (name, check)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(1, 3),
    data=st.data(),
    expansion=st.integers(1, 5),
    transition=st.sampled_from(["projection", "strided", "strided-separable"]),
    head=st.sampled_from(["fcn32", "none"]),
)
def test_random_ndnets_agree(k, data, expansion, transition, head):
    widths = tuple(data.draw(st.lists(st.integers(1, 24), min_size=k, max_size=k)))
    depths = tuple(data.draw(st.lists(st.integers(1, 4), min_size=k, max_size=k)))
    stride = 2 ** (2 + k)  # the family refuses inputs smaller than its total stride
    height, width = data.draw(st.tuples(st.integers(stride, 80), st.integers(stride, 80)))
    report = api.cost(
        "ndnet", widths=widths, depths=depths, expansion=expansion, transition=transition, head=head,
        resolution=(height, width),
    )
    checks = cross_check(report)
    conv_macs = sum(r.total.macs for r in report.records if r.kind == "conv")
    assert checks["fvcore"].by_operator["conv"]["theirs"] == conv_macs
    assert checks["torch_params"].theirs == report.total.all_params
    for name, check in checks.items():
        assert check.diff == 0, (name, check)


def test_every_op_kind_under_each_tools_conventions():
    report = api.cost(every_op_network())
    checks = cross_check(report)
    for name, check in checks.items():
        assert check.diff == 0, (name, check.as_dict())
    skipped = checks["fvcore"].note
    assert "max_pool2d" in skipped and "add" in skipped
    assert checks["fvcore"].by_operator["linear"]["theirs"] == report.total.cost.macs - sum(
        r.total.macs for r in report.records if r.kind in ("conv", "conv_transpose")
    )
