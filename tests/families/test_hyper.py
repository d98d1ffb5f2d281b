"""One description per hyper-parameter: every family's parameters read and write their
own text and plain forms, and bad values are refused in one line naming them."""

import pytest
import sympy

from archscope.families import FAMILIES, HyperError, Resolution, get_family
from archscope.families.erfnet import ConvKind
from archscope.families.hyper import label, plain, text

PARAMS = [(family.name, param) for family in FAMILIES.values() for param in family.hyper.values()]


@pytest.mark.parametrize(("family", "param"), PARAMS, ids=[f"{f}.{p.name}" for f, p in PARAMS])
def test_every_default_survives_its_text_and_plain_forms(family, param):
    assert param.parse(param.text(param.default)) == param.default
    assert param.from_plain(param.plain(param.default)) == param.default
    assert param.flag == "--" + param.name.replace("_", "-") and param.help


@pytest.mark.parametrize(
    ("value", "as_label", "as_text", "as_plain"),
    [
        ((16, 32, 64), "16,32,64", "16,32,64", [16, 32, 64]),
        (Resolution(512, 1024), "512x1024", "512x1024", "512x1024"),
        (ConvKind.GROUPED, "grouped", "grouped", "grouped"),
        (True, True, "True", True),
        (0.5, 0.5, "0.5", 0.5),
        (4, 4, "4", 4),
    ],
)
def test_the_spellings_of_each_type(value, as_label, as_text, as_plain):
    assert label(value) == as_label and text(value) == as_text and plain(value) == as_plain


@pytest.mark.parametrize(
    ("family", "name", "given", "message"),
    [
        ("ndnet", "widths", "16,x,64", "'x' in '16,x,64' is not an integer"),
        ("ndnet", "widths", "0,32,64", "0 in '0,32,64' must be >= 1"),
        ("ndnet", "resolution", "512by1024", "'512by1024' is not HxW"),
        ("ndnet", "head", "fcn8", "'fcn8' is not one of fcn32, none"),
        ("espnet", "decoder", "maybe", "'maybe' is not true or false"),
        ("icnet", "kernel_keep", "0", "0 must be >= 0.01"),
        ("erfnet", "depths", "5,-1", "-1 in '5,-1' must be >= 0"),
    ],
)
def test_bad_text_is_refused_naming_the_value(family, name, given, message):
    with pytest.raises(HyperError, match=message):
        get_family(family).param(name).parse(given)


@pytest.mark.parametrize(
    ("name", "given", "message"),
    [
        ("widths", [16, "32"], "is not a list of integers"),
        ("widths", [16, 0], "entries of 16,0 must be >= 1"),
        ("expansion", 4.5, "is not an integer"),
        ("expansion", True, "is not an integer"),
        ("resolution", [512], "is not HxW"),
        ("head", "fcn8", "is not one of"),
    ],
)
def test_bad_plain_data_is_refused(name, given, message):
    with pytest.raises(HyperError, match=message):
        get_family("ndnet").param(name).from_plain(given)


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(HyperError, match="ndnet has no hyper-parameter 'width' \\(it takes widths, depths"):
        get_family("ndnet").resolve(width=(8, 16, 32))


def test_symbols_come_from_the_help_entries():
    symbols = get_family("ndnet").symbols({"widths": (8, 16), "depths": (1, 2)})
    assert symbols["widths"] == sympy.symbols("n1:3", integer=True, positive=True)
    assert symbols["expansion"] == sympy.Symbol("e", integer=True, positive=True)
    assert "head" not in symbols and "resolution" not in symbols  # they stay values
    assert get_family("erfnet").symbols({})["decoder_depths"] == sympy.symbols("d3:5", integer=True, positive=True)
    assert get_family("icnet").symbols({})["kernel_keep"] == sympy.Symbol("r", positive=True)


def test_typed_and_plain_are_inverse():
    family = get_family("erfnet")
    config = family.resolve(widths=(16, 32, 64), conv=ConvKind.SHUFFLED)
    assert family.typed(family.plain(config)) == config


def test_presets_may_set_only_hyper_parameters():
    from archscope.families.base import Family, Preset, register_family

    broken = Family(name="broken", summary="", build=get_family("ndnet").build, presets={"x": Preset({"width": 3})})
    with pytest.raises(ValueError, match="broken preset x: no hyper-parameter width"):
        register_family(broken)
    assert "broken" not in FAMILIES
