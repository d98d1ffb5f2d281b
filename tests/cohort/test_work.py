"""The work list in-process: created once and joined, each network taken by one worker,
copies abandoned, stopped networks enqueued again, dead workers' networks taken over."""

import time

import pytest
from optuna.trial import TrialState

from archscope.cohort.networks import choose
from archscope.cohort.work import (
    CohortMismatch,
    CohortSettings,
    claim,
    enqueue,
    member_of,
    members,
    open_work,
    states,
    tidy,
)
from archscope.search import storage as storage_module
from archscope.search.storage import heartbeat, open_storage

SETTINGS = CohortSettings(recipe={"steps": 4}, run="run", device="titanx", resolution="64x128")


@pytest.fixture
def chosen(loaded_run, titanx):
    return choose(loaded_run, titanx, rows="front", baselines="ndnet29")


@pytest.fixture(params=["sqlite", "journal"])
def url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'work.db'}" if request.param == "sqlite" else str(tmp_path / "journal.log")


def test_created_once_then_joined_with_new_networks(url, chosen):
    study, created = open_work(open_storage(url), "w", SETTINGS, chosen[:2])
    assert created and list(members(study)) == [m.name for m in chosen[:2]]
    joined, created = open_work(open_storage(url), "w", SETTINGS, chosen)  # another worker, more networks
    assert not created and list(members(joined)) == [m.name for m in chosen]
    assert all(state is TrialState.WAITING for state in states(joined).values())
    assert len(joined.trials) == len(chosen)  # nothing enqueued twice


def test_another_recipe_or_another_network_under_a_name_is_refused(url, chosen):
    open_work(open_storage(url), "w", SETTINGS, chosen)
    other = CohortSettings(recipe={"steps": 5}, run="run", device="titanx", resolution="64x128")
    with pytest.raises(CohortMismatch, match="trains with steps 4, not 5"):
        open_work(open_storage(url), "w", other, chosen)
    renamed = [chosen[1].__class__(**{**chosen[1].as_attr(), "name": chosen[0].name})]
    with pytest.raises(CohortMismatch, match=f"another network named {chosen[0].name}"):
        open_work(open_storage(url), "w", SETTINGS, renamed)


def test_two_workers_take_each_network_once(url, chosen):
    first, _ = open_work(open_storage(url), "w", SETTINGS, chosen)
    second, _ = open_work(open_storage(url), "w", SETTINGS, chosen)
    taken = []
    for study in [first, second] * len(chosen):
        trial = claim(study)
        if trial is not None:
            taken.append(member_of(trial).name)
    assert sorted(taken) == sorted(m.name for m in chosen)
    assert claim(first) is None and claim(second) is None


def test_a_copy_of_a_network_being_trained_is_abandoned(url, chosen):
    study, _ = open_work(open_storage(url), "w", SETTINGS, chosen[:1])
    enqueue(study, chosen[0])  # two idle workers enqueued it at once
    trial = claim(study)
    assert member_of(trial).name == chosen[0].name
    assert claim(open_work(open_storage(url), "w", SETTINGS, [])[0]) is None  # the copy gives way
    abandoned = [t for t in study.get_trials() if t.state is TrialState.FAIL]
    assert len(abandoned) == 1 and "abandoned" in abandoned[0].user_attrs


def test_a_stopped_network_is_enqueued_again_and_a_trained_one_is_not(url, chosen):
    study, _ = open_work(open_storage(url), "w", SETTINGS, chosen[:2])
    done, stopped = claim(study), claim(study)
    study.tell(done, 0.5)
    study.tell(stopped, state=TrialState.FAIL)  # Ctrl-C or an error
    current = tidy(study)
    assert current == {member_of(done).name: TrialState.COMPLETE, member_of(stopped).name: TrialState.WAITING}
    assert member_of(claim(study)).name == member_of(stopped).name


def test_a_dead_workers_network_is_taken_over(url, chosen, monkeypatch):
    monkeypatch.setattr(storage_module, "GRACE_S", 1)
    monkeypatch.setattr(storage_module, "HEARTBEAT_S", 1)
    study, _ = open_work(open_storage(url, retry_stale=True), "w", SETTINGS, chosen[:1])
    trial = claim(study)
    with heartbeat(study, trial._trial_id):
        time.sleep(1.5)
        assert tidy(study) == {chosen[0].name: TrialState.RUNNING}  # alive: its heartbeat is fresh
    time.sleep(2.2)  # the worker "died": no heartbeat for longer than the grace period
    assert tidy(study) == {chosen[0].name: TrialState.WAITING}
    states_ = [t.state for t in study.get_trials()]
    assert states_ == [TrialState.FAIL, TrialState.WAITING]  # failed, and enqueued again by Optuna's callback
    assert member_of(claim(study)).name == chosen[0].name
