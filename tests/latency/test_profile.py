"""Device profiles: loading, validation, round trips, the shipped fits."""

import dataclasses
import math

import pytest

from archscope import api
from archscope.families.ndnet import NDNET_PRESETS
from archscope.latency.profile import ProfileError, available_profiles, load_profile, save_profile


@pytest.mark.parametrize("name", ["titanx", "titanxp", "jetson-tx2", "local"])
def test_shipped_profiles_load_and_cite_sources(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile.sources
    assert name in available_profiles()


def test_round_trip(tmp_path):
    profile = load_profile("titanx")
    path = save_profile(profile, tmp_path / "copy.toml")
    assert load_profile(path) == profile


def test_user_profile_shadows_shipped(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHSCOPE_DEVICES", str(tmp_path))
    profile = dataclasses.replace(load_profile("local"), description="calibrated here")
    save_profile(profile)
    assert load_profile("local").description == "calibrated here"


@pytest.mark.parametrize(
    "text, message",
    [
        ("name = 'x'", "missing field"),
        ("name = ", "malformed TOML"),
    ],
)
def test_bad_profiles(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


def test_profile_missing_a_class(tmp_path):
    text = load_profile("titanx").to_toml()
    start = text.index('[classes."resize"]')
    end = text.index("[", start + 5)
    path = tmp_path / "noresize.toml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(ProfileError, match="resize"):
        load_profile(path)


def test_unknown_device():
    with pytest.raises(ProfileError, match="unknown device 'nosuch'"):
        load_profile("nosuch")


def test_titanx_fit_reproduces_table2_within_targets():
    profile = load_profile("titanx")
    fps = {}
    for name, preset in NDNET_PRESETS.items():
        fps[name] = api.latency(api.cost("ndnet", widths=preset.hyper["widths"], depths=preset.hyper["depths"]), profile).fps
        tolerance = 0.15 if name == "ndnet29-wide" else 0.10
        assert abs(fps[name] / preset.paper["fps"] - 1) <= tolerance, (name, fps[name])
    assert fps["ndnet29"] > fps["ndnet45"] > fps["ndnet61"] > fps["ndnet29-wide"]  # the paper's ordering


def test_titanx_regenerates_from_its_csv_with_the_documented_command(tmp_path):
    """README: `archscope calibrate --from archscope/devices/titanx_table2.csv --device
    titanx --out archscope/devices/titanx.toml` writes the shipped profile."""
    from pathlib import Path

    from archscope.cli import main

    root = Path(__file__).resolve().parents[2]
    readme = " ".join((root / "README.md").read_text().split())
    command = ("archscope calibrate --from archscope/devices/titanx_table2.csv --device titanx --out "
               "archscope/devices/titanx.toml")
    assert command in readme.replace("`", "")
    out = tmp_path / "titanx.toml"
    args = command.split()[1:-1] + [str(out)]
    args[args.index("--from") + 1] = str(root / args[args.index("--from") + 1])
    assert main(args) == 0
    assert out.read_text() == (root / "archscope" / "devices" / "titanx.toml").read_text()


def test_a_profile_with_kinds_and_learned_corrections_round_trips(tmp_path):
    from archscope.latency.profile import ClassParams, Residual

    base = load_profile("titanx")
    profile = dataclasses.replace(
        base.with_classes(**{"conv:3x3": ClassParams(0.5, 0.7, 4.0)}),
        residuals={"conv:3x3": Residual((0.1, -0.2, 0.0, 0.3, 0.4, 0.0, 0.2, 0.3), (4.0, 5.0, 12.0, 20.0, 0.1, 0.1, 0.5, 0.2))},
        kernel_overhead_us=2.5,
    )
    assert load_profile(save_profile(profile, tmp_path / "kinds.toml")) == profile


def test_a_kind_without_its_own_parameters_uses_its_op_class():
    from archscope.latency.profile import ClassParams, Residual

    profile = load_profile("titanx").with_classes(**{"conv:3x3": ClassParams(0.5, 0.7, 4.0)})
    assert profile.params("conv:3x3").overhead_us == 4.0
    assert profile.params("conv:dilated") == profile.params("conv")
    corrected = dataclasses.replace(profile, residuals={"conv": Residual((1.0, 0, 0, 0, 0, 0, 0, 0), (4.0, 0, 0, 0, 0, 0, 0, 0))})
    assert corrected.correction("conv:dilated", (5.0, 0, 0, 0, 0, 0, 0)) == pytest.approx(math.e)  # the class's correction
    assert corrected.correction("conv:3x3", (5.0, 0, 0, 0, 0, 0, 0)) == 1.0  # its own parameters, no correction of its own
    assert corrected.correction("conv:dilated", (40.0, 0, 0, 0, 0, 0, 0)) == pytest.approx(4.0)  # clipped at x4
    assert corrected.without_residuals().correction("conv:dilated", (5.0, 0, 0, 0, 0, 0, 0)) == 1.0


def test_a_pooling_window_without_its_own_parameters_uses_its_pooling_kind_then_the_class():
    from archscope.latency.profile import ClassParams, kind_levels

    assert kind_levels("pooling:maxpool:3x3") == ["pooling:maxpool:3x3", "pooling:maxpool", "pooling"]
    profile = load_profile("titanx").with_classes(**{"pooling:maxpool": ClassParams(0.5, 0.7, 4.0),
                                                     "pooling:maxpool:2x2": ClassParams(0.5, 0.6, 3.0)})
    assert profile.owner("pooling:maxpool:2x2") == "pooling:maxpool:2x2"
    assert profile.owner("pooling:maxpool:5x5") == "pooling:maxpool"  # a window never benchmarked
    assert profile.owner("pooling:avgpool:3x3") == "pooling"
    assert profile.params("pooling:maxpool:5x5").overhead_us == 4.0


def test_a_correction_of_an_older_feature_set_asks_for_a_new_calibration():
    from archscope.latency.profile import ProfileError, Residual

    with pytest.raises(ProfileError, match="needs 8 weights.*got 7 and 7: calibrate the profile again"):
        Residual((1.0, 0, 0, 0, 0, 0, 0), (4.0, 0, 0, 0, 0, 0, 0))  # before the DRAM share


def test_shape_features_read_the_channels_past_the_vector_width():
    from archscope.latency.profile import FEATURES, shape_features

    features = dict(zip(FEATURES, shape_features(11, 16, 1024, 2**20, 2**25)))
    assert features["log2_positions"] == 10 and features["log2_traffic_bytes"] == 20
    assert features["in_channels_remainder"] == pytest.approx(3 / 11) and features["out_channels_remainder"] == 0
    assert features["in_channels_odd"] == 1.0
    assert features["dram_share"] == 0.0  # 1 MiB fits a 32 MiB cache
    assert shape_features(36, 36, 1, 1, 2**25)[4:] == pytest.approx((4 / 36, 4 / 36, 0.0, 0.0))
    assert shape_features(64, 64, 2**20, 2**27, 2**25)[-1] == pytest.approx(0.75)  # a quarter fits


def test_channel_block_and_time_per_position_round_trip_and_are_checked(tmp_path):
    from archscope.latency.profile import ClassParams, ProfileError, save_profile

    profile = dataclasses.replace(load_profile("titanx").with_classes(conv=ClassParams(0.5, 0.7, 4.0, position_ns=3.5)),
                                  channel_block=16)
    path = save_profile(profile, tmp_path / "blocked.toml")
    assert "channel_block = 16" in path.read_text()
    assert load_profile(path) == profile
    with pytest.raises(ProfileError, match="channel_block"):
        dataclasses.replace(profile, channel_block=0)
    with pytest.raises(ProfileError, match="position_ns"):
        ClassParams(0.5, 0.5, 1.0, position_ns=-1.0)
