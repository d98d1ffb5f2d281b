"""``archscope cost``: formats, options and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pandas as pd
import pytest
import sympy

from archscope.cli import main

SMALL = ["--resolution", "64x128"]


def run(capsys, *args):
    code = main(["cost", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_keys(capsys):
    code, out, _ = run(capsys, "ndnet", "--widths", "16,32,64", "--depths", "4,12,6", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {"params", "macs", "layers", "blocks", "read_bytes", "write_bytes", "norm_params"} <= set(data)
    assert data["layers"] == 45
    assert [b["name"] for b in data["blocks"]] == ["stem", "block1", "block2", "block3", "head"]
    assert all({"name", "params", "macs"} <= set(b) for b in data["blocks"])
    assert sum(b["macs"] for b in data["blocks"]) == data["macs"]
    assert data["config"]["resolution"] == "1024x2048"


def test_check_and_symbolic_in_json(capsys):
    code, out, _ = run(
        capsys, "ndnet", "--widths", "16,32,64", "--depths", "4,12,6", *SMALL, "--format", "json", "--check", "--symbolic"
    )
    assert code == 0
    data = json.loads(out)
    assert set(data["check"]) == {"fvcore", "ptflops_pytorch", "ptflops_aten", "torch_params"}
    for name in ("fvcore", "ptflops_aten", "torch_params"):
        assert data["check"][name]["diff"] == 0
        assert {"theirs", "ours", "diff", "note"} <= set(data["check"][name])
    assert data["check"]["torch_params"]["theirs"] == data["params"] + data["norm_params"]
    formulas = {k: sympy.sympify(v) for k, v in data["formulas"].items()}
    assert {"block_params", "block_macs", "params", "macs", "layers"} <= set(formulas)
    values = {"n1": 16, "n2": 32, "n3": 64, "d1": 4, "d2": 12, "d3": 6, "e": 4, "K": 19, "m": 64, "c0": 64, "B": 1, "H": 64, "W": 128}
    assert formulas["macs"].subs(values) == data["macs"]
    assert formulas["params"].subs(values) == data["params"]


def test_csv_has_one_row_per_block_and_a_total(capsys):
    code, out, _ = run(capsys, "ndnet", *SMALL, "--format", "csv", "--head", "none")
    assert code == 0
    import io

    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["block"]) == ["stem", "block1", "block2", "block3", "total"]
    assert frame["params"].iloc[:-1].sum() == frame["params"].iloc[-1]


def test_table_output(capsys):
    code, out, _ = run(capsys, "ndnet", "--widths", "16,32,64", "--depths", "4,12,6", *SMALL, "--check", "--symbolic")
    assert code == 0
    for text in ("block3", "total", "by op class", "cross-check", "fvcore", "block_params"):
        assert text in out


@pytest.mark.parametrize(
    "args, names",
    [
        (["ndnet", "--widths", "16,32,64", "--depths", "4,12"], "4,12"),
        (["ndnet", "--widths", "16,0,64"], "0"),
        (["ndnet", "--widths", "16,-3,64"], "-3"),
        (["ndnet", "--widths", "16,abc,64"], "abc"),
        (["ndnet", "--depths", "4,1.5,6"], "1.5"),
        (["ndnet", "--expansion", "0"], "0"),
        (["nonet"], "nonet"),
        (["ndnet", "--resolution", "1024by2048"], "1024by2048"),
        (["ndnet", "--resolution", "0x2048"], "0x2048"),
        (["ndnet", "--head", "fcn8"], "fcn8"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, args, names):
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert names in lines[0] and lines[0].startswith("archscope: error:")
    assert "Traceback" not in err and out == ""


def test_console_script_exit_code_and_stderr():
    # the installed entry point, as users run it
    result = subprocess.run(
        [sys.executable, "-c", "from archscope.cli import entry; entry()", "cost", "ndnet", "--widths", "1,2", "--depths", "3"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "1,2" in result.stderr and "Traceback" not in result.stderr
