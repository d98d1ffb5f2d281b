"""Training memory: the prediction on a hand-computed network, and against a measured
training step for every registered family."""

import pytest

from archscope import api
from archscope.costs import analyze
from archscope.dims import ShapeError
from archscope.families import FAMILIES
from archscope.graph import GraphBuilder
from archscope.latency.profile import ProfileError, load_profile
from archscope.memory.devices import GIB, device_memory_bytes, fits, local_memory_bytes
from archscope.memory.measure import measure_train_memory
from archscope.memory.predict import predict_train_memory
from archscope.autograd.saved import saved_activation_bytes
from archscope.ops import Activation, BatchNorm2d, Conv2d, Shape


def small_network():
    b = GraphBuilder("small")
    x = b.input(Shape(2, 3, 8, 8))
    with b.block("a"):
        x = b.add(Conv2d(out_channels=4), x, name="conv")
        x = b.add(BatchNorm2d(), x, name="bn")
        x = b.add(Activation(function="relu"), x, name="relu")
        x = b.add(Conv2d(out_channels=5, kernel_size=1, bias=True), x, name="score")
    return b.build()


def test_prediction_by_hand():
    memory = predict_train_memory(analyze(small_network()))
    params = 4 * 3 * 9 + 2 * 4 + 5 * 4 + 5  # conv, BN gamma/beta, score conv + bias
    assert memory.weights_bytes == memory.gradient_bytes == memory.optimizer_bytes == 4 * params
    assert memory.buffer_bytes == 2 * 4 * 4 + 8  # running mean/var + int64 counter
    assert memory.batch_bytes == 2 * 3 * 64 * 4 + 2 * 64 * 8  # fp32 images + int64 labels
    # BN input (2048) + BN statistics (32) + ReLU output (2048, also the score conv's input);
    # the image the first conv saves is in the batch; + log-probabilities (2560)
    assert memory.saved_bytes == 2048 + 32 + 2048 + 2 * 5 * 64 * 4
    assert memory.transient_bytes == 2 * (2 * 5 * 64 * 4)
    assert memory.total_bytes == 3 * 4 * params + 40 + 2560 + 6688 + 5120


def test_measurement_of_the_hand_computed_network():
    network = small_network()
    measured = measure_train_memory(network, channels_last=False)
    predicted = predict_train_memory(analyze(network)).total_bytes
    assert abs(measured.peak_bytes - predicted) <= 16  # the loss scalars
    assert measured.method == "live-tensors"


def smallest_report(family):
    """The family at its defaults on the smallest input it takes (of a few)."""
    for resolution in [(64, 128), (128, 256), (256, 512)]:
        try:
            return api.cost(family, resolution=resolution, batch=2)
        except ShapeError:
            continue
    raise AssertionError(f"{family} builds on none of the test resolutions")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_prediction_within_10_percent_of_a_measured_step(family):
    report = smallest_report(family)
    predicted = predict_train_memory(report).total_bytes
    measured = measure_train_memory(report.network)
    assert measured.peak_bytes == pytest.approx(predicted, rel=0.10)
    # the op vocabulary's saved tensors, plus the loss's log-probabilities and labels
    out = report.network.output_shape
    loss_saved = out.n * out.c * out.h * out.w * 4 + out.n * out.h * out.w * 8
    assert measured.saved_bytes == pytest.approx(saved_activation_bytes(report.network) + loss_saved, rel=0.10)
    assert report.summary()["train_activation_bytes"] == saved_activation_bytes(report.network)


@pytest.mark.parametrize("reversible", [True, False])
def test_vnet_prediction_with_and_without_reversible_modules(reversible):
    reports = [api.cost("vnet", resolution=(64, 128), batch=2, depths=(3, d), reversible=reversible) for d in (2, 6)]
    predicted = [predict_train_memory(r) for r in reports]
    for report, prediction in zip(reports, predicted):
        measured = measure_train_memory(report.network)
        assert measured.peak_bytes == pytest.approx(prediction.total_bytes, rel=0.10)
    # reversible: four more V modules at 1/8 keep nothing more for backward
    if reversible:
        assert predicted[0].saved_bytes == predicted[1].saved_bytes
    else:
        assert predicted[1].saved_bytes > predicted[0].saved_bytes


def test_ndnet_prediction_grows_with_batch_and_is_exact_here():
    small, large = (api.cost("ndnet", widths=(8, 16), depths=(1, 2), resolution=(64, 64), batch=b) for b in (1, 3))
    assert predict_train_memory(large).saved_bytes == pytest.approx(
        3 * predict_train_memory(small).saved_bytes, rel=0.01
    )
    measured = measure_train_memory(large.network).peak_bytes
    assert measured == pytest.approx(predict_train_memory(large).total_bytes, rel=0.001)


def test_device_memory_comes_from_the_profiles(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHSCOPE_DEVICES", str(tmp_path))  # no user profiles
    assert device_memory_bytes("titanx") == 12 * GIB and device_memory_bytes("jetson-tx2") == 8 * GIB
    assert device_memory_bytes("titanxp") == load_profile("titanxp").memory_bytes
    assert device_memory_bytes("local") == local_memory_bytes() > GIB
    local = local_memory_bytes()  # this machine: whether 10 GiB fits depends on its RAM, read now
    assert fits(10 * GIB) == {"titanx": True, "titanxp": True, "jetson-tx2": False, "local": 10 * GIB <= local}
    assert fits(local)["local"] and not fits(local + 1)["local"]
    with pytest.raises(ProfileError, match="unknown device 'tpu'"):
        device_memory_bytes("tpu")
    # a user's profile is a device too
    text = load_profile("jetson-tx2").to_toml().replace('name = "jetson-tx2"', 'name = "tx2-4gb"')
    (tmp_path / "tx2-4gb.toml").write_text(text.replace("memory_bytes = 8589934592", "memory_bytes = 4294967296"))
    assert device_memory_bytes("tx2-4gb") == 4 * GIB and not fits(5 * GIB)["tx2-4gb"]
