"""Training memory: the predicted peak of a training step (``predict_train_memory``),
its measurement (``measure_train_memory``, imports torch) and device memory sizes."""

from typing import Any

from archscope.memory.devices import device_memory_bytes, fits, known_devices
from archscope.memory.predict import TrainMemory, predict_train_memory

__all__ = [
    "TrainMemory",
    "device_memory_bytes",
    "fits",
    "known_devices",
    "measure_train_memory",
    "predict_train_memory",
]


def __getattr__(name: str) -> Any:
    if name == "measure_train_memory":  # torch is imported only when measuring
        from archscope.memory.measure import measure_train_memory

        return measure_train_memory
    raise AttributeError(f"module 'archscope.memory' has no attribute {name!r}")
