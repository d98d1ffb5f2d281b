"""Predicted peak memory of one training step, from the cost model.

What "peak" means here: the largest number of bytes held by live tensors at any moment of
one steady-state step of ``archscope.train.step.train_step`` (SGD with momentum, fp32
weights, after the first step, so gradients and momentum buffers exist), with the batch
held by the caller. Allocator caching and fragmentation, kernel workspaces and the
framework's own memory are not counted: the figure is a floor for the device, not the
allocator's reservation.

That moment is the start of the backward pass: every tensor saved for backward is alive,
and the loss's backward has just produced two output-sized gradients (of the
log-probabilities, then of the logits) while the saved log-probabilities are still held.
So the prediction is the sum of

- ``weights_bytes``, ``gradient_bytes``, ``optimizer_bytes``: params and BN affine
  parameters in fp32, once each (SGD's momentum buffer is one more copy);
- ``buffer_bytes``: BN running statistics (and torch's int64 batch counter per BN);
- ``batch_bytes``: the input images and the int64 label map;
- ``saved_bytes``: ``archscope.autograd.saved`` (each saved tensor once; a reversible
  stack keeps its output only) less the input images when a layer saves them (already
  in ``batch_bytes``), plus the log-probabilities that cross entropy saves;
- ``transient_bytes``: the two output-sized gradients at the start of backward.

``archscope.memory.measure`` measures the same quantity on a real step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from archscope.costs import CostReport
from archscope.dims import as_int

#: bytes of a weight, gradient or momentum element (fp32 master weights)
PARAM_BYTES = 4
#: bytes of a label (int64, what cross entropy takes)
LABEL_BYTES = 8
#: torch's BatchNorm keeps an int64 ``num_batches_tracked`` beside its running stats
NORM_COUNTER_BYTES = 8


@dataclass(frozen=True)
class TrainMemory:
    weights_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    buffer_bytes: int
    batch_bytes: int
    saved_bytes: int
    transient_bytes: int

    @property
    def total_bytes(self) -> int:
        return sum(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "total_bytes": self.total_bytes}


def _saved_input_bytes(report: CostReport) -> int:
    """Bytes of the network inputs that some layer keeps for backward."""
    network, total = report.network, 0
    for name in network.inputs:
        for consumer in set(network.graph.successors(name)):
            sources = network.sources(consumer)
            saved = network.op(consumer).saved(
                network.input_shapes(consumer), network.shape(consumer), elem_bytes=report.elem_bytes
            )
            if any(s.tensor == "input" and sources[s.index] == name for s in saved):
                total += as_int(network.shape(name).numel) * report.elem_bytes
                break
    return total


def _buffer_bytes(report: CostReport) -> int:
    total = 0
    for record in report.records:
        network = report.network
        buffers = as_int(network.op(record.node).counts(network.input_shapes(record.node), record.shape).buffers)
        if buffers:
            total += buffers * PARAM_BYTES + NORM_COUNTER_BYTES
    return total


def predict_train_memory(report: CostReport) -> TrainMemory:
    """Peak bytes of a training step of ``report``'s network at its batch and input size
    (a concrete network whose single output is per-pixel class scores)."""
    network = report.network
    if report.symbolic:
        raise ValueError("training memory needs a concrete network (no symbolic sizes)")
    params = as_int(report.total.all_params) * PARAM_BYTES
    output = network.output_shape
    output_bytes = as_int(output.numel) * report.elem_bytes
    images = sum(as_int(network.shape(name).numel) for name in network.inputs) * report.elem_bytes
    labels = as_int(output.n * output.h * output.w) * LABEL_BYTES
    return TrainMemory(
        weights_bytes=params,
        gradient_bytes=params,
        optimizer_bytes=params,
        buffer_bytes=_buffer_bytes(report),
        batch_bytes=images + labels,
        saved_bytes=as_int(report.train_activation_bytes) - _saved_input_bytes(report) + output_bytes,
        transient_bytes=2 * output_bytes,
    )
