"""One cohort worker: take the next network of the work list, train it under the
cohort's recipe in ``DIR/<name>/`` (the trainer's checkpoints, ``metrics.csv``), record
its results, and go on until every network is trained.

A network whose folder holds a checkpoint resumes from it (a worker died, or Ctrl-C
stopped it); one whose ``result.json`` matches the recipe is not trained again (its
work list was lost). Ctrl-C (or SIGTERM) lets the step finish, checkpoints and stops
the worker (``interrupted``; the same command continues). While other workers train the
last networks, an idle worker waits for them (and takes over a dead worker's network).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import optuna
import pandas as pd
from optuna.trial import TrialState

from archscope.cohort.networks import Member
from archscope.cohort.progress import CohortSink, SilentCohort
from archscope.cohort.summary import summary_frame, write_summary
from archscope.cohort.work import RESULT, CohortSettings, claim, latest, member_of, open_work, states, tidy
from archscope.search.objective import worker_id
from archscope.search.signals import GracefulStop
from archscope.search.storage import GRACE_S, heartbeat, open_storage, storage_url
from archscope.search.toml_out import dumps
from archscope.version import version

if TYPE_CHECKING:
    from archscope.train.config import TrainConfig
    from archscope.train.loop import TrainResult

RESULT_FILE = "result.json"
#: how often an idle worker looks again (for the last networks, or a dead worker's)
POLL_S = 1.0
CONFIG_FILE = "cohort.toml"
#: TrainConfig fields that are the network's, not the recipe's
NETWORK_FIELDS = ("family", "hyper")


def recipe_of(config: TrainConfig) -> dict[str, Any]:
    """The recipe every network shares: what the run computes but the network."""
    return {k: v for k, v in config.identity().items() if k not in NETWORK_FIELDS}


@dataclass(frozen=True)
class CohortRequest:
    """Train ``members`` under ``recipe`` (a ``TrainConfig``; its family, hyper and out are
    set per network) in ``out``."""

    recipe: TrainConfig
    members: Sequence[Member]
    out: Path
    run: Path
    device: str
    resolution: str
    storage: str | None = None  # None: sqlite:///OUT/study.db
    command: str = ""

    @property
    def storage_url(self) -> str:
        return storage_url(self.storage) if self.storage else f"sqlite:///{(self.out / 'study.db').resolve()}"

    @property
    def study_name(self) -> str:
        return self.out.resolve().name

    @property
    def settings(self) -> CohortSettings:
        return CohortSettings(recipe=recipe_of(self.recipe), run=str(self.run), device=self.device,
                              resolution=self.resolution)


@dataclass
class CohortOutcome:
    request: CohortRequest
    summary: pd.DataFrame
    trained: list[str] = field(default_factory=list)  # by this worker
    interrupted: bool = False
    created: bool = True
    files: list[Path] = field(default_factory=list)


def _write_config(request: CohortRequest) -> Path:
    path = request.out / CONFIG_FILE
    header = ("archscope train --rows: the networks of this folder are trained under [recipe]; "
              "archscope report DIR draws them")
    data = {
        "cohort": {"run": str(request.run), "device": request.device, "resolution": request.resolution,
                   "storage": request.storage_url, "study_name": request.study_name, "command": request.command,
                   "archscope_version": version("archscope")},
        "recipe": {k: v for k, v in recipe_of(request.recipe).items() if v is not None},
    }
    temporary = path.with_name(f".{path.name}.{worker_id().replace(':', '-')}.tmp")
    temporary.write_text(dumps(data, header=header))
    temporary.replace(path)
    return path


def _summary_of(result: TrainResult) -> dict[str, Any]:
    data = result.summary()
    return {
        "miou": data["miou_final"], "pixel_accuracy": data["pixel_accuracy_final"],
        "miou_initial": data["miou_initial"], "images_per_s": data["images_per_s"], "train_s": data["train_s"],
        "trained_params": data["params"], "steps": data["steps"], "loss": data["loss_final"],
    }


def _earlier_result(folder: Path, recipe: dict[str, Any], member: Member) -> dict[str, Any] | None:
    """The results a folder holds for this recipe and network (None otherwise)."""
    try:
        data = json.loads((folder / RESULT_FILE).read_text())
    except (OSError, ValueError):
        return None
    if data.get("recipe") != recipe or data.get("network", {}).get("train") != member.train:
        return None
    return data.get("result")


class Worker:
    """Trains networks of one work list until none is left (or a stop is requested)."""

    def __init__(self, request: CohortRequest, study: optuna.Study, progress: CohortSink) -> None:
        self.request, self.study, self.progress = request, study, progress
        self.worker = worker_id()
        self.trained: list[str] = []

    def run(self) -> bool:
        """Train until every network is done (False) or a stop is requested between two
        networks (True); ``TrainingInterrupted`` when one stops a network's training."""
        current = tidy(self.study)
        self.progress.begin(total=len(current), done=self._done(current))
        with GracefulStop() as stop:
            return self._loop(stop)

    def _loop(self, stop: GracefulStop) -> bool:
        waiting_said = False
        while not stop.requested:
            trial = claim(self.study)
            if trial is not None:
                self._train(trial)
                waiting_said = False
                continue
            current = tidy(self.study)
            if all(state is TrialState.COMPLETE for state in current.values()):
                return False
            if TrialState.WAITING not in current.values():
                if not waiting_said:
                    self.progress.message(self._waiting_text())
                    waiting_said = True
                time.sleep(POLL_S)
        return True

    def _waiting_text(self) -> str:
        running = [f"{name} ({trial.user_attrs.get('worker', '?')})" for name, trial in latest(self.study).items()
                   if trial.state is TrialState.RUNNING]
        return (f"waiting for other workers: {', '.join(running)}; a dead worker's network is taken over "
                f"once its heartbeat is {GRACE_S} s old")

    @staticmethod
    def _done(current: dict[str, TrialState | None]) -> int:
        return sum(state is TrialState.COMPLETE for state in current.values())

    def _train(self, trial: optuna.Trial) -> None:
        member = member_of(trial)
        assert member is not None
        trial.set_user_attr("worker", self.worker)
        folder = self.request.out / member.name
        recipe = recipe_of(self.request.recipe)
        result = _earlier_result(folder, recipe, member)
        if result is None:
            self.progress.network(member.name, member.label)
            result = self._fit(trial, member, folder)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / RESULT_FILE).write_text(json.dumps(
                {"recipe": recipe, "network": member.as_attr(), "result": result}, indent=2, default=str))
            self.trained.append(member.name)
        trial.set_user_attr(RESULT, result)
        self.study.tell(trial, float(result["miou"] if result["miou"] is not None else 0.0))
        current = states(self.study)
        miou = "-" if result["miou"] is None else f"{100 * result['miou']:.1f}%"
        self.progress.finished(done=self._done(current), total=len(current),
                               line=f"{member.name} ({member.label}): mIoU {miou} in {result['train_s']:.0f} s")
        write_summary(self.request.out, summary_frame(self.study))

    def _fit(self, trial: optuna.Trial, member: Member, folder: Path) -> dict[str, Any]:
        """Train one network (resuming from its checkpoint); its trial fails if the run
        stops or raises."""
        from archscope.train.loop import Trainer

        config = dataclasses.replace(self.request.recipe, family=member.family, hyper=member.train, out=folder)
        try:
            with heartbeat(self.study, trial._trial_id):
                trainer = Trainer(config, progress=self.progress)
                trainer.start(resume=(folder / "checkpoint.pt").is_file())
                return _summary_of(trainer.run())
        except BaseException as error:
            trial.set_user_attr("stopped", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
            self.study.tell(trial, state=TrialState.FAIL)
            raise


def run_cohort(
    request: CohortRequest,
    *,
    progress: CohortSink | None = None,
    storage: optuna.storages.BaseStorage | None = None,
) -> CohortOutcome:
    """Join (or create) the cohort's work list and train networks until all are done.
    Raises ``StorageError``, ``CohortMismatch``; a Ctrl-C ends it with ``interrupted``."""
    from archscope.train.loop import TrainingInterrupted

    sink = progress or SilentCohort()
    request.out.mkdir(parents=True, exist_ok=True)
    storage = storage or open_storage(request.storage_url, retry_stale=True)
    study, created = open_work(storage, request.study_name, request.settings, request.members)
    files = [_write_config(request)]
    worker = Worker(request, study, sink)
    interrupted = False
    try:
        interrupted = worker.run()
    except TrainingInterrupted:
        interrupted = True
    finally:
        sink.close()
    summary = summary_frame(study)
    files.append(write_summary(request.out, summary))
    return CohortOutcome(request=request, summary=summary, trained=worker.trained, interrupted=interrupted,
                         created=created, files=files)
