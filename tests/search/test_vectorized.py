"""The block-linear evaluator gives the full model's numbers: params, MACs and layers
exactly, latency to float rounding, for every reading of NDNet's transitions, both
fusion rules, untied widths, any expansion, batch and head."""

import random
from dataclasses import replace

import pytest

from archscope.latency.profile import Fusion
from archscope.search.objectives import evaluate
from archscope.search.space import space_from_dict
from archscope.search.vectorized import GridEvaluator


def _space(transition: str, head: str, batch: int, resolution: str, depth_high: int = 4) -> object:
    return space_from_dict(
        {
            "name": "check",
            "family": "ndnet",
            "constraints": {"device": "titanx", "resolution": resolution, "head": head, "min_fps": 1.0},
            "fixed": {"transition": transition, "batch": batch, "stem_channels": 24},
            "parameters": {
                "widths": {"names": ["n1", "n2", "n3"], "choices": [4, 12, 20]},
                "depths": {"names": ["d1", "d2", "d3"], "low": 1, "high": depth_high},
                "expansion": {"name": "e", "choices": [2, 3, 4]},
            },
            "objectives": [{"metric": "layers", "direction": "maximize"}, {"metric": "params", "direction": "maximize"}],
        }
    )


CASES = [
    ("projection", "fcn32", 1, "64x128", Fusion.NONE),
    ("strided", "none", 2, "96x160", Fusion.NONE),
    ("strided-separable", "fcn32", 1, "64x96", Fusion.CONV_BN_ACT),
    ("projection", "none", 1, "128x64", Fusion.CONV_BN_ACT),
]


@pytest.mark.parametrize("transition, head, batch, resolution, fusion", CASES)
def test_one_configuration_equals_the_full_model(transition, head, batch, resolution, fusion, titanx):
    profile = replace(titanx, fusion=fusion)
    space = _space(transition, head, batch, resolution, depth_high=9)
    evaluator = GridEvaluator(space, profile)
    assert evaluator.block_linear
    rng = random.Random(hash((transition, head, batch)) % 1000)
    choices = space.choices()
    for _ in range(6):
        drawn = {name: rng.choice(values) for name, values in choices.items()}
        fast = evaluator.evaluate_one(drawn)
        full = evaluate("ndnet", space.hyper(drawn), profile)
        for metric in ("layers", "params", "macs", "width", "max_width"):
            assert fast[metric] == full[metric], (metric, drawn)
        assert fast["latency_ms"] == pytest.approx(full["latency_ms"], rel=1e-12)
        assert fast["fps"] == pytest.approx(full["fps"], rel=1e-12)


def test_every_row_of_a_grid_equals_the_full_model(titanx):
    space = _space("projection", "fcn32", 1, "64x128", depth_high=2)
    evaluator = GridEvaluator(space, titanx)
    columns = evaluator.evaluate_all()
    rows = len(columns["layers"])
    assert rows == space.size() == 27 * 8 * 3
    rng = random.Random(1)
    for i in rng.sample(range(rows), 40):
        drawn = {name: int(columns[name][i]) for name in space.searched}
        full = evaluate("ndnet", space.hyper(drawn), titanx)
        assert columns["widths"][i] == ",".join(str(drawn[n]) for n in ("n1", "n2", "n3"))
        assert columns["depths"][i] == ",".join(str(drawn[n]) for n in ("d1", "d2", "d3"))
        for metric in ("layers", "params", "macs", "width", "max_width"):
            assert columns[metric][i] == full[metric]
        assert columns["latency_ms"][i] == pytest.approx(full["latency_ms"], rel=1e-12)
    # the full model ran twice per new combination of block keys, not once per row
    assert evaluator.full_evaluations < rows / 5


def test_tied_depths_and_no_decomposition_fall_back(titanx, tiny_space):
    space = space_from_dict({**tiny_space.to_dict(), "family": "ndnet"})
    data = space.to_dict()
    data["parameters"]["depths"]["tie"] = "equal"
    tied = space_from_dict(data)
    columns = GridEvaluator(tied, titanx).evaluate_all()
    assert len(columns["layers"]) == tied.size() == 3 * 3 * 2
    assert set(columns["depths"]) == {"1,1,1", "2,2,2", "3,3,3"}
    # a space that does not search depths is evaluated one full model per configuration
    data["parameters"].pop("depths")
    flat = space_from_dict(data)
    evaluator = GridEvaluator(flat, titanx)
    assert not evaluator.block_linear
    columns = evaluator.evaluate_all()
    assert evaluator.full_evaluations == flat.size() == 6
    full = evaluate("ndnet", flat.hyper({"n1": 8, "e": 4}), titanx)
    row = [i for i in range(6) if columns["n1"][i] == 8 and columns["e"][i] == 4][0]
    assert columns["params"][row] == full["params"] and columns["fps"][row] == pytest.approx(full["fps"])
