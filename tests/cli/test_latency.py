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
        (["validate", "latency", "--device", "titanx", "--module", "nosuchmodule:build@1x3x64x64"], "nosuchmodule"),
        (["validate", "latency", "--device", "titanx", "--module", "mobilenet:build"], "mobilenet:build"),
        (["validate", "latency", "--device", "titanx", "--count", "0", "--module", "json:loads@1x3x8x8"], "json:loads"),
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


def test_the_memory_model_is_reported_as_a_curve_or_a_cache():
    import dataclasses

    from archscope.cli.latency import _memory
    from archscope.latency.profile import load_profile

    placeholder = dataclasses.replace(load_profile("local"), bandwidth_curve=())
    assert _memory(placeholder) == f"cache 32 MiB at {placeholder.cache_bytes_per_s / 1e9:.1f} GB/s"
    curved = dataclasses.replace(placeholder, bandwidth_curve=((2.0**15, 5e10), (2.0**20, 1.5e11), (2.0**30, 2.6e10)))
    assert _memory(curved) == "bandwidth curve of 3 copies, 32 KiB to 1024 MiB moved: fastest 150.0 GB/s"



def test_the_family_table_adds_the_families_without_the_modules():
    from rich.console import Console

    from archscope.cli.latency import _group_table

    figures = {"n": 2, "within_10pct": 0.5, "mape": 7.0, "median_error_pct": -3.0, "repeatability": 1.0,
               "baseline": {"within_10pct": 0.0, "mape": 40.0, "median_error_pct": 30.0}}
    summary = {"by_family": {"enet": figures, "modules": figures}, "drawn": figures}
    console = Console(width=200, record=True)
    console.print(_group_table(summary))
    text = console.export_text()
    assert "families (no modules)" in text and "50% / 0%" in text and "-3.0 / +30.0" in text
    console.print(_group_table({"by_family": {"enet": figures}, "drawn": figures}))
    assert console.export_text().count("families (no modules)") == 0
