"""Device profiles: loading, validation, round trips, the shipped fits."""

import dataclasses

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
