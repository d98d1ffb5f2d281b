"""``archscope train --from RUN --rows ... [--baselines ...] --out DIR`` as a user types
it: the summary (JSON and table), the default folder, one-line errors with exit 2."""

import json
import shutil

import pandas as pd
import pytest

from archscope.cli import main
from tests.search.conftest import tiny_run, write_run  # noqa: F401  (fixtures)

RECIPE = ["--resolution", "32x32", "--batch", "2", "--steps", "2", "--eval-images", "2", "--threads", "1"]


def run(capsys, *args):
    code = main(["train", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_summary_of_the_front_and_baselines(capsys, tiny_run, tmp_path):
    out_dir = tmp_path / "trained"
    code, out, err = run(capsys, "--from", str(tiny_run), "--rows", "front", "--baselines", "ndnet29", *RECIPE,
                         "--out", str(out_dir), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    front = pd.read_csv(tiny_run / "pareto.csv")
    names = [f"row{i}" for i in range(len(front))] + ["ndnet29"]
    assert [n["name"] for n in data["networks"]] == names == data["trained_here"]
    assert data["device"] == "titanx" and data["recipe"]["steps"] == 2 and data["recipe"]["crop"] == [32, 32]
    first = data["networks"][0]
    assert {"widths", "depths", "layers", "params", "macs", "latency_ms", "fps", "miou", "pixel_accuracy",
            "images_per_s", "train_s"} <= set(first)
    assert first["widths"] == front["widths"][0] and first["fps"] == pytest.approx(front["fps"][0], rel=1e-5)
    assert pd.read_csv(out_dir / "summary.csv")["name"].tolist() == names
    assert "networks" in err  # the progress line over networks, on stderr


def test_table_and_the_default_folder(capsys, tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    code, out, err = run(capsys, "--from", str(run_dir), "--rows", "0", *RECIPE)
    assert code == 0, err
    assert "row0" in out and "mIoU" in out and f"archscope report {run_dir / 'trained'}" in out
    assert (run_dir / "trained" / "summary.csv").is_file() and (run_dir / "trained" / "row0" / "metrics.csv").is_file()
    code, out, err = run(capsys, "--from", str(run_dir), "--rows", "0", *RECIPE)  # again: nothing to train
    assert code == 0 and "row0" in out and "step 2" not in err


@pytest.mark.parametrize(("args", "names"), [
    (["--rows", "99"], "99 is not a row of"),
    (["--rows", "first"], "'first' is not front, all or row numbers"),
    (["--baselines", "ndnet99"], "unknown baseline 'ndnet99'"),
    (["--rows", "0", "--row", "1"], "not both"),
    (["--rows", "0", "--data", "imagenet"], "imagenet"),
    (["--rows", "0", "--storage", "/no/such/dir/journal.log"], "/no/such/dir"),
    (["--row", "0", "--storage", "x.log"], "--storage"),
])
def test_bad_input_is_one_line_exit_2(capsys, tiny_run, tmp_path, args, names):
    code, out, err = run(capsys, "--from", str(tiny_run), *args, *RECIPE, "--out", str(tmp_path / "t"))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archscope: error:") and names in lines[0], err
    assert out == ""


def test_a_folder_that_is_not_a_run_or_has_no_front(capsys, tmp_path):
    code, _, err = run(capsys, "--rows", "front", "--out", str(tmp_path / "t"))
    assert code == 2 and "give its folder with --from RUN_DIR" in err
    code, _, err = run(capsys, "--from", str(tmp_path), "--rows", "front", "--out", str(tmp_path / "t"))
    assert code == 2 and "is not a search run folder" in err and err.count("\n") == 1
    empty = write_run(tmp_path / "infeasible", min_fps=1e9)
    code, _, err = run(capsys, "--from", str(empty), "--rows", "front", "--out", str(tmp_path / "t"))
    assert code == 2 and "has no front (pareto.csv has no rows)" in err and err.count("\n") == 1


def test_another_recipe_in_the_same_folder_is_refused(capsys, tiny_run, tmp_path):
    out_dir = str(tmp_path / "t")
    assert run(capsys, "--from", str(tiny_run), "--rows", "0", *RECIPE, "--out", out_dir)[0] == 0
    three_steps = [("3" if previous == "--steps" else a) for previous, a in zip(["", *RECIPE], RECIPE)]
    code, _, err = run(capsys, "--from", str(tiny_run), "--rows", "0", *three_steps, "--out", out_dir)
    assert code == 2 and "trains with steps 2, not 3" in err and err.count("\n") == 1
