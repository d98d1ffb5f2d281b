"""Real processes: a killed search resumes without losing a finished trial, Ctrl-C exits
cleanly, and two ``archscope search`` workers share one study on a journal file and on
a PostgreSQL server."""

import signal
import time
import uuid
from pathlib import Path

import optuna
import pandas as pd

from archscope.cli import main
from tests.search.conftest import archscope_process, postgres_url  # noqa: F401  (fixture)


def _complete(storage: str, name: str) -> list[optuna.trial.FrozenTrial]:
    if "://" not in storage:
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage))
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return []
    return study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))


def _wait_for(storage: str, name: str, count: int, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if len(_complete(storage, name)) >= count:
                return
        except Exception:  # the database is being created
            pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} trials after {timeout} s")


def test_a_killed_search_resumes_with_every_finished_trial(tiny_space_file, tmp_path):
    out = tmp_path / "run"
    storage = f"sqlite:///{out / 'study.db'}"
    process = archscope_process("search", "--space", str(tiny_space_file), "--trials", "100000", "--out", str(out))
    _wait_for(storage, "run", 10, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    finished = {t.number: (t.params, t.values) for t in _complete(storage, "run")}
    assert len(finished) >= 10

    target = len(finished) + 5
    assert main(["search", "--out", str(out), "--trials", str(target), "--format", "json"]) == 0  # same folder: resume
    after = {t.number: (t.params, t.values) for t in _complete(storage, "run")}
    assert len(after) == target
    assert all(after[number] == trial for number, trial in finished.items())
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["state"] == "COMPLETE").sum() == target


def test_ctrl_c_exits_cleanly_and_saves_the_finished_trials(tiny_space_file, tmp_path):
    out, storage = tmp_path / "run", str(tmp_path / "journal.log")
    process = archscope_process("search", "--space", str(tiny_space_file), "--trials", "100000", "--out", str(out), "--storage", storage)
    _wait_for(storage, "run", 5, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err and "resume with: archscope search --storage" in err
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["state"] == "COMPLETE").sum() == len(_complete(storage, "run")) >= 5


def _two_workers(storage: str, name: str, space: Path, trials: int, out: Path) -> pd.DataFrame:
    """The study is created here (one trial) so that both workers start together and
    join it; ``trials`` is the study's budget."""
    args = ["search", "--space", str(space), "--storage", storage, "--study-name", name, "--out", str(out)]
    assert main([*args, "--trials", "1", "--format", "json"]) in (0, 1)  # 1: that trial was infeasible
    workers = [archscope_process(*args, "--trials", str(trials), "--format", "json") for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    return pd.read_csv(out / "trials.csv")


def test_two_workers_share_one_study_on_a_journal_file(tiny_space_file, tmp_path):
    trials = _two_workers(str(tmp_path / "journal.log"), "shared", tiny_space_file, 200, tmp_path / "run")
    done = trials[trials["state"] == "COMPLETE"]
    assert 200 <= len(done) <= 201  # the budget is the study's; a worker may overshoot by one
    assert done["worker"].iloc[1:].nunique() == 2  # both workers, besides the one that created it
    assert done["trial"].is_unique


def test_two_workers_share_one_study_on_postgresql(postgres_url, tiny_space_file, tmp_path):
    name = f"pg-{uuid.uuid4().hex[:8]}"
    trials = _two_workers(postgres_url, name, tiny_space_file, 20, tmp_path / "run")
    done = trials[trials["state"] == "COMPLETE"]
    assert 20 <= len(done) <= 21
    assert done["worker"].iloc[1:].nunique() == 2
    assert len(_complete(postgres_url.replace("postgresql://", "postgresql+psycopg://"), name)) == len(done)
