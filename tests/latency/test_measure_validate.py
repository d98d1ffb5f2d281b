"""Measurement harness and validation statistics."""

import math

import pytest

from archscope import api
from archscope.latency.measure import MALLOC_ENV, measure_many
from archscope.latency.profile import load_profile
from archscope.latency.validate import (
    CALIBRATION_SEED,
    CalibrationSet,
    draw_candidates,
    fit_proportional,
    scores,
    validate_latency,
)


def test_measure_many_interleaved():
    nets = [api.build("ndnet", widths=(4, 8, 16), depths=(1, 1, 1), resolution=(32, 64), head=h) for h in ("none", "fcn32")]
    done = []
    results = measure_many(nets, rounds=3, warmup=1, threads=1, memory_format="channels_last", on_round=done.append)
    assert done == [1, 2, 3]
    for m in results:
        assert m.runs == 3 and m.threads == 1 and m.device == "cpu"
        assert 0 < m.min_ms <= m.q1_ms <= m.median_ms <= m.q3_ms
        assert m.spread_pct >= 0


def test_malloc_env_disables_mmap():
    assert MALLOC_ENV["MALLOC_MMAP_MAX_"] == "0"


def test_scores_by_hand():
    s = scores([1.05, 2.5, 2.9, 4.0], [1.0, 2.0, 3.0, 4.0])
    assert s["within_10pct"] == 0.75
    assert s["mape"] == pytest.approx(100 * (0.05 + 0.25 + 0.1 / 3 + 0) / 4)
    assert s["spearman"] == pytest.approx(1.0)


def test_macs_baseline_is_the_geometric_mean_ratio():
    assert fit_proportional([1e9, 4e9], [2.0, 2.0]) == pytest.approx(math.sqrt(2e-9 * 0.5e-9))


def test_candidates_are_distinct_and_cover_resolutions():
    drawn = draw_candidates(["ndnet"], 30, resolutions=[(256, 512), (512, 1024)], seed=3)
    assert len({c.label for c in drawn}) == 30
    assert {c.hyper["resolution"] for c in drawn} == {(256, 512), (512, 1024)}
    assert draw_candidates(["ndnet"], 30, resolutions=[(256, 512)], seed=3)[0].hyper["widths"] == drawn[0].hyper["widths"]


def test_validation_runs_end_to_end_on_tiny_networks():
    result = validate_latency(
        load_profile("titanx"), count=4, calibration_count=2, resolutions=[(64, 128)], rounds=3, seed=1
    )
    summary = result.summary()
    assert summary["n"] == 4 and summary["calibration_networks"] == 2
    assert {"within_10pct", "mape", "spearman"} <= set(summary) and set(summary["baseline"]) >= {"within_10pct", "mape", "spearman"}
    calibration = {r["network"] for r in result.calibration}
    assert calibration.isdisjoint(r["network"] for r in result.candidates)


def test_validation_scales_the_model_by_its_speed_factor_on_the_calibration_networks():
    result = validate_latency(
        load_profile("titanx"), count=4, calibration_count=2, resolutions=[(64, 128)], rounds=3, seed=2
    )
    calibration = result.calibration
    expected = fit_proportional([r["predicted_raw_ms"] for r in calibration], [r["measured_ms"] for r in calibration])
    assert result.speed_factor == pytest.approx(expected)
    for row in result.candidates:
        assert row["predicted_ms"] == pytest.approx(expected * row["predicted_raw_ms"])
    raw = scores([r["predicted_raw_ms"] for r in result.candidates], [r["measured_ms"] for r in result.candidates])
    assert result.summary()["uncorrected"] == raw


def test_a_profiles_recorded_calibration_networks_are_drawn_again_and_excluded():
    recorded = CalibrationSet(("ndnet",), 3, ((64, 128), (128, 256)))
    again = CalibrationSet.from_record(recorded.record())
    assert again == recorded
    assert [c.label for c in again.candidates()] == [c.label for c in recorded.candidates()]
    assert CalibrationSet.from_record({}) is None
    excluded = draw_candidates(["ndnet"], 40, resolutions=[(64, 128), (128, 256)], seed=CALIBRATION_SEED,
                               exclude=recorded.candidates())
    assert {c.label for c in excluded}.isdisjoint(c.label for c in recorded.candidates())
