"""Real processes: two ``archscope train --rows`` workers share one cohort (the default
SQLite file in --out, a journal file, a PostgreSQL server), each network trained once;
a worker killed mid-network loses nothing: another takes its network over and resumes
it from its checkpoint."""

import csv
import json
import signal
import time
import uuid

import optuna
import pandas as pd
import pytest

from tests.search.conftest import archscope_process, postgres_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # real processes that train: about a minute in all

NETWORKS = ["row0", "row1", "ndnet29", "ndnet45"]


def _args(run, out, steps, *extra, networks=("--rows", "front", "--baselines", "ndnet29,ndnet45")):
    return ["train", "--from", str(run), *networks, "--resolution", "32x32",
            "--batch", "2", "--steps", str(steps), "--eval-every", "0", "--eval-images", "4", "--checkpoint-every",
            "10", "--threads", "1", "--out", str(out), "--format", "json", *extra]


def _train_steps(folder):
    with open(folder / "metrics.csv", newline="") as handle:
        return [int(r["step"]) for r in csv.DictReader(handle) if r["phase"] == "train"]


def _completed(storage, name):
    if "://" not in storage:
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage))
    study = optuna.load_study(study_name=name, storage=storage)
    return [t for t in study.get_trials() if t.state is optuna.trial.TrialState.COMPLETE]


def _two_workers(run, out, steps, *extra):
    workers = [archscope_process(*_args(run, out, steps, *extra)) for _ in range(2)]
    outputs = []
    for worker in workers:
        stdout, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        outputs.append(json.loads(stdout))
    return outputs


def _check_each_trained_once(out, outputs, steps):
    trained = [name for output in outputs for name in output["trained_here"]]
    assert sorted(trained) == sorted(NETWORKS)  # each network by one worker
    assert all(output["trained_here"] for output in outputs)  # both workers trained
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["name"]) == NETWORKS and set(summary["state"]) == {"done"}
    assert summary["worker"].nunique() == 2
    for name in NETWORKS:
        assert _train_steps(out / name) == list(range(1, steps + 1))


@pytest.mark.parametrize("storage", ["default", "journal"])
def test_two_workers_share_a_cohort(tiny_run, tmp_path, storage):
    out = tmp_path / "cohort"
    extra = [] if storage == "default" else ["--storage", str(tmp_path / "journal.log")]
    outputs = _two_workers(tiny_run, out, 150, *extra)
    _check_each_trained_once(out, outputs, 150)
    assert len(_completed(outputs[0]["storage"], "cohort")) == len(NETWORKS)


def test_two_workers_share_a_cohort_on_postgresql(postgres_url, tiny_run, tmp_path):
    out = tmp_path / f"pg-{uuid.uuid4().hex[:8]}"  # the study is named after the folder
    outputs = _two_workers(tiny_run, out, 150, "--storage", postgres_url)
    _check_each_trained_once(out, outputs, 150)
    assert len(_completed(postgres_url.replace("postgresql://", "postgresql+psycopg://"), out.name)) == len(NETWORKS)


def test_a_killed_workers_network_is_taken_over_and_resumed(tiny_run, tmp_path):
    out, journal, steps = tmp_path / "cohort", str(tmp_path / "journal.log"), 800
    args = _args(tiny_run, out, steps, "--storage", journal, networks=("--rows", "0"))
    killed = archscope_process(*args)
    deadline = time.monotonic() + 120
    while not ((out / "row0" / "checkpoint.pt").is_file() and len(_train_steps(out / "row0")) >= 25):
        assert time.monotonic() < deadline and killed.poll() is None, killed.communicate()
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert len(_train_steps(out / "row0")) < steps

    survivor = archscope_process(*args)
    stdout, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    assert "waiting for other workers: row0" in err  # until the dead worker's heartbeat is stale
    assert json.loads(stdout)["trained_here"] == ["row0"]
    assert _train_steps(out / "row0") == list(range(1, steps + 1))  # resumed: every step once
    trials = optuna.load_study(study_name="cohort", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(journal))).get_trials()
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE"]  # failed by its heartbeat, then taken again
