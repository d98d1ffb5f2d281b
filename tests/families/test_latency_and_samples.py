"""Every registered family, the moment it is registered: its latency is predicted on every
shipped device profile, its sampler draws configurations that build (the candidates of
``archscope validate latency --families ...``), and an fx-imported copy of it predicts
the same latency as the family's own graph."""

import math
import random

import pytest

from archscope import api
from archscope.families import FAMILIES
from archscope.imports import from_module
from archscope.latency import load_profile, predict
from archscope.latency.validate import draw_candidates
from archscope.torch_module import to_torch
from tests.families.test_registry import small

NAMES = sorted(FAMILIES)
DEVICES = ("titanx", "titanxp", "jetson-tx2", "local")


@pytest.fixture(scope="module")
def profiles():
    return {name: load_profile(name) for name in DEVICES}


@pytest.mark.parametrize("name", NAMES)
def test_latency_is_predicted_on_every_device(name, profiles):
    config = small(name, {"batch": 2})
    report = api.cost(name, **config)
    for device, profile in profiles.items():
        prediction = predict(report, profile)
        assert math.isfinite(prediction.latency_ms) and prediction.latency_ms > 0, device
        assert prediction.fps == pytest.approx(1e3 * 2 / prediction.latency_ms)
        assert sum(prediction.by_block_ms.values()) == pytest.approx(prediction.latency_ms, rel=1e-9)
        assert prediction.kernels > 0
    # the analytic model orders the GPUs as their specifications do: TX2 slowest
    times = {device: predict(report, profile).latency_ms for device, profile in profiles.items()}
    assert times["jetson-tx2"] > times["titanx"] > times["titanxp"]


@pytest.mark.parametrize("name", NAMES)
def test_fx_import_predicts_the_same_latency(name, profiles):
    network = api.build(name, **small(name, {}))
    imported = from_module(to_torch(network), tuple(network.shape(network.inputs[0])))
    ours, theirs = predict(api.cost(network), profiles["titanx"]), predict(api.cost(imported), profiles["titanx"])
    assert theirs.latency_ms == pytest.approx(ours.latency_ms, rel=1e-9) and theirs.kernels == ours.kernels


def test_candidates_are_drawn_from_every_family(profiles):
    """What ``archscope validate latency --families ndnet,erfnet,...`` measures: distinct
    configurations from every family's sampler, each building and predicted at the
    validation resolutions."""
    candidates = draw_candidates(NAMES, 2 * len(NAMES), resolutions=[(256, 512), (512, 1024)], seed=3)
    assert sorted({c.family for c in candidates}) == NAMES
    assert len({c.label for c in candidates}) == len(candidates)
    for candidate in candidates:
        report = api.cost(candidate.family, **candidate.hyper)
        assert predict(report, profiles["local"]).latency_ms > 0, candidate.label


@pytest.mark.parametrize("name", NAMES)
def test_samplers_draw_buildable_configurations(name):
    rng = random.Random(f"samples/{name}")
    for _ in range(8):
        hyper = FAMILIES[name].sample(rng)
        assert set(hyper) <= set(api.resolve_config(name)), hyper
        api.build(name, **{**hyper, "resolution": (256, 512)})
