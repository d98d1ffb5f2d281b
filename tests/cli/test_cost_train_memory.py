"""``archscope cost ... --train-memory [--measure]``."""

import json

from archscope import api
from archscope.cli import main
from archscope.memory.predict import predict_train_memory

SMALL = ["ndnet", "--widths", "8,16", "--depths", "1,2", "--resolution", "64x64"]


def run(capsys, *args):
    code = main(["cost", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_prediction_and_fits(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHSCOPE_DEVICES", str(tmp_path))  # the shipped profiles only
    code, out, _ = run(capsys, *SMALL, "--batch", "3", "--train-memory", "--format", "json")
    assert code == 0
    data = json.loads(out)
    expected = predict_train_memory(api.cost("ndnet", widths=(8, 16), depths=(1, 2), resolution=(64, 64), batch=3))
    assert data["train_memory_bytes"] == expected.total_bytes == data["train_memory"]["total_bytes"]
    assert set(data["train_memory_fits"]) == {"titanx", "titanxp", "jetson-tx2", "local"}
    assert all(data["train_memory_fits"].values())
    assert "measured_train_memory_bytes" not in data


def test_measure_adds_the_measured_peak(capsys):
    code, out, _ = run(capsys, *SMALL, "--batch", "2", "--measure", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert abs(data["train_memory_error_pct"]) < 10
    assert data["measured_train_memory_bytes"] > 0 and data["measured_by"] == "live-tensors"


def test_paper_setup_does_not_fit_a_tx2(capsys):
    # NDNet45 trained as in the paper: batch 16 of 1024x1024 crops
    code, out, _ = run(
        capsys,
        "ndnet",
        "--widths",
        "16,32,64",
        "--depths",
        "4,12,6",
        "--resolution",
        "1024x1024",
        "--batch",
        "16",
        "--train-memory",
        "--format",
        "json",
    )
    fits = json.loads(out)["train_memory_fits"]
    assert code == 0 and fits["titanx"] and not fits["jetson-tx2"]


def test_table_and_bad_measure_options(capsys):
    code, out, _ = run(capsys, *SMALL, "--train-memory")
    assert code == 0 and "predicted peak" in out and "jetson-tx2" in out
    code, out, err = run(capsys, *SMALL, "--measure", "--elem-bytes", "2")
    assert code == 2 and err.count("\n") == 1 and "--measure" in err and "--elem-bytes" in err
    code, out, err = run(capsys, "ndnet", "--resolution", "4096x8192", "--batch", "64", "--measure")
    assert code == 2 and err.count("\n") == 1 and "lower --batch or --resolution" in err


def test_vnet_reversible_against_plain(capsys):
    small = ["vnet", "--resolution", "64x128", "--batch", "2", "--depths", "3,6", "--measure", "--format", "json"]
    data = {}
    for flag in ("--reversible", "--no-reversible"):
        code, out, _ = run(capsys, *small, flag)
        assert code == 0
        data[flag] = json.loads(out)
    reversible, plain = data["--reversible"], data["--no-reversible"]
    assert reversible["config"]["reversible"] is True and plain["config"]["reversible"] is False
    assert reversible["params"] == plain["params"] and reversible["macs"] == plain["macs"]
    assert reversible["train_memory"]["saved_bytes"] < 0.7 * plain["train_memory"]["saved_bytes"]
    assert reversible["measured_saved_bytes"] < 0.7 * plain["measured_saved_bytes"]
    for payload in (reversible, plain):
        assert abs(payload["train_memory_error_pct"]) < 10
