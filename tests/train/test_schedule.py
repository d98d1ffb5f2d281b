"""Learning-rate schedules."""

import pytest

from archscope.train.config import Schedule, TrainConfig
from archscope.train.schedule import lr_at


def test_step_schedule_divides_by_ten_at_35_and_60_of_80():
    lr = [
        lr_at(step, steps=80_000, base_lr=0.1, schedule=Schedule.STEP)
        for step in (1, 35_000, 35_001, 60_000, 60_001, 80_000)
    ]
    assert lr == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_poly_schedule():
    assert lr_at(1, steps=100, base_lr=0.1, schedule=Schedule.POLY) == pytest.approx(0.1)
    assert lr_at(51, steps=100, base_lr=0.1, schedule=Schedule.POLY) == pytest.approx(0.1 * 0.5**0.9)
    assert lr_at(100, steps=100, base_lr=0.1, schedule=Schedule.POLY) == pytest.approx(0.1 * 0.01**0.9)


@pytest.mark.parametrize("field, value", [("steps", 0), ("batch", 0), ("lr", 0.0), ("scales", ()), ("workers", -1)])
def test_bad_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=field.replace("_", "-") if field not in ("lr",) else "lr"):
        TrainConfig(family="ndnet", **{field: value})
