"""ICNet: the kernel keep rate, the shared-weight 1/4 and 1/2 paths, the branches."""

import pytest

from archscope import api
from archscope.torch_module import to_torch

SMALL = (192, 256)


def trunk_params(**hyper) -> int:
    report = api.cost("icnet", **hyper)
    return sum(b.cost.params for b in report.blocks if b.name in ("sub2", "sub4"))


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.75])
def test_kernel_keep_scales_the_trunk_by_its_square(rate):
    ratio = trunk_params(kernel_keep=rate) / trunk_params(kernel_keep=1.0)
    assert abs(ratio / rate**2 - 1) < 0.01, ratio


def test_shared_weights_count_once():
    image = api.cost("icnet", branches="sub24", resolution=SMALL)
    features = api.cost("icnet", branches="sub24", sub4_input="features", resolution=SMALL)
    shared = [r for r in image.records if image.network.shares(r.node)]
    assert len(shared) == 2 * (3 + (3 * 3 + 1) + (3 + 1))  # conv + BN: stem, res2, res3_1 (with projections)
    assert all(r.total.params == r.total.norm_params == 0 for r in shared)
    assert all(r.total.macs > 0 for r in shared if r.kind == "conv")
    # the same weights either way; the 1/4 path on the image computes them a second time
    assert image.total.cost.params == features.total.cost.params
    assert image.total.cost.macs == features.total.cost.macs + sum(r.total.macs for r in shared)


def test_torch_module_holds_shared_layers_once():
    network = api.build("icnet", branches="sub24", resolution=SMALL)
    model = to_torch(network)
    convs = [n for n in network.nodes() if network.op(n).kind == "conv" and not network.shares(n)]
    assert sum(1 for m in model.modules() if type(m).__name__ == "Conv2d") == len(convs)
    assert sum(p.numel() for p in model.parameters()) == api.cost(network).total.all_params


def test_branches_and_output_scales():
    for branches, blocks in (("sub4", {"sub4", "head"}), ("sub24", {"sub2", "sub4", "cff24", "head"}),
                             ("sub124", {"sub1", "sub2", "sub4", "cff24", "cff12", "head"})):
        report = api.cost("icnet", branches=branches, resolution=SMALL)
        assert {b.name for b in report.blocks} == blocks
        assert report.total.shape.h == SMALL[0]
    net = api.build("icnet", resolution=SMALL)
    assert net.shape("head.cls").h == SMALL[0] // 4  # ICNet classifies at 1/4
    assert net.shape("sub4.conv5_4_relu").h == SMALL[0] // 32


def test_aux_heads_are_extra_outputs():
    net = api.build("icnet", aux_heads=True, resolution=SMALL)
    assert net.outputs == ("head.upsample", "cff24.aux_cls", "cff12.aux_cls")


@pytest.mark.parametrize("hyper", [dict(kernel_keep=1.5), dict(kernel_keep=0.0), dict(resolution=(200, 256))])
def test_bad_hyper_parameters(hyper):
    with pytest.raises(ValueError):
        api.build("icnet", **{"resolution": SMALL, **hyper})
