"""``archscope search`` from the command line: output, the run folder, repeating a run,
and one-line errors with exit code 2."""

import json
import tomllib

import pandas as pd
import pytest

from archscope.cli import main
from tests.search.conftest import TINY


@pytest.fixture
def tiny_space_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def run(capsys, *args):
    code = main(["search", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_front_and_run_folder(capsys, tiny_space_file, tmp_path):
    out_dir = tmp_path / "run"
    code, out, _ = run(capsys, "--space", str(tiny_space_file), "--trials", "30", "--out", str(out_dir), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["trials"] == 30 and data["sampler"] == "tpe" and data["study_name"] == "run"
    assert data["storage"] == f"sqlite:///{out_dir.resolve() / 'study.db'}"
    assert data["front"] and all(point["feasible"] and point["fps"] >= 1800 for point in data["front"])
    assert 0 < data["hypervolume_ratio"] <= 1 + 1e-12 and data["true_front_points"] >= 1
    pareto = pd.read_csv(out_dir / "pareto.csv")
    assert {"family", "widths", "depths", "expansion", "layers", "params", "macs", "latency_ms", "fps", "feasible"} <= set(pareto)
    assert len(pareto) == len(data["front"]) and pareto["feasible"].all()
    trials = pd.read_csv(out_dir / "trials.csv")
    assert len(trials) == 30 and {"state", "worker", "n1", "d1", "d2", "d3", "e", "violation[min_fps]"} <= set(trials)
    config = tomllib.loads((out_dir / "config.toml").read_text())
    assert config["run"]["sampler"] == "tpe" and config["run"]["seed"] == 0 and config["run"]["trials"] == 30
    assert config["space"]["constraints"]["min_fps"] == 1800.0 and config["result"]["finished_trials"] == 30


def test_a_runs_config_repeats_it(capsys, tiny_space_file, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    journal = ["--storage", str(tmp_path / "journal.log")]
    assert run(capsys, "--space", str(tiny_space_file), "--trials", "15", "--seed", "3", "--out", str(first), *journal, "--format", "json")[0] == 0
    code, out, _ = run(capsys, "--space", str(first / "config.toml"), "--out", str(second), *journal, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["trials"] == 15 and data["seed"] == 3 and data["space"] == "tiny"
    columns = ["widths", "depths", "expansion", "layers", "fps"]
    assert pd.read_csv(first / "trials.csv")[columns].equals(pd.read_csv(second / "trials.csv")[columns])


def test_overrides_and_table_output(capsys, tiny_space_file, tmp_path):
    code, out, _ = run(capsys, "--space", str(tiny_space_file), "--min-fps", "2300", "--min-layers", "9",
                       "--sampler", "exhaustive", "--out", str(tmp_path / "x"))
    assert code == 0
    assert "Pareto front: tiny" in out and "162 configurations" in out
    pareto = pd.read_csv(tmp_path / "x" / "pareto.csv")
    assert (pareto["fps"] >= 2300).all() and (pareto["layers"] >= 9).all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--space", "nope"], "unknown search space 'nope'"),
        (["--sampler", "annealing"], "'annealing' is not one of tpe, nsga2, random, exhaustive"),
        (["--min-fps", "0"], "must be > 0"),
        (["--resolution", "big"], "is not HxW"),
        (["--device", "abacus"], "unknown device 'abacus'"),
        (["--min-fps", "100000"], "no configuration of space 'tiny' meets its constraints"),
        (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot open storage"),
        (["--storage", "sqlite:////nonexistent/dir/x.db"], "cannot open storage"),
        (["--storage", "/nonexistent/dir/journal.log"], "folder '/nonexistent/dir' does not exist"),
        (["--format", "csv"], "'csv' is not one of 'table', 'json'"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, tiny_space_file, tmp_path, args, message):
    base = ["--space", str(tiny_space_file)] if "--space" not in args else []
    code, out, err = run(capsys, *base, "--trials", "3", "--out", str(tmp_path / "run"), *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_malformed_space_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nfamily = [')
    code, _, err = run(capsys, "--space", str(bad))
    assert code == 2 and "malformed TOML" in err and len(err.strip().splitlines()) == 1


def test_joining_a_study_with_another_space_is_refused(capsys, tiny_space_file, tmp_path):
    out_dir, journal = str(tmp_path / "run"), ["--storage", str(tmp_path / "journal.log")]
    assert run(capsys, "--space", str(tiny_space_file), "--trials", "10", "--out", out_dir, *journal, "--format", "json")[0] == 0
    code, _, err = run(capsys, "--space", str(tiny_space_file), "--min-fps", "1000", "--trials", "15", "--out", out_dir, *journal)
    assert code == 2 and "exists with another space" in err
    # without --space, the study's own space is used: a plain resume
    code, out, _ = run(capsys, "--trials", "15", "--out", out_dir, *journal, "--format", "json")
    assert code == 0 and json.loads(out)["trials"] == 15 and json.loads(out)["space"] == "tiny"
