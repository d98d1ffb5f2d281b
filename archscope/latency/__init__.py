"""Latency model: device profiles, roofline-with-overhead prediction, measurement,
calibration and validation.

Typical use::

    from archscope.latency import load_profile, predict
    prediction = predict(network, load_profile("titanx"))
"""

from archscope.latency.model import LatencyPrediction, predict
from archscope.latency.profile import DeviceProfile, ProfileError, load_profile, save_profile

__all__ = [
    "DeviceProfile",
    "LatencyPrediction",
    "ProfileError",
    "load_profile",
    "predict",
    "save_profile",
]
