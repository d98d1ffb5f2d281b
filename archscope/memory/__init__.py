"""Training memory: the predicted peak of a training step (``predict_train_memory``),
its measurement (``measure_train_memory``, imports torch), device memory sizes (from the
device profiles) and reversible couplings (``couplings``: which nodes of a graph train
reversibly; ``reversible``: the torch autograd function)."""

from typing import Any

from archscope.memory.devices import device_memory_bytes, fits, known_devices
from archscope.memory.predict import TrainMemory, predict_train_memory, saved_activation_bytes

__all__ = [
    "TrainMemory",
    "device_memory_bytes",
    "fits",
    "known_devices",
    "measure_train_memory",
    "predict_train_memory",
    "saved_activation_bytes",
]


def __getattr__(name: str) -> Any:
    if name == "measure_train_memory":  # torch is imported only when measuring
        from archscope.memory.measure import measure_train_memory

        return measure_train_memory
    raise AttributeError(f"module 'archscope.memory' has no attribute {name!r}")
