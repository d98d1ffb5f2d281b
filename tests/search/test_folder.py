"""Reading a search run folder back, and the one-line errors for what is not one."""

from __future__ import annotations

import shutil

import pytest

from archscope.search.folder import RUN_FILES, RunError, load_run


def copy(run, tmp_path, name="copy"):
    target = tmp_path / name
    shutil.copytree(run, target)
    return target


def test_a_run_reads_back(tiny_run):
    run = load_run(tiny_run)
    assert run.space.name == "tiny" and run.space.constraints.limit("min_fps") == 1800
    assert len(run.trials) == 60 and run.trials["feasible"].dtype == bool
    assert 0 < len(run.feasible) < len(run.finished) == 60
    assert run.command.startswith("archscope search --space tiny.toml")
    assert run.repeat_command == f"archscope search --space {tiny_run / 'config.toml'}"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda run, tmp: tmp / "nowhere", "no such folder"),
        (lambda run, tmp: (tmp / "file.txt", (tmp / "file.txt").write_text("x"))[0], "is not a folder"),
        (lambda run, tmp: (tmp / "empty", (tmp / "empty").mkdir())[0], "is not a search run folder"),
    ],
    ids=["missing", "a file", "an empty folder"],
)
def test_not_a_run(tiny_run, tmp_path, make, message):
    with pytest.raises(RunError, match=message):
        load_run(make(tiny_run, tmp_path))


@pytest.mark.parametrize("name", RUN_FILES)
def test_a_missing_file_is_named(tiny_run, tmp_path, name):
    folder = copy(tiny_run, tmp_path)
    (folder / name).unlink()
    with pytest.raises(RunError, match=f"has no {name}"):
        load_run(folder)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("config.toml", "[run\n", "malformed TOML"),
        ("config.toml", "[run]\nseed = 0\n", r"has no \[space\] table"),
        ("config.toml", "[space]\nname = 'x'\n", "missing family"),
        ("trials.csv", "", "is empty"),
        ("trials.csv", "trial,state\n0,COMPLETE\n", "has no column"),
        ("pareto.csv", '"unclosed\n', "not a readable CSV"),
    ],
)
def test_unreadable_files_give_one_line(tiny_run, tmp_path, name, text, message):
    folder = copy(tiny_run, tmp_path)
    (folder / name).write_text(text)
    with pytest.raises(RunError, match=message) as error:
        load_run(folder)
    assert "\n" not in str(error.value)


def test_an_exhaustive_run_has_no_state_column(tiny_run, tmp_path):
    import pandas as pd

    folder = copy(tiny_run, tmp_path)
    trials = pd.read_csv(folder / "trials.csv").drop(columns=["state", "trial"])
    trials.to_csv(folder / "trials.csv", index=False)
    run = load_run(folder)
    assert len(run.finished) == len(trials) and (run.trials["state"] == "COMPLETE").all()
