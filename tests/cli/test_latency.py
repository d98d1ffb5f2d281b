"""``archscope cost --device``, ``bench``, ``calibrate`` and ``validate latency`` from the CLI."""

import json

import pytest

from archscope.cli import main
from archscope.latency.profile import load_profile

TINY = ["--widths", "4,8,16", "--depths", "1,1,1", "--resolution", "32x64"]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cost_with_device_adds_latency(capsys):
    code, out, _ = run(capsys, "cost", "ndnet", "--device", "titanx", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["fps"] == pytest.approx(1e3 / data["latency_ms"])
    assert set(data["latency"]["by_class_ms"]) >= {"conv", "depthwise", "pointwise", "norm/activation", "elementwise", "pooling", "resize"}
    assert sum(data["latency"]["by_block_ms"].values()) == pytest.approx(data["latency_ms"])
    code, out, _ = run(capsys, "cost", "ndnet", "--device", "titanx")
    assert code == 0 and "titanx:" in out and "time %" in out


def test_bench_json(capsys):
    code, out, _ = run(capsys, "bench", "ndnet", *TINY, "--rounds", "3", "--no-malloc-tuning", "--format", "json", "--threads", "1")
    data = json.loads(out)
    assert code == 0
    assert data["measured_ms"] > 0 and data["predicted_ms"] > 0
    assert data["measurement"]["threads"] == 1 and data["measurement"]["runs"] == 3


def test_calibrate_from_csv(tmp_path, capsys):
    csv = tmp_path / "rows.csv"
    csv.write_text(
        "family,widths,depths,resolution,latency_ms\n"
        "ndnet,\"8,16,32\",\"2,2,2\",256x512,4.0\n"
        "ndnet,\"16,32,64\",\"2,4,2\",256x512,6.0\n"
        "ndnet,\"8,16,32\",\"8,8,8\",256x512,9.0\n"
        "ndnet,\"32,64,128\",\"1,2,1\",512x1024,20.0\n"
    )
    out = tmp_path / "fitted.toml"
    code, stdout, err = run(capsys, "calibrate", "--from", str(csv), "--device", "titanx", "--out", str(out))
    assert code == 0, err
    fitted = load_profile(out)
    assert fitted.fit["data"] == "rows.csv" and "row4" in fitted.fit
    assert fitted.classes["conv"] != load_profile("titanx").classes["conv"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "no rows"),
        ("family,widths,fps\n", "no rows"),
        ("widths,fps\n\"8,16,32\",50\n", "'family' column"),
        ("family,widths,fps\nnonet,\"8,16,32\",50\n", "nonet"),
        ("family,colour,fps\nndnet,red,50\n", "colour"),
        ("family,widths,fps\nndnet,\"8,x,32\",50\n", "x"),
        ("family,widths,fps\nndnet,\"8,16,32\",fast\n", "fps"),
        ("family,widths,fps\nndnet,\"8,16,32\",-3\n", "positive"),
    ],
)
def test_calibrate_bad_csv(tmp_path, capsys, content, message):
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    code, out, err = run(capsys, "calibrate", "--from", str(csv), "--device", "titanx", "--out", str(tmp_path / "x.toml"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


@pytest.mark.parametrize(
    "args, message",
    [
        (["cost", "ndnet", "--device", "nosuch"], "nosuch"),
        (["cost", "ndnet", "--resolution", "16x16"], "16x16"),
        (["bench", "ndnet", "--device", "nosuch"], "nosuch"),
        (["calibrate", "--from", "/nonexistent.csv", "--device", "titanx"], "/nonexistent.csv"),
        (["calibrate", "--device", "titanx"], "--device"),
        (["validate", "latency", "--device", "nosuch"], "nosuch"),
        (["validate", "latency", "--families", "nonet", "--device", "titanx"], "nonet"),
    ],
)
def test_bad_input(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


def test_profile_missing_a_field_is_refused(tmp_path, capsys):
    text = load_profile("titanx").to_toml().replace("dram_bytes_per_s", "dram_speed")
    path = tmp_path / "broken.toml"
    path.write_text(text)
    code, _, err = run(capsys, "cost", "ndnet", "--device", str(path))
    assert code == 2 and "dram_bytes_per_s" in err and len(err.strip().splitlines()) == 1


def test_validate_refuses_an_uncalibrated_profile(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARCHSCOPE_DEVICES", str(tmp_path))  # no user copy: the shipped placeholder
    code, _, err = run(capsys, "validate", "latency", "--device", "local")
    assert code == 2 and "archscope calibrate" in err


def test_the_cache_capacity_is_reported_as_fitted_or_listed():
    import dataclasses

    from archscope.cli.latency import _capacity
    from archscope.latency.profile import load_profile

    placeholder = load_profile("local")
    assert _capacity(placeholder) == "32 MiB"
    fitted = dataclasses.replace(placeholder, cache_bytes=2**20, fit={"cache_candidates_bytes": [0, 2**20, 2**25, 2**33]})
    assert _capacity(fitted) == "1 MiB (fitted of 4 capacities, none to all of memory)"
    assert _capacity(dataclasses.replace(fitted, cache_bytes=placeholder.memory_bytes)).startswith("all of memory (")
