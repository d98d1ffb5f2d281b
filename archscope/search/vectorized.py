"""Metrics of many configurations at once, for exhaustive enumeration.

Most of a searched family's cost is in blocks of identical repeated layers: a block's
latency, params, MACs and layers are those of its first layer (with its transition) plus
(d - 1) times one repeated layer. A *block-linear decomposition* (``Family.decomposition``) tells, for a family,
which blocks the ``depths`` tuple repeats and what else each block's cost depends on
(for NDNet: its input width, its width and the expansion). The full model is then run
only at depths (1, ..., 1) and (2, ..., 2) for each new combination of those keys, and
every depth combination is a numpy product. The numbers are the full model's, summed
in another order (tests/search/test_vectorized.py checks them against it).

Families without a decomposition (``Family.decomposition``: every family but NDNet), or spaces that
do not search ``depths``, fall back to one full-model evaluation per configuration
(cached: a configuration drawn again costs nothing).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Hashable, Iterator, Mapping

import numpy as np

from archscope.costs import analyze
from archscope.families import get_family
from archscope.families.hyper import label
from archscope.latency.model import predict
from archscope.search.objectives import INT_METRICS, evaluate, width_metrics

if TYPE_CHECKING:
    from archscope.latency.profile import DeviceProfile
    from archscope.search.space import Parameter, SearchSpace

#: metrics summed over blocks; the others derive from them or from the configuration
ADDITIVE = ("layers", "params", "macs", "latency_ms")


@dataclass
class _BlockCost:
    at_one: np.ndarray  # additive metrics of the block at depth 1
    per_layer: np.ndarray  # what one more repeated layer adds


def resolved_batch(space: SearchSpace) -> int:
    """The batch size the space's networks are built with (fps = batch / latency)."""
    config = get_family(space.family).resolve(**space.hyper(next(space.grid())))
    return int(config.get("batch", 1))


class GridEvaluator:
    """Evaluates every configuration of a space, block-linearly where it can."""

    def __init__(self, space: SearchSpace, profile: DeviceProfile) -> None:
        self.space = space
        self.profile = profile
        self.decomposition = get_family(space.family).decomposition
        self.depth_param = next((p for p in space.parameters if self.decomposition and p.hyper == self.decomposition.depths), None)
        self._blocks: dict[tuple[int, Hashable], _BlockCost] = {}
        self._rest: dict[Hashable, np.ndarray] = {}
        self._evaluated: dict[tuple[Any, ...], dict[str, float | int]] = {}
        self.full_evaluations = 0

    @property
    def block_linear(self) -> bool:
        return self.depth_param is not None

    def _extra(self, hyper: Mapping[str, Any]) -> tuple[Any, ...]:
        assert self.decomposition is not None
        return tuple(hyper[p.hyper] for p in self.space.parameters if p.hyper not in self.decomposition.handles)

    def _split(self, hyper: Mapping[str, Any], depth: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """(total, per-block) additive metrics of ``hyper`` with every depth = ``depth``."""
        assert self.decomposition is not None
        count = len(hyper[self.decomposition.depths])
        config = {**hyper, self.decomposition.depths: (depth,) * count}
        report = analyze(get_family(self.space.family).network(**config))
        prediction = predict(report, self.profile)
        self.full_evaluations += 1
        blocks = {block.name: block for block in report.blocks}
        total = report.total
        totals = np.array([total.layers, total.cost.params, total.cost.macs, prediction.latency_ms], dtype=object)
        per_block = []
        for name in self.decomposition.block_names(count):
            block = blocks[name]
            per_block.append(
                np.array([block.layers, block.cost.params, block.cost.macs, prediction.by_block_ms[name]], dtype=object)
            )
        return totals, per_block

    def parts(self, hyper: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(base, per-layer matrix): additive metrics = base + depths @ per_layer."""
        assert self.decomposition is not None
        count = len(hyper[self.decomposition.depths])
        extra = self._extra(hyper)
        keys = [(i, (self.decomposition.block_key(hyper, i), extra)) for i in range(count)]
        rest_key = (self.decomposition.rest_key(hyper), extra, count)
        if rest_key not in self._rest or any(key not in self._blocks for key in keys):
            total_one, blocks_one = self._split(hyper, 1)
            _, blocks_two = self._split(hyper, 2)
            for key, one, two in zip(keys, blocks_one, blocks_two):
                self._blocks[key] = _BlockCost(at_one=one, per_layer=two - one)
            self._rest[rest_key] = total_one - sum(blocks_one)
        base = self._rest[rest_key] + sum(self._blocks[k].at_one - self._blocks[k].per_layer for k in keys)
        per_layer = np.stack([self._blocks[k].per_layer for k in keys])
        return base, per_layer

    def evaluate_one(self, drawn: Mapping[str, Any]) -> dict[str, float | int]:
        """Every metric of one configuration (as ``objectives.evaluate`` gives them)."""
        hyper = self.space.hyper(drawn)
        if not self.block_linear:
            key = tuple(drawn[name] for name in self.space.searched)
            if key not in self._evaluated:
                self.full_evaluations += 1
                self._evaluated[key] = evaluate(self.space.family, hyper, self.profile)
            return dict(self._evaluated[key])
        assert self.decomposition is not None
        base, per_layer = self.parts(hyper)
        depths = hyper[self.decomposition.depths]
        additive = base + sum(d * per_layer[i] for i, d in enumerate(depths))
        metrics: dict[str, float | int] = {"layers": int(additive[0]), **width_metrics(hyper)}
        metrics.update(params=int(additive[1]), macs=int(additive[2]), latency_ms=float(additive[3]))
        metrics["fps"] = 1e3 * self._batch / metrics["latency_ms"]
        return metrics

    @property
    def _batch(self) -> int:
        if not hasattr(self, "_batch_value"):
            self._batch_value = resolved_batch(self.space)
        return self._batch_value

    def _outer(self) -> Iterator[dict[str, Any]]:
        """Drawn values of every searched name except the depths'."""
        choices = {n: v for n, v in self.space.choices().items() if self.depth_param is None or n not in self.depth_param.searched}
        for values in itertools.product(*choices.values()):
            yield dict(zip(choices, values))

    def _depth_grid(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Drawn depth names (arrays) and the depths tuple of each row (rows x blocks)."""
        assert self.depth_param is not None
        param: Parameter = self.depth_param
        choices = [param.values[i] for i, _ in enumerate(param.searched)]
        drawn = np.array(list(itertools.product(*choices)), dtype=np.int64).reshape(-1, len(choices))
        columns = {name: drawn[:, i] for i, name in enumerate(param.searched)}
        depths = np.array([param.entries(dict(zip(param.searched, row))) for row in drawn.tolist()], dtype=np.int64)
        return columns, depths

    def evaluate_all(self) -> dict[str, np.ndarray]:
        """Every configuration: a column per parameter name (tied entries included),
        per hyper-parameter (``widths`` as "24,48,96" strings) and per metric."""
        if not self.block_linear:
            return self._evaluate_each()
        depth_columns, depths = self._depth_grid()
        rows = len(depths)
        chunks: list[dict[str, np.ndarray]] = []
        for drawn in self._outer():
            hyper = self.space.hyper({**drawn, **{n: int(v[0]) for n, v in depth_columns.items()}})
            base, per_layer = self.parts(hyper)
            chunk: dict[str, np.ndarray] = {}
            for j, metric in enumerate(ADDITIVE):
                if metric == "latency_ms":
                    chunk[metric] = float(base[j]) + depths @ per_layer[:, j].astype(np.float64)
                else:
                    chunk[metric] = int(base[j]) + depths @ per_layer[:, j].astype(np.int64)
            entries = self.space.entries({**drawn, **{n: 0 for n in depth_columns}})
            for name, value in entries.items():
                chunk[name] = np.full(rows, value, dtype=np.int64)
            for i, name in enumerate(self.depth_param.names):  # type: ignore[union-attr]
                chunk[name] = depths[:, i]
            for metric, value in width_metrics(hyper).items():
                chunk[metric] = np.full(rows, value, dtype=np.int64)
            for p in self.space.parameters:
                if p is self.depth_param:
                    chunk[p.hyper] = np.array([",".join(map(str, d)) for d in depths.tolist()], dtype=object)
                else:
                    chunk[p.hyper] = np.full(rows, str(label(hyper[p.hyper])), dtype=object)
            chunks.append(chunk)
        columns = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}
        columns["fps"] = 1e3 * self._batch / columns["latency_ms"]
        return columns

    def _evaluate_each(self) -> dict[str, np.ndarray]:
        rows: list[dict[str, Any]] = []
        for drawn in self.space.grid():
            row: dict[str, Any] = dict(self.space.entries(drawn))
            hyper = self.space.hyper(drawn)
            row.update({p.hyper: str(label(hyper[p.hyper])) for p in self.space.parameters})
            row.update(self.evaluate_one(drawn))
            rows.append(row)
        integers = set(INT_METRICS) | {n for p in self.space.parameters if not p.categorical for n in p.names}
        columns = {key: np.array([row[key] for row in rows], dtype=np.int64 if key in integers else object) for key in rows[0]}
        for key in ("latency_ms", "fps"):
            columns[key] = columns[key].astype(np.float64)
        return columns
