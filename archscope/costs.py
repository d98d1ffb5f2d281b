"""Cost analysis of a network: per op, per block, per op class and in total.

One pass over the graph sums the ops' own cost formulas, weighted by each node's
multiplicity. On a concrete network the sums are ints; on a symbolic one (sympy widths,
depths or input size) the very same sums are closed-form expressions.

A node that reuses another node's weights (``GraphBuilder.add(..., shares=...)``) counts
its MACs, arithmetic and traffic (it reads the shared weights again) but not the
parameters, which its owner already counts. Ops archscope has no formula for (met when
importing a torch module) cost nothing and are listed by ``CostReport.unknown_ops``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable

from archscope.dims import Dim, is_symbolic

if TYPE_CHECKING:
    import pandas as pd
from archscope.graph import Network
from archscope.autograd.saved import saved_activation_bytes
from archscope.ops import COST_FIELDS, OpClass, OpCost, Shape, UnknownOp


@dataclass(frozen=True)
class OpRecord:
    """One node's costs (``cost`` is per application; ``total`` includes repeats)."""

    node: str
    block: str
    kind: str
    label: str
    op_class: OpClass
    shape: Shape
    multiplicity: Dim
    layers: int
    cost: OpCost

    @property
    def total(self) -> OpCost:
        return self.cost if self.multiplicity == 1 else self.cost.scaled(self.multiplicity)


@dataclass(frozen=True)
class Totals:
    """Summed costs of a group of ops (a block, an op class or the whole network)."""

    name: str
    cost: OpCost
    layers: Dim
    shape: Shape | None = None

    @property
    def traffic_bytes(self) -> Dim:
        return self.cost.read_bytes + self.cost.write_bytes

    @property
    def all_params(self) -> Dim:
        """Every learnable parameter, as torch counts them."""
        return self.cost.params + self.cost.norm_params

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name}
        if self.shape is not None:
            row["output_shape"] = [self.shape.c, self.shape.h, self.shape.w]
        row.update(self.cost.as_dict())
        row["traffic_bytes"] = self.traffic_bytes
        row["layers"] = self.layers
        return row


def _sum(records: Iterable[OpRecord], name: str, shape: Shape | None = None) -> Totals:
    cost, layers = OpCost(), 0
    for record in records:
        cost = cost + record.total
        layers = layers + record.layers * record.multiplicity
    return Totals(name=name, cost=cost, layers=layers, shape=shape)


@dataclass(frozen=True)
class DeadOps:
    """Ops computed but unused (their results reach no output)."""

    nodes: tuple[str, ...]
    macs: Dim
    params: Dim
    share_of_macs: float

    def as_dict(self) -> dict[str, Any]:
        return {"count": len(self.nodes), "macs": self.macs, "params": self.params,
                "share_of_macs": self.share_of_macs, "nodes": list(self.nodes)}

    def line(self) -> str | None:
        """``computed but unused: 1.27M MACs (60.0%) in 7 ops (aux.conv, ...)``, or ``None``."""
        if not self.nodes:
            return None
        names = ", ".join(self.nodes[:4]) + (", ..." if len(self.nodes) > 4 else "")
        return (f"computed but unused: {int(self.macs):,} MACs ({100 * self.share_of_macs:.1f}%) in "
                f"{len(self.nodes)} ops ({names})")


@dataclass(frozen=True)
class CostReport:
    """Costs of every op of a network, with per-block, per-class and total roll-ups."""

    network: Network
    records: tuple[OpRecord, ...]
    elem_bytes: int

    @property
    def symbolic(self) -> bool:
        return any(is_symbolic(*r.total.values()) for r in self.records)

    @cached_property
    def total(self) -> Totals:
        return _sum(self.records, "total", self.network.output_shape)

    @cached_property
    def blocks(self) -> list[Totals]:
        """One ``Totals`` per block, in network order (the input block is left out)."""
        result = []
        for block in self.network.blocks():
            members = [r for r in self.records if r.block == block]
            if all(r.op_class is OpClass.INPUT for r in members):
                continue
            result.append(_sum(members, block, members[-1].shape))
        return result

    @cached_property
    def op_classes(self) -> list[Totals]:
        """One ``Totals`` per op class present, in ``OpClass`` order."""
        return [
            _sum((r for r in self.records if r.op_class is cls), str(cls))
            for cls in OpClass
            if cls is not OpClass.INPUT and any(r.op_class is cls for r in self.records)
        ]

    @cached_property
    def unknown_ops(self) -> dict[str, int]:
        """Ops left out of every total because archscope has no cost formula for them:
        name -> number of applications."""
        ops = (self.network.op(r.node) for r in self.records)
        counts = Counter(op.target for op in ops if isinstance(op, UnknownOp))
        return dict(sorted(counts.items()))

    @cached_property
    def train_activation_bytes(self) -> Dim:
        """Bytes autograd keeps for backward, each saved tensor counted once (reversible
        stacks keep only their output: see ``archscope.autograd.saved``)."""
        return saved_activation_bytes(self.network, elem_bytes=self.elem_bytes)

    @cached_property
    def dead_ops(self) -> DeadOps:
        """The ops whose result reaches no output: computed (they run, and take time),
        then dropped. They are in every total."""
        dead = [r for r in self.records if r.node in self.network.dead and r.op_class is not OpClass.INPUT]
        cost = sum((r.total for r in dead), OpCost())
        return DeadOps(nodes=tuple(r.node for r in dead), macs=cost.macs, params=cost.params + cost.norm_params,
                       share_of_macs=float(cost.macs / self.total.cost.macs) if self.total.cost.macs else 0.0)

    def summary(self) -> dict[str, Any]:
        """Totals, blocks and op classes as plain data (ints for a concrete network); for
        an imported module also how it was read, its unused parameters and dead ops."""
        total = self.total.as_dict()
        del total["name"]
        summary = {
            **total,
            "train_activation_bytes": self.train_activation_bytes,
            "unknown_ops": self.unknown_ops,
            "blocks": [t.as_dict() for t in self.blocks],
            "op_classes": [t.as_dict() for t in self.op_classes],
        }
        imported = self.network.imported
        if imported is not None:
            summary["import"] = {"path": imported.path, "engine": imported.engine}
            summary["dead_ops"] = self.dead_ops.as_dict()
            summary["unused_parameters"] = dict(imported.unused_parameters)
            summary["unregistered_parameters"] = imported.unregistered_parameters
        return summary

    def ops_table(self) -> pd.DataFrame:
        """One row per op node (concrete networks)."""
        import pandas as pd

        rows = [
            {
                "node": r.node,
                "block": r.block,
                "op": r.label,
                "op_class": str(r.op_class),
                "output_shape": str(r.shape),
                "repeats": r.multiplicity,
                **r.total.as_dict(),
                "layers": r.layers * r.multiplicity,
            }
            for r in self.records
            if r.op_class is not OpClass.INPUT
        ]
        return pd.DataFrame(rows)

    def blocks_table(self) -> pd.DataFrame:
        """One row per block plus a ``total`` row."""
        import pandas as pd

        rows = [t.as_dict() for t in [*self.blocks, self.total]]
        frame = pd.DataFrame(rows)
        frame["output_shape"] = ["x".join(map(str, s)) for s in frame["output_shape"]]
        return frame.rename(columns={"name": "block"})


def analyze(network: Network, *, elem_bytes: int = 4) -> CostReport:
    """Cost every node of ``network`` (activations of ``elem_bytes`` bytes each)."""
    records = []
    for node in network.nodes():
        op, shape = network.op(node), network.shape(node)
        inputs = network.input_shapes(node)
        cost = op.cost(inputs, shape, elem_bytes=elem_bytes)
        if network.shares(node) is not None:
            cost = dataclasses.replace(cost, params=0, norm_params=0)  # counted at the owner
        records.append(
            OpRecord(
                node=node,
                block=network.block(node),
                kind=op.kind,
                label=op.label(),
                op_class=op.op_class(inputs),
                shape=shape,
                multiplicity=network.multiplicity(node),
                layers=network.layers(node),
                cost=cost,
            )
        )
    return CostReport(network=network, records=tuple(records), elem_bytes=elem_bytes)


__all__ = ["COST_FIELDS", "CostReport", "DeadOps", "OpRecord", "Totals", "analyze"]
