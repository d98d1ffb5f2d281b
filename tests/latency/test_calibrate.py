"""Local calibration: ops timed in context and the profile's record of its networks."""

import pytest
import torch

from archscope import api
from archscope.latency import calibrate
from archscope.latency.calibrate import calibrate_local, micro_benchmarks, time_micro_benchmarks, time_ops_in_networks
from archscope.latency.validate import CalibrationSet


def test_every_op_is_timed_where_it_runs():
    nets = [api.build("ndnet", widths=(4, 8, 16), depths=(1, 2, 1), resolution=(32, 64), head=h) for h in ("none", "fcn32")]
    rounds = []
    timed = time_ops_in_networks(nets, "channels_last", rounds=3, on_round=lambda done, total: rounds.append((done, total)))
    assert rounds == [(1, 3), (2, 3), (3, 3)]
    for net, network in zip(nets, timed):
        ops = {n for n in net.nodes() if n not in net.inputs}
        assert set(network.op_s) == ops
        assert all(t > 0 for t in network.op_s.values()) and network.total_s > 0
        # the framework's time between ops: positive, a small part of the pass
        assert 0 < network.between_s < network.total_s


def test_calibration_records_its_networks_and_the_framework_overhead():
    networks = CalibrationSet(("ndnet",), 2, ((32, 64),))
    threads = torch.get_num_threads()
    try:
        profile, errors = calibrate_local(threads=1, limit=4, calibration=networks, rounds=3)
    finally:
        torch.set_num_threads(threads)
    assert CalibrationSet.from_record(profile.fit) == networks
    assert "framework_overhead_us" in profile.fit
    assert "network_rms_log_error" in profile.fit
    # the bandwidth curve: one copy rate per size, the last the DRAM rate
    sizes = [size for size, _ in profile.bandwidth_curve]
    assert sizes == sorted(sizes) and profile.dram_bytes_per_s == profile.bandwidth_curve[-1][1]
    # in-context samples give every class an NDNet uses its own fit
    assert {"conv", "depthwise", "pointwise", "norm/activation", "elementwise"} <= set(errors)
    assert profile.threads == 1


def test_micro_benchmarks_are_timed_in_shuffled_passes_keeping_the_fastest(monkeypatch):
    benchmarks = list(micro_benchmarks())[:6]
    calls = []

    def fake_time(network, memory_format, device="cpu"):
        calls.append(network.name)
        busy = 2.0 if len(calls) <= 3 else 1.0  # a busy spell slows the first three timed
        return busy * (1 + benchmarks.index(next(b for b in benchmarks if b[1] is network)))

    monkeypatch.setattr(calibrate, "time_network", fake_time)
    steps = []
    seconds = time_micro_benchmarks(benchmarks, "channels_last", passes=2, on_step=steps.append)
    assert seconds == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # the spell is gone from every benchmark
    assert len(calls) == 12 and sorted(calls[:6]) == sorted(calls[6:]) == sorted(n.name for _, n in benchmarks)
    assert calls[:6] != [n.name for _, n in benchmarks] and calls[:6] != calls[6:]  # shuffled, differently each pass
    assert steps[0].startswith("pass 1/2: ") and steps[-1].startswith("pass 2/2: ")


@pytest.mark.parametrize("block", [1, 8, 16])
def test_the_channel_block_is_the_step_the_conv_times_take(monkeypatch, block):
    def fake_time(network, memory_format, device="cpu"):
        out = network.shape(network.outputs[0]).c
        return 1e-4 * (-(-out // block) * block) * (1.01 if out % 3 else 1.0)  # a little noise

    monkeypatch.setattr(calibrate, "time_network", fake_time)
    assert calibrate.channel_block("channels_last") == block
