"""The modules the benchmarks validate against (written as users write them) are read
exactly: what a latency or speed figure on them predicts from is their real network."""

import pytest

from archscope.costs import analyze
from archscope.imports import from_module, load_factory


@pytest.mark.parametrize(
    ("spec", "shape"),
    [("benchmarks.modules.resnet:build", (1, 3, 224, 224)), ("benchmarks.modules.erfnet:build", (1, 3, 64, 128))],
)
def test_a_benchmark_module_is_read_with_its_torch_parameters(spec, shape):
    module = load_factory(spec)
    report = analyze(from_module(module, shape, name=spec))
    cost = report.total.cost  # params: convs and linears; norm_params: BN
    assert cost.params + cost.norm_params == sum(p.numel() for p in module.parameters())


def test_resnet18_has_its_published_macs():
    """ResNet-18 at 224x224: 1.814G multiply-adds (convs, the classifier)."""
    report = analyze(from_module(load_factory("benchmarks.modules.resnet:build"), (1, 3, 224, 224)))
    assert report.total.cost.macs // 10**6 == 1814
