"""Every registered family, tested the moment it is registered (timm's pattern): exact
agreement with fvcore, ptflops and torch; an identical fx round trip; closed forms equal
to the concrete counts at random hyper-parameters; presets that build."""

import random
from zlib import crc32

import pytest

from archscope import api
from archscope.check import cross_check
from archscope.costs import analyze
from archscope.dims import ShapeError
from archscope.families import FAMILIES, get_family
from archscope.imports import from_module
from archscope.symbolic import FORMULA_FIELDS, substitute
from archscope.torch_module import to_torch

NAMES = sorted(FAMILIES)
#: small inputs first: a family takes the smallest that it can build on (ICNet's
#: pyramid pooling needs 6x6 maps at 1/32)
SIZES = (64, 96, 128, 192, 256)


def rng_for(name: str, salt: str) -> random.Random:
    return random.Random(crc32(f"{name}/{salt}".encode()))


def small(name: str, hyper: dict) -> dict:
    """``hyper`` at the smallest input size (a multiple of 32) the family builds on."""
    for size in SIZES:
        config = api.resolve_config(name, **{**hyper, "resolution": (size, size + 32)})
        try:
            api.build(name, **config)
        except (ShapeError, ValueError):
            continue
        return config
    raise AssertionError(f"{name} builds on none of the sizes {SIZES}")


def configs(name: str) -> list[dict]:
    """The family's default configuration and one random one, both small."""
    return [small(name, {}), small(name, get_family(name).sample(rng_for(name, "config")))]


def test_every_family_has_a_sampler_and_presets():
    for name, family in FAMILIES.items():
        assert family.sample is not None, name
        assert family.presets, name


@pytest.mark.parametrize("name", NAMES)
def test_costs_equal_fvcore_ptflops_and_torch(name):
    for config in configs(name):
        report = api.cost(name, **config)
        checks = cross_check(report)
        conv_macs = sum(r.total.macs for r in report.records if r.kind in ("conv", "conv_transpose"))
        assert checks["fvcore"].by_operator["conv"]["theirs"] == conv_macs, config
        assert checks["torch_params"].theirs == report.total.all_params, config
        for tool in ("fvcore", "ptflops_aten", "ptflops_pytorch", "torch_params"):
            assert checks[tool].diff == 0, (tool, config, checks[tool].as_dict())


@pytest.mark.parametrize("name", NAMES)
def test_fx_round_trip_is_identical(name):
    for config in configs(name):
        network = api.build(name, **config)
        imported = from_module(to_torch(network), tuple(network.shape(network.inputs[0])))
        ours, theirs = analyze(network), analyze(imported)
        assert {r.node: r.total for r in theirs.records} == {r.node: r.total for r in ours.records}, config
        assert [(b.name, b.cost) for b in theirs.blocks] == [(b.name, b.cost) for b in ours.blocks]
        assert theirs.unknown_ops == {}


@pytest.mark.parametrize("name", NAMES)
def test_formulas_equal_the_concrete_counts(name):
    family = get_family(name)
    rng = rng_for(name, "formula")
    config = small(name, family.sample(rng))
    config["resolution"] = tuple(32 * rng.randint(6, 9) for _ in range(2))  # multiples of every stride
    formulas = api.formulas(name, **config)
    total = api.cost(name, **config).total
    for field in FORMULA_FIELDS:
        assert substitute(formulas[field], family, config) == getattr(total.cost, field), (field, config)
    assert substitute(formulas["layers"], family, config) == total.layers


@pytest.mark.parametrize("name", NAMES)
def test_presets_build(name):
    for preset, values in FAMILIES[name].presets.items():
        hyper = dict(values.hyper)
        report = api.cost(name, **small(name, hyper))
        assert report.total.layers > 0 and report.total.cost.params > 0, preset
