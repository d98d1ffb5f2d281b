"""The exhaustive front is the front of the full model over every configuration."""

import pandas as pd
import pytest

from archscope.search.exhaustive import SpaceTooLarge, enumerate_space
from archscope.search.constraints import is_feasible
from archscope.search.objectives import evaluate
from archscope.search.pareto import front


def test_true_front_equals_the_full_models(tiny_space, titanx):
    enumeration = enumerate_space(tiny_space, titanx)
    assert len(enumeration.table) == tiny_space.size() == 162
    rows = []
    for drawn in tiny_space.grid():
        hyper = tiny_space.hyper(drawn)
        metrics = evaluate("ndnet", hyper, titanx)
        values = {**tiny_space.entries(drawn), **metrics}
        rows.append({"widths": ",".join(map(str, hyper["widths"])), "depths": ",".join(map(str, hyper["depths"])),
                     "expansion": str(hyper["expansion"]), **metrics,
                     "feasible": bool(is_feasible(tiny_space.constraints.violations(values)))})
    full = pd.DataFrame(rows)
    assert enumeration.feasible == int(full["feasible"].sum()) > 0
    expected = front(full, tiny_space.objectives, config_columns=["widths", "depths", "expansion"])
    got = enumeration.front
    assert list(got["widths"]) == list(expected["widths"]) and list(got["depths"]) == list(expected["depths"])
    assert list(got["layers"]) == list(expected["layers"]) and list(got["params"]) == list(expected["params"])
    assert list(got["fps"]) == pytest.approx(list(expected["fps"]), rel=1e-12)
    assert enumeration.full_evaluations <= 2 * 3 * 2  # 3 widths x 2 expansions, at depths 1 and 2


def test_too_large_a_space_is_refused(tiny_space, titanx):
    with pytest.raises(SpaceTooLarge, match="162 configurations"):
        enumerate_space(tiny_space, titanx, max_configs=100)
