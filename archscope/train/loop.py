"""The training loop: SGD with momentum and weight decay on pixel-wise cross entropy,
evaluation of mIoU, metrics, checkpoints, resume, clean stop on Ctrl-C, DDP.

Order within step s: before-step hooks (learning rate, model schedules), the step,
after-step hooks, a ``train`` row in metrics.csv, evaluation if s is a multiple of
``eval_every`` (or the last step), a checkpoint if s is a multiple of ``checkpoint_every``
(or the last step, or a stop was requested). A checkpoint therefore holds every finished
step up to its own, and a resumed run recomputes only the steps after it, on exactly the
same samples (``archscope.data.stream``).

With gradual grouping (``TrainConfig.grouping``) the run trains the network's dense
counterpart with masked convs and converts it to the network's grouped convs at the end
(``archscope.train.grouping``).
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch
from torch import nn
from torch.utils.data import DataLoader

from archscope.data import open_datasets
from archscope.data.stream import EvalView, PositionSampler, TrainStream
from archscope.graph import Network
from archscope.torch_module import to_torch
from archscope.train import distributed
from archscope.train.checkpoint import NAME, CheckpointError, load_checkpoint, save_checkpoint
from archscope.train.config import TrainConfig
from archscope.train.evaluate import EvalModules, evaluate
from archscope.train.grouping import GradualGrouping, masked_dense_module, to_grouped
from archscope.train.hooks import LearningRate, StepState, TrainHook
from archscope.train.layout import set_memory_format
from archscope.train.log import MetricsLog, iou_column
from archscope.train.metrics import SegmentationScores, scores
from archscope.train.model import segmentation_network
from archscope.train.progress import ProgressSink, Silent
from archscope.train.schedule import GroupingSchedule
from archscope.train.step import grad_scaler, train_step

#: the converted model of a gradual-grouping run (a state dict of the target network)
GROUPED_MODEL = "grouped_model.pt"


class TrainingInterrupted(Exception):
    """A stop was requested (Ctrl-C, SIGTERM); the run was checkpointed at ``step``."""

    def __init__(self, step: int, checkpoint: Path) -> None:
        super().__init__(f"interrupted after step {step}; checkpoint {checkpoint} (continue with --resume)")
        self.step, self.checkpoint = step, checkpoint


@dataclass(frozen=True)
class TrainResult:
    steps: int
    miou_initial: float
    miou_final: float
    pixel_accuracy_final: float
    iou_final: dict[str, float]
    loss_final: float
    images_per_s: float
    train_s: float
    resumed_from_step: int
    world_size: int
    params: int
    ranks_in_sync: bool
    out: Path
    #: gradual grouping: the converted model (params, output difference, file), or None
    grouping: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """Plain data; NaN (no value) becomes None."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["out"] = str(self.out)
        return _none_for_nan(data)


def _none_for_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _none_for_nan(v) for k, v in value.items()}
    return value


@contextmanager
def stop_requests() -> Iterator[Callable[[], bool]]:
    """SIGINT and SIGTERM set a flag that the loop reads between steps; a second signal
    acts as it did before (KeyboardInterrupt, termination)."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        requested.set()
        for sig, old in previous.items():
            signal.signal(sig, old)

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield requested.is_set
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _quiet_worker(worker_id: int) -> None:
    # data workers leave Ctrl-C to the main process, which stops between steps
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _due(step: int, every: int, last: int) -> bool:
    return step == last or (every > 0 and step % every == 0)


class Trainer:
    """One run: ``Trainer(config).start(resume=...)`` then ``run()``."""

    def __init__(
        self,
        config: TrainConfig,
        *,
        hooks: Sequence[TrainHook] = (),
        progress: ProgressSink | None = None,
        context: distributed.Distributed | None = None,
    ) -> None:
        self.config = config
        self.context = context or distributed.setup()
        self.device = self.context.device
        self.data = open_datasets(config.data, crop=config.crop, seed=config.seed)
        self.classes = self.data.classes
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        torch.manual_seed(config.seed)
        self.model = self._module(config.crop, batch=config.batch)
        self.optimizer = torch.optim.SGD(
            self.model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
        self.scaler = grad_scaler(self.device, config.amp)
        self.hooks: list[TrainHook] = [LearningRate(base_lr=config.lr, schedule=config.schedule), *hooks]
        if config.grouping is not None:
            self.hooks.append(GradualGrouping(GroupingSchedule(*config.grouping)))
        self.progress = progress if progress is not None and self.context.main else Silent()
        self.checkpoint_path = config.out / NAME
        self.log = MetricsLog(config.out / "metrics.csv", self.classes)
        self.eval_modules = EvalModules(self.model, config.crop, lambda size: self._module(size, batch=1))
        self.step, self.miou_initial, self.loss = 0, math.nan, math.nan
        self.last_eval: tuple[int, SegmentationScores] | None = None
        self.resumed_from = 0
        self._rng_states: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)
        self._loop_started, self._aside_s, self._earlier_s = 0.0, 0.0, 0.0

    def _network(self, size: tuple[int, int], *, batch: int) -> Network:
        return segmentation_network(
            self.config.family, self.config.hyper, classes=len(self.classes), batch=batch, resolution=size
        )

    def _module(self, size: tuple[int, int], *, batch: int) -> nn.Module:
        """The module trained (and evaluated) for the network at ``size``: with gradual
        grouping, its dense counterpart with masked convs."""
        network = self._network(size, batch=batch)
        module = to_torch(network) if self.config.grouping is None else masked_dense_module(network)
        return set_memory_format(module.to(self.device), channels_last=self.config.channels_last)

    # -- run state -------------------------------------------------------------------

    def start(self, *, resume: bool = False) -> None:
        """Load the checkpoint (``resume``) or start a fresh run folder."""
        if resume:
            self._restore(load_checkpoint(self.checkpoint_path))
        elif self.checkpoint_path.exists():
            raise CheckpointError(
                f"{self.config.out} already holds a training run; continue it with --resume or choose another --out"
            )
        if self.context.main:
            self.config.out.mkdir(parents=True, exist_ok=True)
            self.log.open(keep_until=self.step if resume else None)

    def _state(self) -> dict[str, Any]:
        last = None
        if self.last_eval is not None:
            step, s = self.last_eval
            last = {"step": step, "iou": list(s.iou), "miou": s.miou, "pixel_accuracy": s.pixel_accuracy}
        return {
            "step": self.step,
            "config": self.config.identity(),
            "world_size": self.context.world,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
            "hooks": {hook.name: hook.state_dict() for hook in self.hooks},
            "miou_initial": self.miou_initial,
            "loss": self.loss,
            "train_s": self._earlier_s + self._train_s(),
            "last_eval": last,
            # dropout draws from torch's generator: a resumed run draws what this one would
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        expected = self.config.identity()
        stored = state.get("config", {})
        changed = sorted(k for k in set(expected) | set(stored) if expected.get(k) != stored.get(k))
        if changed:
            first = changed[0]
            raise CheckpointError(
                f"{self.checkpoint_path} belongs to another run ({first}: {stored.get(first)!r} there, "
                f"{expected.get(first)!r} here); resume with the original options"
            )
        if state.get("world_size") != self.context.world:
            raise CheckpointError(
                f"{self.checkpoint_path} was written by {state.get('world_size')} processes, not {self.context.world}"
            )
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            if self.scaler is not None and state["scaler"]:
                self.scaler.load_state_dict(state["scaler"])
            for hook in self.hooks:
                hook.load_state_dict(state["hooks"].get(hook.name, {}))
        except (KeyError, RuntimeError, ValueError) as error:
            raise CheckpointError(
                f"{self.checkpoint_path} does not fit this model: {str(error).splitlines()[0]}"
            ) from None
        self._rng_states = (state.get("rng"), state.get("cuda_rng"))
        self.step = self.resumed_from = int(state["step"])
        self.miou_initial, self.loss = float(state["miou_initial"]), float(state["loss"])
        self._earlier_s = float(state.get("train_s", 0.0))
        last = state["last_eval"]
        if last is not None:
            self.last_eval = (
                last["step"],
                SegmentationScores(tuple(last["iou"]), last["miou"], last["pixel_accuracy"]),
            )

    def _restore_rng(self) -> None:
        cpu, cuda = self._rng_states
        if cpu is not None:
            torch.set_rng_state(cpu)
        if cuda is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(cuda, self.device)

    def _save(self) -> None:
        if self.context.main:
            with self._aside():
                save_checkpoint(self.checkpoint_path, self._state())

    # -- data and evaluation -----------------------------------------------------------

    def _batches(self, first_step: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        config, context = self.config, self.context
        stream = TrainStream(self.data.train, crop=config.crop, scales=config.scales, seed=config.seed)
        sampler = PositionSampler(
            first_step=first_step, last_step=config.steps, batch=config.batch, rank=context.rank, world=context.world
        )
        loader = DataLoader(
            stream,
            batch_size=config.batch,
            sampler=sampler,
            num_workers=config.workers,
            worker_init_fn=_quiet_worker if config.workers else None,
            pin_memory=self.device.type == "cuda",
        )
        return iter(loader)

    def _train_s(self) -> float:
        """Seconds of this session's training loop, evaluations and checkpoints excluded."""
        return time.perf_counter() - self._loop_started - self._aside_s if self._loop_started else 0.0

    @contextmanager
    def _aside(self) -> Iterator[None]:
        """Time that does not count as training (evaluation, checkpoints)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._aside_s += time.perf_counter() - started

    def _evaluate(self) -> SegmentationScores:
        with self._aside():
            return self._evaluate_now(self._train_s())

    def _evaluate_now(self, elapsed_s: float) -> SegmentationScores:
        config, context = self.config, self.context
        view = EvalView(self.data.val, count=config.eval_images, rank=context.rank, world=context.world)
        loader = DataLoader(view, batch_size=config.batch, num_workers=config.workers)
        confusion = evaluate(
            self.eval_modules,
            loader,
            classes=len(self.classes),
            device=self.device,
            amp=config.amp,
            memory_format=self.memory_format,
        )
        result = scores(distributed.all_sum(context, confusion))
        self.last_eval = (self.step, result)
        self._log_evaluation(result, elapsed_s)
        for hook in self.hooks:
            hook.after_evaluation(self.step, result)
        return result

    def _log_evaluation(self, result: SegmentationScores, elapsed_s: float) -> None:
        if self.context.main:
            row = {"step": self.step, "phase": "eval", "miou": result.miou, "pixel_accuracy": result.pixel_accuracy}
            row.update({iou_column(name): iou for name, iou in zip(self.classes, result.iou)})
            self.log.write({**row, "elapsed_s": self._earlier_s + elapsed_s})
            self.progress.note(
                f"step {self.step}: mIoU {100 * result.miou:.1f}%  pixel accuracy {100 * result.pixel_accuracy:.1f}%"
            )

    # -- the loop --------------------------------------------------------------------

    def run(self) -> TrainResult:
        config, context = self.config, self.context
        model = distributed.wrap(context, self.model)
        if self.last_eval is None:
            self.miou_initial = self._evaluate().miou
        self.progress.start(total=config.steps, completed=self.step)
        images = config.batch * context.world
        # the evaluation before the first step ran before the loop: not time to set aside
        self._loop_started, self._aside_s = time.perf_counter(), 0.0
        try:
            with stop_requests() as stop_requested:
                batches = self._batches(self.step + 1)
                self._restore_rng()  # after the loader, which draws its base seed from it
                for step in range(self.step + 1, config.steps + 1):
                    started = time.perf_counter()
                    self._one_step(model, step, next(batches))
                    stop = self._sync(stop_requested())
                    self._after_step(step, time.perf_counter() - started, images)
                    if stop:
                        if not _due(step, config.checkpoint_every, config.steps):
                            self._save()
                        raise TrainingInterrupted(step, self.checkpoint_path)
        finally:
            self.progress.stop()
            self.log.close()
        train_s = self._train_s()
        grouping = self._convert_grouped() if self.config.grouping is not None else None
        return self._result(train_s, images, grouping)

    def _convert_grouped(self) -> dict[str, Any]:
        """The masked dense convs as real grouped ones: the target network's module with
        the trained weights, its outputs compared with the trained model's on a batch of
        noise, written to OUT/grouped_model.pt (main process)."""
        config = self.config
        grouped = to_grouped(self.model, self._network(config.crop, batch=config.batch))
        generator = torch.Generator().manual_seed(config.seed)
        images = torch.randn(config.batch, 3, *config.crop, generator=generator).to(self.device)
        self.model.eval()
        try:
            with torch.no_grad():
                difference = (grouped.eval()(images) - self.model(images)).abs().max().item()
        finally:
            self.model.train()
        path = config.out / GROUPED_MODEL
        if self.context.main:
            torch.save(grouped.state_dict(), path)
        return {
            "grouped_params": sum(p.numel() for p in grouped.parameters()),
            "max_abs_output_difference": difference,
            "file": str(path),
        }

    def _one_step(self, model: nn.Module, step: int, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
        images = batch[0].to(self.device, memory_format=self.memory_format, non_blocking=True)
        labels = batch[1].to(self.device, non_blocking=True)
        state = StepState(step=step, steps=self.config.steps, model=self.model, optimizer=self.optimizer)
        for hook in self.hooks:
            hook.before_step(state)
        loss = train_step(model, self.optimizer, images, labels, amp=self.config.amp, scaler=self.scaler)
        for hook in self.hooks:
            hook.after_step(state)
        self.step, self.loss = step, float(loss)

    def _sync(self, stop_requested: bool) -> bool:
        """One collective per step in a DDP job: the loss becomes the mean over the
        processes, and a stop requested on any process stops all of them."""
        if not self.context.active:
            return stop_requested
        values = torch.tensor([self.loss, float(stop_requested)], dtype=torch.float64)
        loss_sum, stops = distributed.all_sum(self.context, values).tolist()
        self.loss = loss_sum / self.context.world
        return stops > 0

    def _after_step(self, step: int, elapsed: float, images: int) -> None:
        config = self.config
        if self.context.main:
            lr = self.optimizer.param_groups[0]["lr"]
            speed = images / elapsed
            self.log.write(
                {
                    "step": step,
                    "phase": "train",
                    "loss": self.loss,
                    "lr": lr,
                    "images_per_s": speed,
                    "elapsed_s": self._earlier_s + self._train_s(),
                }
            )
            self.progress.step(step=step, loss=self.loss, images_per_s=speed)
        if _due(step, config.eval_every, config.steps):
            self._evaluate()
        if _due(step, config.checkpoint_every, config.steps):
            self._save()

    def _result(self, train_s: float, images: int, grouping: dict[str, Any] | None = None) -> TrainResult:
        assert self.last_eval is not None
        final = self.last_eval[1]
        done = self.step - self.resumed_from
        return TrainResult(
            steps=self.step,
            miou_initial=self.miou_initial,
            miou_final=final.miou,
            pixel_accuracy_final=final.pixel_accuracy,
            iou_final=dict(zip(self.classes, final.iou)),
            loss_final=self.loss,
            images_per_s=done * images / train_s if train_s > 0 else math.nan,
            train_s=train_s,
            resumed_from_step=self.resumed_from,
            world_size=self.context.world,
            params=sum(p.numel() for p in self.model.parameters()),
            ranks_in_sync=distributed.parameters_in_sync(self.context, self.model),
            out=self.config.out,
            grouping=grouping,
        )


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    hooks: Sequence[TrainHook] = (),
    progress: ProgressSink | None = None,
) -> TrainResult:
    """Train ``config`` (under torchrun: this process's share of a DDP job)."""
    context = distributed.setup()
    try:
        trainer = Trainer(config, hooks=hooks, progress=progress, context=context)
        trainer.start(resume=resume)
        return trainer.run()
    finally:
        distributed.teardown(context)
