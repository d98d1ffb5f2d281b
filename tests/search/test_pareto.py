"""Fronts and hypervolumes against brute force and hand computation."""

import numpy as np
import pandas as pd
import pytest

from archscope.search.objectives import Direction, Objective
from archscope.search.pareto import front, hypervolume, non_dominated, reference_point

MAX = Direction.MAXIMIZE


def brute_force(loss: np.ndarray) -> np.ndarray:
    return np.array([not any((o <= p).all() and (o < p).any() for o in loss) for p in loss])


@pytest.mark.parametrize("objectives", [2, 3])
@pytest.mark.parametrize("seed", range(5))
def test_non_dominated_matches_brute_force(objectives, seed):
    rng = np.random.default_rng(seed)
    loss = rng.integers(0, 12, size=(300, objectives)).astype(float)  # many ties
    assert (non_dominated(loss) == brute_force(loss)).all()


def test_front_keeps_one_fastest_row_per_objective_vector():
    frame = pd.DataFrame(
        {
            "widths": ["8", "8", "12", "12", "16", "4"],
            "depths": ["3", "2", "2", "1", "1", "9"],
            "layers": [9, 9, 7, 5, 5, 11],
            "width": [8, 8, 12, 12, 16, 4],
            "fps": [50.0, 55.0, 60.0, 70.0, 40.0, 80.0],
            "feasible": [True, True, True, True, False, True],
        }
    )
    objectives = [Objective("layers", MAX), Objective("width", MAX)]
    points = front(frame, objectives, config_columns=["widths", "depths"])
    assert list(points["depths"]) == ["9", "2", "2"]  # infeasible 16-wide ignored, 12x5 dominated
    assert list(points["fps"]) == [80.0, 55.0, 60.0]  # the faster of the two 8-wide, 9-layer rows
    assert list(points["alternatives"]) == [0, 1, 0]


def test_hypervolume_of_a_staircase():
    objectives = [Objective("layers", MAX), Objective("width", MAX)]
    frame = pd.DataFrame({"layers": [10, 6, 4], "width": [2, 4, 8], "feasible": [True, True, True]})
    reference = np.array([-0.0, -0.0])  # layers 0, width 0
    # boxes: 10x2 + 6x(4-2) + 4x(8-4)
    assert hypervolume(frame, objectives, reference) == pytest.approx(20 + 12 + 16)
    # points beyond the reference and infeasible points add nothing
    more = pd.concat([frame, pd.DataFrame({"layers": [-3, 100], "width": [50, 100], "feasible": [True, False]})])
    assert hypervolume(more, objectives, reference) == pytest.approx(48)


def test_reference_point_is_the_worst_feasible_corner(tiny_space, titanx):
    point = reference_point(tiny_space, titanx)
    # layers: the shallowest corner has 7 layers = min_layers; width: the narrowest is 4
    # (losses: maximised metrics negated), each moved out by 1% of its range
    assert point[0] == pytest.approx(-7 + 0.01 * (19 - 7))
    assert point[1] == pytest.approx(-4 + 0.01 * (12 - 4))
