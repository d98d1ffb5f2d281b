"""Measuring real latency: batch as built, eval mode, inference mode, warm-up, repeated
and interleaved runs, median and spread.

CPU timings on these machines swing by up to 2× between runs with glibc's default malloc
settings: every allocation above the dynamic mmap threshold (which glibc caps at 32 MB,
so ``MALLOC_MMAP_THRESHOLD_`` cannot lift it) is a fresh ``mmap``, so each forward pass
page-faults its large activations in again, and freed heap memory is trimmed back to the
OS. ``MALLOC_ENV`` serves every block from the heap (``MALLOC_MMAP_MAX_=0``), never trims
it (``MALLOC_TRIM_THRESHOLD_``) and grows it in large steps (``MALLOC_TOP_PAD_``).
Measured here: a 1×1 conv 24->96 at 256×512 took 22.7 ms with the defaults, 5.0 ms
with these settings; a ReLU on a 134 MB tensor 54 ms and 9 ms. glibc reads these only at start-up, so the CLI
re-executes itself with them set (``ensure_malloc_env``) unless told not to
(``--no-malloc-tuning``). Several networks are measured interleaved, round by round,
so that slow drifts of the machine hit all of them alike.
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import asdict, dataclass
from typing import Callable, NoReturn, Sequence

import torch
from torch import nn
from torch.utils import benchmark

from archscope.graph import Network
from archscope.torch_module import example_inputs, to_torch

MALLOC_ENV = {
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": str(2**36),
    "MALLOC_TOP_PAD_": str(2**30),
}
_REEXEC_MARK = "ARCHSCOPE_MALLOC_TUNED"


def malloc_tuned() -> bool:
    return all(os.environ.get(k) == v for k, v in MALLOC_ENV.items())


def ensure_malloc_env(argv: Sequence[str]) -> None | NoReturn:
    """Re-execute this process as ``python -m archscope <argv>`` with ``MALLOC_ENV`` set,
    unless it is set already (or this is Windows/macOS, where glibc is not the allocator)."""
    if malloc_tuned() or not sys.platform.startswith("linux") or os.environ.get(_REEXEC_MARK):
        return None
    env = {**os.environ, **MALLOC_ENV, _REEXEC_MARK: "1"}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "archscope", *argv], env)


@dataclass(frozen=True)
class Measurement:
    """Latency of one network: the median over runs and the spread around it."""

    median_ms: float
    q1_ms: float
    q3_ms: float
    min_ms: float
    runs: int
    threads: int
    device: str
    memory_format: str
    malloc_tuned: bool
    #: medians of the first and of the second half of the rounds (each half spans the
    #: whole measurement's minutes, rounds being interleaved with the other networks)
    halves_ms: tuple[float, float] = (0.0, 0.0)

    @property
    def repeatable(self) -> bool:
        """The two halves agree within ±10%: a second measurement would confirm the first."""
        first, second = self.halves_ms
        return second > 0 and abs(first / second - 1) <= 0.10

    @property
    def spread_pct(self) -> float:
        """Interquartile range relative to the median, in percent."""
        return 100 * (self.q3_ms - self.q1_ms) / self.median_ms

    def as_dict(self) -> dict:
        return {**asdict(self), "spread_pct": self.spread_pct, "repeatable": self.repeatable}


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


@dataclass(frozen=True)
class UserModule:
    """A user's ``nn.Module`` and the input shape it is timed on (a seeded random input)."""

    module: nn.Module
    shape: tuple[int, ...]


Subject = Network | UserModule


def prepared(subject: Subject, *, device: str, memory_format: str) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The eval-mode torch module and its inputs, on ``device`` and in ``memory_format``
    ("channels_last" or "contiguous"): what every timing runs. A network runs as the
    module archscope derives from its graph, a user's module as it is."""
    fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
    if isinstance(subject, UserModule):
        model = subject.module
        generator = torch.Generator().manual_seed(0)
        inputs: tuple[torch.Tensor, ...] = (torch.randn(subject.shape, generator=generator),)
    else:
        model, inputs = to_torch(subject), example_inputs(subject)
    model = model.eval().to(device=device, memory_format=fmt)
    return model, tuple(x.to(device=device).contiguous(memory_format=fmt) for x in inputs)


class _Runner:
    """One network prepared for timing: module, input, and a timed call."""

    def __init__(self, network: Subject, *, device: str, memory_format: str) -> None:
        self.model, self.inputs = prepared(network, device=device, memory_format=memory_format)
        self.device = device
        self.number = 1
        self.timer = benchmark.Timer(stmt="call()", globals={"call": self._call}, num_threads=torch.get_num_threads())

    def _call(self) -> None:
        with torch.inference_mode():
            self.model(*self.inputs)

    def time_once(self) -> float:
        """Seconds per call, averaged over ``self.number`` calls (CUDA events on a GPU)."""
        if self.device.startswith("cuda"):
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(self.number):
                self._call()
            stop.record()
            torch.cuda.synchronize()
            return start.elapsed_time(stop) / 1e3 / self.number
        return self.timer.timeit(self.number).mean

    def warm_up(self, runs: int, min_time_s: float) -> None:
        for _ in range(runs):
            elapsed = self.time_once()
        # short networks are timed in batches of calls so each sample lasts >= min_time_s
        self.number = max(1, int(min_time_s / max(elapsed, 1e-6)))


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def measure_many(
    networks: Sequence[Subject],
    *,
    rounds: int = 15,
    warmup: int = 3,
    threads: int | None = None,
    memory_format: str = "channels_last",
    device: str | None = None,
    min_sample_s: float = 0.01,
    on_round: Callable[[int], None] | None = None,
) -> list[Measurement]:
    """Measure several networks interleaved: each round times every network once, in
    an order that rotates from round to round."""
    device = device or default_device()
    if threads is not None:
        torch.set_num_threads(threads)
    threads = torch.get_num_threads()
    runners = [_Runner(net, device=device, memory_format=memory_format) for net in networks]
    for runner in runners:
        runner.warm_up(warmup, min_sample_s)
    samples: list[list[float]] = [[] for _ in runners]
    for r in range(rounds):
        order = list(range(len(runners)))
        shift = r % len(order)
        for i in order[shift:] + order[:shift]:
            samples[i].append(1e3 * runners[i].time_once())
        if on_round:
            on_round(r + 1)
    tuned = malloc_tuned()
    result = []
    for values in samples:
        q1, median, q3 = _quartiles(values)
        half = len(values) // 2
        halves = (statistics.median(values[:half]), statistics.median(values[half:])) if half else (median, median)
        result.append(Measurement(median, q1, q3, min(values), len(values), threads, device, memory_format, tuned,
                                  halves))
    return result


def measure(network: Subject, **options) -> Measurement:
    """Latency of one network (see ``measure_many`` for the options)."""
    return measure_many([network], **options)[0]


def time_callable(fn: Callable[[], object], *, min_run_time_s: float = 0.1) -> float:
    """Median seconds per call of ``fn`` (micro-benchmarks), by torch.utils.benchmark's
    blocked autorange."""
    fn()
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time_s).median
