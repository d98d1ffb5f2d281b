"""The proxy task of an accuracy-aware search: a short training run that measures a
candidate's ``miou`` (``archscope search --objective miou``).

A space's ``[proxy]`` table (or the ``--proxy-*`` options) sets it:

```toml
[proxy]
steps = 200             # training steps per candidate (the most a candidate gets)
resolution = "128x128"  # training crop (NDNet's output stride is 32: a 64x64 crop leaves 2x2)
batch = 8
data = "shapes"         # or "cityscapes:DIR"
evaluations = 8         # mIoU measured (and reported to the pruner) every steps/8 steps
eval_images = 32        # validation images per measurement
lr = 0.1
seed = 0                # the same weights, data and augmentation for every candidate
```

Only feasible candidates are trained (the analytic constraints are checked first).
Optuna's pruners work on single-objective studies only (``Trial.report`` is not
supported with several objectives), so the trainings are the trials of a companion
study, ``<study>.proxy`` in the same storage (maximise mIoU), which holds the
intermediate mIoU values and the pruner (``archscope.search.pruners``); a search trial
is pruned when its training is. Every trial records the training steps it spent.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import optuna

from archscope.families import get_family
from archscope.families.hyper import HyperError, parse_resolution
from archscope.search.parameters import SpaceError, unknown_keys
from archscope.train.model import NOT_TRAINED

if TYPE_CHECKING:
    from archscope.train.config import TrainConfig
    from archscope.train.metrics import SegmentationScores


@dataclass(frozen=True)
class ProxyTask:
    """The short training that measures a candidate's mIoU (see the module docstring)."""

    steps: int = 200
    #: at 64x64 NDNet's stride-32 map is 2x2 and every network stays near an
    #: all-background prediction after 300 steps (benchmarks/train_front.py's docstring)
    resolution: tuple[int, int] = (128, 128)
    batch: int = 8
    data: str = "shapes"
    evaluations: int = 8
    eval_images: int = 32
    lr: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.evaluations > self.steps:
            raise SpaceError(f"the proxy task's evaluations ({self.evaluations}) cannot exceed its steps ({self.steps})")

    @property
    def eval_every(self) -> int:
        """Steps between two measurements (the pruner's smallest resource)."""
        return max(1, self.steps // self.evaluations)

    @property
    def first_rung(self) -> int:
        """Steps before a pruner may stop a training: the first measurement at or after a
        quarter of the steps. Measured on NDNet's 200-step task at 128x128 (three unpruned
        searches of ``benchmarks/train_front.py``, results/train_front.json): the mIoU at
        1/8 of the steps ranks the candidates as their final mIoU does hardly better than
        chance (Spearman -0.07 to +0.24), at 1/4 0.40 to 0.85, at 1/2 0.85 to 0.97."""
        return self.eval_every * math.ceil(self.steps / 4 / self.eval_every)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["resolution"] = f"{self.resolution[0]}x{self.resolution[1]}"
        return data

    def with_overrides(self, **changes: Any) -> ProxyTask:
        """The task with the given fields replaced (``None`` keeps a field); fewer steps
        than measurements (and none given) measure at every step."""
        given = {k: v for k, v in changes.items() if v is not None}
        if "steps" in given and "evaluations" not in given:
            given["evaluations"] = min(self.evaluations, given["steps"])
        return replace(self, **given)

    def train_config(self, family: str, hyper: Mapping[str, Any], out: Path) -> TrainConfig:
        """The training run of a candidate (build arguments ``hyper``) on this task: the
        family's default head, classes from the data, this task's crop and batch."""
        from archscope.train.config import TrainConfig

        kept = {k: v for k, v in hyper.items() if k not in NOT_TRAINED}
        return TrainConfig(
            family=family, hyper=get_family(family).plain(kept), steps=self.steps, batch=self.batch,
            crop=self.resolution, data=self.data, lr=self.lr, seed=self.seed, eval_every=self.eval_every,
            eval_images=self.eval_images, checkpoint_every=0, out=out,
        )


_INTEGERS = ("steps", "batch", "evaluations", "eval_images", "seed")


def proxy_from_dict(raw: Mapping[str, Any], origin: str) -> ProxyTask:
    """A ``[proxy]`` table; ``SpaceError`` names a bad key or value."""
    where = f"{origin}: [proxy]"
    unknown_keys(raw, {f for f in ProxyTask.__dataclass_fields__}, where)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _INTEGERS and (isinstance(value, bool) or not isinstance(value, int) or value < (key != "seed")):
            raise SpaceError(f"{where} {key} must be an integer >= {int(key != 'seed')}, got {value!r}")
        values[key] = value
    if "resolution" in raw:
        try:
            values["resolution"] = tuple(parse_resolution(str(raw["resolution"])))
        except HyperError as error:
            raise SpaceError(f"{where} resolution: {error}") from None
    if "data" in raw and (not isinstance(raw["data"], str) or not raw["data"]):
        raise SpaceError(f"{where} data must be a dataset spec such as \"shapes\"")
    if "lr" in raw and (isinstance(raw["lr"], bool) or not isinstance(raw["lr"], (int, float)) or raw["lr"] <= 0):
        raise SpaceError(f"{where} lr must be a positive number, got {raw['lr']!r}")
    return ProxyTask(**values)


@dataclass(frozen=True)
class ProxyOutcome:
    """A training's final mIoU and the training steps it ran (pruned: where it stopped)."""

    miou: float
    steps: int


class ProxyPruned(optuna.TrialPruned):
    """The training was stopped by the pruner after ``steps`` steps at ``miou``."""

    def __init__(self, steps: int, miou: float) -> None:
        super().__init__(f"pruned after {steps} training steps at mIoU {miou:.4f}")
        self.steps, self.miou = steps, miou


def _report_hook(trial: optuna.Trial) -> Any:
    """A training hook that reports each mIoU to ``trial`` and stops a pruned run."""
    from archscope.train.hooks import TrainHook

    class ReportToOptuna(TrainHook):
        name = "optuna_report"

        def after_evaluation(self, step: int, scores: SegmentationScores) -> None:
            if step == 0:
                return
            miou = 0.0 if math.isnan(scores.miou) else float(scores.miou)
            trial.report(miou, step)
            if trial.should_prune():
                raise ProxyPruned(step, miou)

    return ReportToOptuna()


class ProxyTraining:
    """Trains candidates on ``task``, each as a trial of the ``companion`` study (the
    pruner's); the runs' folders are temporary."""

    def __init__(self, task: ProxyTask, family: str, companion: optuna.Study) -> None:
        self.task, self.family, self.companion = task, family, companion

    def train(self, hyper: Mapping[str, Any], *, search_trial: int) -> ProxyOutcome:
        """Train one candidate; ``ProxyPruned`` when the pruner stops it.
        ``TrainingInterrupted`` (Ctrl-C) and other errors fail the companion trial."""
        from archscope.train.loop import Trainer, TrainingInterrupted

        with warnings.catch_warnings():  # "heartbeats are meant for Study.optimize"
            warnings.simplefilter("ignore")
            trial = self.companion.ask()
        trial.set_user_attr("search_trial", search_trial)
        folder = Path(tempfile.mkdtemp(prefix="archscope-proxy-"))
        try:
            trainer = Trainer(self.task.train_config(self.family, hyper, folder), hooks=[_report_hook(trial)])
            trainer.start()
            result = trainer.run()
        except ProxyPruned:
            self.companion.tell(trial, state=optuna.trial.TrialState.PRUNED)
            raise
        except TrainingInterrupted:  # Ctrl-C: the search stops (its runner writes the run folder)
            self.companion.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise KeyboardInterrupt from None
        except BaseException:
            self.companion.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        miou = 0.0 if math.isnan(result.miou_final) else float(result.miou_final)
        self.companion.tell(trial, miou)
        return ProxyOutcome(miou=miou, steps=result.steps)
