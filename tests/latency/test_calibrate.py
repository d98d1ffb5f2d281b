"""Local calibration: ops timed in context and the profile's record of its networks."""

import torch

from archscope import api
from archscope.latency.calibrate import calibrate_local, time_ops_in_networks
from archscope.latency.validate import CalibrationSet


def test_every_op_is_timed_where_it_runs():
    nets = [api.build("ndnet", widths=(4, 8, 16), depths=(1, 2, 1), resolution=(32, 64), head=h) for h in ("none", "fcn32")]
    rounds = []
    timed = time_ops_in_networks(nets, "channels_last", rounds=3, on_round=lambda done, total: rounds.append((done, total)))
    assert rounds == [(1, 3), (2, 3), (3, 3)]
    for net, (op_s, total_s) in zip(nets, timed):
        ops = {n for n in net.nodes() if n not in net.inputs}
        assert set(op_s) == ops
        assert all(t > 0 for t in op_s.values()) and total_s > 0


def test_calibration_records_its_networks_and_the_framework_overhead():
    networks = CalibrationSet(("ndnet",), 2, ((32, 64),))
    threads = torch.get_num_threads()
    try:
        profile, errors = calibrate_local(threads=1, limit=4, calibration=networks, rounds=3)
    finally:
        torch.set_num_threads(threads)
    assert CalibrationSet.from_record(profile.fit) == networks
    assert "framework_overhead_us" in profile.fit
    # the cache capacity kept is the candidate with the smallest error on the networks
    candidates, rms = profile.fit["cache_candidates_bytes"], profile.fit["cache_rms_log_error"]
    assert len(candidates) == len(rms) and candidates[0] == 0 and candidates[-1] == profile.memory_bytes
    assert rms[candidates.index(profile.cache_bytes)] == min(rms)
    # in-context samples give every class an NDNet uses its own fit
    assert {"conv", "depthwise", "pointwise", "norm/activation", "elementwise"} <= set(errors)
    assert profile.threads == 1
