"""A cohort's work list: an Optuna study with one trial per network, shared by every
worker (process or machine) given the same storage.

- The first worker creates the study (``optuna.create_study`` lets one win), enqueues a
  WAITING trial per network (the network's description in the trial's user attributes)
  and then stores the recipe in the study's user attributes, which marks the list ready.
  Other workers wait for that mark, check that their recipe is the same, and enqueue the
  networks they ask for that the study does not have yet.
- A worker takes the next WAITING trial (Optuna's own pop: a trial moves from WAITING to
  RUNNING for one worker only) and records a heartbeat while it trains. A trial whose
  heartbeat stops (its worker died) is marked FAILED by ``fail_stale_trials`` and
  enqueued again by the one worker that failed it (``archscope.search.storage``).
- A network with no WAITING, RUNNING or COMPLETE trial (stopped with Ctrl-C, or its
  worker died before re-enqueueing it) is enqueued again by an idle worker. Should two
  idle workers enqueue it at once, the copy that starts later gives way (it is marked
  FAILED, ``abandoned``), so a network is trained by one worker at a time.
- A COMPLETE trial's value is the network's final mIoU; its results are in the trial's
  user attributes, so any worker can write the summary.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import optuna
from optuna.trial import FrozenTrial, TrialState

from archscope.cohort.networks import Member
from archscope.search.storage import fail_stale_trials

ATTR = "archscope_cohort"  # the study's settings and each trial's network
RESULT = "result"  # a trial's training results
#: how long a joining worker waits for the first one to enqueue the networks
READY_TIMEOUT_S = 60.0
LIVE = (TrialState.WAITING, TrialState.RUNNING, TrialState.COMPLETE)


class CohortMismatch(ValueError):
    """A work list that exists with another recipe or other networks under the same names."""


@dataclass(frozen=True)
class CohortSettings:
    """What every network of the cohort shares: the training recipe (``TrainConfig``'s
    fields but the network and folder) and the run it came from."""

    recipe: dict[str, Any]
    run: str
    device: str
    resolution: str

    def as_attr(self) -> dict[str, Any]:
        return {"recipe": self.recipe, "run": self.run, "device": self.device, "resolution": self.resolution}


def _quiet() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def member_of(trial: FrozenTrial) -> Member | None:
    data = trial.user_attrs.get(ATTR)
    return Member.from_attr(data) if isinstance(data, dict) else None


def enqueue(study: optuna.Study, member: Member) -> None:
    study.enqueue_trial({}, user_attrs={ATTR: member.as_attr()})


def members(study: optuna.Study) -> dict[str, Member]:
    """Every network of the work list, in the order it was enqueued."""
    found: dict[str, Member] = {}
    for trial in study.get_trials(deepcopy=False):
        member = member_of(trial)
        if member is not None:
            found.setdefault(member.name, member)
    return found


def _settings(study: optuna.Study) -> dict[str, Any] | None:
    data = study.user_attrs.get(ATTR)
    return data if isinstance(data, dict) else None


def open_work(
    storage: optuna.storages.BaseStorage, name: str, settings: CohortSettings, wanted: Sequence[Member]
) -> tuple[optuna.Study, bool]:
    """(the work list, created by this call): create it with ``wanted``, or join it
    (``CohortMismatch`` for another recipe or another network under a known name) and add
    the networks it does not have."""
    _quiet()
    try:
        study = optuna.create_study(storage=storage, study_name=name, direction="maximize")
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage)
        _join(study, settings, wanted)
        return study, False
    for member in wanted:
        enqueue(study, member)
    study.set_user_attr(ATTR, settings.as_attr())  # ready
    return study, True


def _join(study: optuna.Study, settings: CohortSettings, wanted: Sequence[Member]) -> None:
    stored = _wait_ready(study)
    if stored is None:  # its creator died before it was ready: adopt it
        study.set_user_attr(ATTR, settings.as_attr())
        stored = settings.as_attr()
    if stored["recipe"] != settings.recipe:
        changed = sorted(k for k in set(stored["recipe"]) | set(settings.recipe)
                         if stored["recipe"].get(k) != settings.recipe.get(k))
        first = changed[0]
        raise CohortMismatch(
            f"study {study.study_name!r} trains with {first} {stored['recipe'].get(first)!r}, not "
            f"{settings.recipe.get(first)!r}: give the same training options, or another --out"
        )
    known = members(study)
    for member in wanted:
        if member.name in known and (known[member.name].family, known[member.name].train) != (member.family, member.train):
            raise CohortMismatch(f"study {study.study_name!r} has another network named {member.name} "
                                 f"({known[member.name].label}): use another --out")
        if member.name not in known:
            enqueue(study, member)


def _wait_ready(study: optuna.Study, timeout_s: float = READY_TIMEOUT_S) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout_s
    while True:
        stored = _settings(study)
        if stored is not None or time.monotonic() > deadline:
            return stored
        time.sleep(0.2)


def stored_settings(study: optuna.Study) -> CohortSettings | None:
    data = _settings(study)
    return CohortSettings(**data) if data is not None else None


def claim(study: optuna.Study) -> optuna.Trial | None:
    """The next network to train, as a RUNNING trial of this worker; ``None`` when no
    network waits. A copy of a network that another worker already trains (or trained)
    is abandoned and the next one taken."""
    while True:
        trial_id = study._pop_waiting_trial_id()
        if trial_id is None:
            return None
        trial = optuna.Trial(study, trial_id)
        if not _taken_elsewhere(study, trial_id):
            return trial
        trial.set_user_attr("abandoned", "another worker trains this network")
        study.tell(trial, state=TrialState.FAIL)


def _name(trial: FrozenTrial) -> str | None:
    member = member_of(trial)
    return member.name if member is not None else None


def _taken_elsewhere(study: optuna.Study, trial_id: int) -> bool:
    """Another trial of the same network is complete, or started running before this one."""
    trials = study.get_trials(deepcopy=False)
    mine = next(t for t in trials if t._trial_id == trial_id)
    for other in trials:
        if other._trial_id == trial_id or _name(other) != _name(mine):
            continue
        if other.state is TrialState.COMPLETE:
            return True
        started = other.datetime_start is not None and mine.datetime_start is not None
        if other.state is TrialState.RUNNING and started and (
            (other.datetime_start, other.number) < (mine.datetime_start, mine.number)
        ):
            return True
    return False


def states(study: optuna.Study) -> dict[str, TrialState | None]:
    """Each network's state: COMPLETE, RUNNING or WAITING if any of its trials is, else
    FAIL if it was tried (stopped or failed), else None."""
    found: dict[str, TrialState | None] = {name: None for name in members(study)}
    order = {TrialState.COMPLETE: 0, TrialState.RUNNING: 1, TrialState.WAITING: 2, TrialState.FAIL: 3}
    for trial in study.get_trials(deepcopy=False):
        member = member_of(trial)
        if member is None or trial.state not in order:
            continue
        current = found[member.name]
        if current is None or order[trial.state] < order[current]:
            found[member.name] = trial.state
    return found


def tidy(study: optuna.Study) -> dict[str, TrialState | None]:
    """Fail the trials of dead workers (they are enqueued again), enqueue networks that
    have no live trial, and return every network's state."""
    fail_stale_trials(study)
    current = states(study)
    lost = [name for name, state in current.items() if state not in LIVE]
    if lost:
        known = members(study)
        for name in lost:
            enqueue(study, known[name])
        current = states(study)
    return current


def latest(study: optuna.Study) -> dict[str, FrozenTrial]:
    """Each network's most telling trial: its complete one, else its latest."""
    found: dict[str, FrozenTrial] = {}
    for trial in study.get_trials(deepcopy=False):
        member = member_of(trial)
        if member is None:
            continue
        best = found.get(member.name)
        if best is None or best.state is not TrialState.COMPLETE:
            found[member.name] = trial
    return found


def results(trial: FrozenTrial | optuna.Trial) -> Mapping[str, Any]:
    return trial.user_attrs.get(RESULT, {})
