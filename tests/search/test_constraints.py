"""The one table of bounds: every bound's violation, parsing and wording, read by the
space, the CLI and the reports alike."""

import pytest

from archscope.cli import main
from archscope.search.constraints import BOUNDS, BY_KEY, Constraints, is_feasible
from archscope.search.rules import Rule


@pytest.mark.parametrize("bound", BOUNDS, ids=[b.key for b in BOUNDS])
def test_every_bound_is_relative_and_signed_by_its_sense(bound):
    limit = 50
    inside, outside = (60, 40) if bound.sense == "min" else (40, 60)
    assert bound.violation(limit, inside) < 0 < bound.violation(limit, outside)
    assert bound.violation(limit, outside) == pytest.approx(0.2)
    assert bound.met(limit, inside) and not bound.met(limit, outside) and bound.met(limit, limit)
    assert bound.clamp(outside, limit) == limit and bound.clamp(inside, limit) == inside  # the worst feasible value


@pytest.mark.parametrize("bound", BOUNDS, ids=[b.key for b in BOUNDS])
def test_every_bound_parses_positive_limits_only(bound):
    assert bound.parse(7) == 7
    for bad in (0, -3, True, "7"):
        with pytest.raises(ValueError, match=f"{bound.key} must be a positive"):
            bound.parse(bad)
    if bound.integer:
        with pytest.raises(ValueError, match="positive integer"):
            bound.parse(7.5)


def test_wording():
    assert BY_KEY["min_fps"].describe(50) == "fps ≥ 50" and BY_KEY["min_fps"].missed(50) == "below the 50 fps constraint"
    assert BY_KEY["max_latency_ms"].describe(20) == "latency ≤ 20 ms"
    assert BY_KEY["max_latency_ms"].missed(20) == "over the 20 ms budget"
    assert BY_KEY["min_layers"].missed(25) == "below the 25 layers constraint"


def test_constraints_give_optuna_values_for_limits_and_rules():
    constraints = Constraints(device="titanx", limits={"min_fps": 50.0, "min_layers": 25},
                              rules=(Rule.parse("d2 >= d1"),))
    values = {"fps": 55.0, "layers": 20, "d1": 3, "d2": 8}
    violations = constraints.violations(values)
    assert violations == {"min_fps": pytest.approx(-0.1), "min_layers": pytest.approx(0.2), "d2 >= d1": -5}
    assert not is_feasible(violations)
    assert [bound.key for bound, _ in constraints.bounds()] == ["min_fps", "min_layers"]  # the table's order


def test_the_cli_has_one_option_per_bound(capsys):
    assert main(["search", "--help"]) == 0
    text = capsys.readouterr().out
    for bound in BOUNDS:
        assert bound.flag in text
