"""Search spaces as TOML data: every shipped space loads and round-trips; bad files fail
with one message naming the problem."""

import tomllib
from pathlib import Path

import pytest

from archscope.families.base import Resolution
from archscope.families.ndnet import Head
from archscope.search.space import SpaceError, available_spaces, load_space, space_from_dict
from archscope.search.toml_out import dumps

SHIPPED = available_spaces()


def test_the_shipped_spaces_are_found():
    assert {"ndnet", "ndnet-table1", "ndnet-free", "erfnet-grouping", "espnet"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_space_loads_and_round_trips(name):
    space = load_space(name)
    assert space.name == name
    again = space_from_dict(tomllib.loads(dumps(space.to_dict())), origin="round trip")
    assert again == space
    low, high = space.corners()
    assert space.hyper(low).keys() == space.hyper(high).keys()


def test_ndnet_encodes_the_papers_rules():
    space = load_space("ndnet")
    c = space.constraints
    assert (c.device, c.limit("min_fps"), c.limit("min_layers")) == ("titanx", 50.0, 25)
    assert space.fixed["resolution"] == Resolution(1024, 2048) and space.fixed["head"] is Head.FCN32
    hyper = space.hyper({"n1": 24, "d1": 3, "d2": 8, "d3": 3, "e": 4})
    assert hyper["widths"] == (24, 48, 96) and hyper["depths"] == (3, 8, 3) and hyper["expansion"] == 4
    assert space.searched == ("n1", "d1", "d2", "d3", "e") and space.size() == 15 * 24**3
    assert [(o.metric, o.direction.value) for o in space.objectives] == [("layers", "maximize"), ("width", "maximize")]


def test_overrides_replace_constraints(tiny_space):
    changed = tiny_space.with_overrides(min_fps=10.0, min_layers=None, device="titanxp", resolution=Resolution(32, 64))
    assert changed.constraints.limits == {"min_fps": 10.0, "min_layers": 7}
    assert changed.constraints.device == "titanxp" and changed.fixed["resolution"] == Resolution(32, 64)
    assert tiny_space.constraints.limit("min_fps") == 1800.0


def test_a_runs_config_loads_as_its_space(tiny_space, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(dumps({"run": {"sampler": "tpe"}, "space": tiny_space.to_dict()}))
    assert load_space(path) == tiny_space


BAD = {
    "unknown family": ('family = "resnet"', "unknown family 'resnet'"),
    "unknown key": ("colour = 1", "unknown key(s) colour"),
    "unknown metric": ('metric = "layers"', "is not one of", ('metric = "layers"', 'metric = "accuracy"')),
    "bad rule": ("rules = []", "does not parse", ("rules = []", 'rules = ["d1 <= "]')),
    "rule names": ("rules = []", "names unknown d9", ("rules = []", 'rules = ["d9 <= 2"]')),
    "low above high": ("high = 3", "need low <= high", ("high = 3", "high = 0")),
    "not a hyper": ("[parameters.expansion]", "has no hyper-parameter 'colour'", ("[parameters.expansion]", "[parameters.colour]")),
    "log with choices": ("tie = \"double\"", "log = true needs", ("tie = \"double\"", "tie = \"double\"\nlog = true")),
    "bad resolution": ('resolution = "64x128"', "is not HxW", ('resolution = "64x128"', 'resolution = "big"')),
    "no objectives": ("", "needs at least one \\[\\[objectives\\]\\]"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spaces_name_the_problem(case, tmp_path, tiny_space_file):
    text = tiny_space_file.read_text()
    _, message, *edit = BAD[case]
    if edit:
        old, new = edit[0]
        text = text.replace(old, new, 1)
    elif case == "no objectives":
        text = text[: text.index("[[objectives]]")]
    elif case == "unknown family":
        text = text.replace('family = "ndnet"', 'family = "resnet"')
    else:
        text = "colour = 1\n" + text
    path = tmp_path / "bad.toml"
    path.write_text(text)
    pattern = message if case == "no objectives" else message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(SpaceError, match=pattern):
        load_space(path)


def test_malformed_toml_and_unknown_names(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nfamily = [')
    with pytest.raises(SpaceError, match="malformed TOML"):
        load_space(path)
    with pytest.raises(SpaceError, match="unknown search space 'nope'.*ndnet"):
        load_space("nope")
    with pytest.raises(SpaceError, match="no search space file"):
        load_space(Path(tmp_path / "missing.toml"))
