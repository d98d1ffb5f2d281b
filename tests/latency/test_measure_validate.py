"""Measurement harness and validation statistics."""

import math

import pytest

from archscope import api
from archscope.costs import analyze
from archscope.latency.measure import MALLOC_ENV, measure_many
from archscope.latency.profile import load_profile
from archscope.latency.validate import (
    CALIBRATION_SEED,
    CalibrationSet,
    ValidationResult,
    by_family,
    same_speed_repeatability,
    draw_candidates,
    fit_proportional,
    parse_module_candidate,
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


def _measurement(first, second):
    from archscope.latency.measure import Measurement

    median = (first + second) / 2
    return Measurement(median, median, median, min(first, second), 4, 1, "cpu", "contiguous", True, (first, second))


def test_a_measurement_is_repeatable_when_its_halves_agree_within_ten_percent():
    assert _measurement(10.0, 10.9).repeatable
    assert not _measurement(10.0, 12.0).repeatable
    assert not _measurement(10.0, 0.0).repeatable  # no second half: unknown, not repeatable


def test_measured_halves_bracket_the_median():
    nets = [api.build("ndnet", widths=(4, 8, 16), depths=(1, 1, 1), resolution=(32, 64))]
    (m,) = measure_many(nets, rounds=4, warmup=1, threads=1)
    first, second = m.halves_ms
    assert first > 0 and second > 0
    assert min(first, second) <= m.median_ms <= max(first, second)


def _row(family, predicted, measured, baseline, repeatable=True):
    return {"family": family, "predicted_ms": predicted, "measured_ms": measured, "baseline_ms": baseline, "repeatable": repeatable}


def test_scores_per_family_with_the_baseline_and_the_noise_floor():
    rows = [
        _row("ndnet", 1.0, 1.0, 2.0),
        _row("ndnet", 2.1, 2.0, 2.0, repeatable=False),
        _row("ndnet", 3.0, 3.0, 1.5),
        _row("enet", 1.5, 1.0, 1.0),
    ]
    families = by_family(rows)
    assert list(families) == ["ndnet", "enet"]
    assert families["ndnet"]["n"] == 3 and families["ndnet"]["within_10pct"] == 1.0
    assert families["ndnet"]["baseline"]["within_10pct"] == pytest.approx(1 / 3)
    assert families["ndnet"]["repeatability"] == pytest.approx(2 / 3)
    assert families["enet"]["median_error_pct"] == pytest.approx(50.0)


def test_the_summary_puts_the_models_share_beside_the_repeatability():
    rows = [_row("ndnet", 1.0, 1.0, 1.0), _row("ndnet", 1.5, 1.0, 1.0), _row("ndnet", 1.0, 1.0, 1.0, repeatable=False)]
    model = scores([r["predicted_ms"] for r in rows], [r["measured_ms"] for r in rows])
    result = ValidationResult("x", [], rows, model, model, 1.0, 1.0, model)
    summary = result.summary()
    assert summary["repeatability"] == pytest.approx(2 / 3)
    assert summary["share_of_repeatability"] == pytest.approx((2 / 3) / (2 / 3))
    assert summary["by_family"]["ndnet"]["n"] == 3
    assert summary["drawn"]["n"] == 3 and summary["drawn"]["within_10pct"] == pytest.approx(2 / 3)


def test_the_same_speed_repeatability_takes_out_the_drift_between_the_halves():
    def halves(first, second):
        return {"first_half_ms": first, "second_half_ms": second}

    calibration = [halves(11.0, 10.0), halves(22.0, 20.0), halves(5.5, 5.0)]  # the first half 10% slower throughout
    candidates = [halves(13.5, 12.0), halves(12.0, 12.0), halves(15.0, 10.0)]
    raw = sum(abs(c["first_half_ms"] / c["second_half_ms"] - 1) <= 0.10 for c in candidates) / len(candidates)
    assert raw == pytest.approx(1 / 3)  # +12.5%, 0%, +50%
    # after the drift (x1.1): 13.5 vs 13.2 (+2.3%), 12 vs 13.2 (-9.1%), 15 vs 11 (+36%)
    assert same_speed_repeatability(calibration, candidates) == pytest.approx(2 / 3)
    slower = [halves(13.0, 10.0), halves(26.0, 20.0)]  # 30% drift: the raw rule rejects them all
    assert same_speed_repeatability(slower, [halves(6.5, 5.0), halves(39.0, 30.0)]) == 1.0
    assert math.isnan(same_speed_repeatability([], candidates))


def test_the_drawn_scores_leave_the_modules_out():
    rows = [_row("ndnet", 1.0, 1.0, 1.0), _row("ndnet", 2.0, 2.0, 1.0), _row("modules", 3.0, 1.0, 1.0)]
    model = scores([r["predicted_ms"] for r in rows], [r["measured_ms"] for r in rows])
    result = ValidationResult("x", [], rows, model, model, 1.0, 1.0, model)
    assert result.summary()["within_10pct"] == pytest.approx(2 / 3)
    assert result.drawn()["n"] == 2 and result.drawn()["within_10pct"] == 1.0
    assert ValidationResult("x", [], rows[2:], model, model, 1.0, 1.0, model).drawn() is None


def test_median_signed_error_shows_a_bias():
    assert scores([0.8, 0.9, 1.0], [1.0, 1.0, 1.0])["median_error_pct"] == pytest.approx(-10.0)


@pytest.mark.parametrize("text", ["mobilenet_v2:build", "mobilenet_v2@1x3x64x64", "m:f@1x3x64"])
def test_a_bad_module_candidate_names_itself(text):
    with pytest.raises(ValueError, match="x"):
        parse_module_candidate(text)


def test_a_module_candidate_is_timed_and_predicted_beside_the_drawn_ones(monkeypatch):
    monkeypatch.syspath_prepend("tests/module_corpus")
    module = parse_module_candidate("mobilenet_v2:build@1x3x64x64")
    assert module.label == "mobilenet_v2:build@1x3x64x64" and module.resolution == "64x64"
    result = validate_latency(
        load_profile("titanx"), count=2, calibration_count=2, resolutions=[(64, 128)], rounds=2, seed=1, modules=[module]
    )
    (row,) = [r for r in result.candidates if r["family"] == "modules"]
    assert row["network"] == module.label and row["measured_ms"] > 0 and row["predicted_ms"] > 0
    assert row["macs"] == analyze(module.network()).total.cost.macs
    assert result.summary()["by_family"]["modules"]["n"] == 1
    assert row["predicted_ms"] == pytest.approx(result.speed_factor * row["predicted_raw_ms"])
