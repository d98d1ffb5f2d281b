"""``archscope cost FAMILY``: every registered family's options are generated from its
build signature, its JSON equals the Python API's report, bad values exit with 2."""

import json

import pytest

from archscope import api
from archscope.cli import main
from archscope.families import FAMILIES


def run(capsys, *args):
    code = main(["cost", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_json_equals_the_api(capsys, name):
    code, out, err = run(capsys, name, "--resolution", "192x256", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    total = api.cost(name, resolution=(192, 256)).total
    assert (data["params"], data["macs"], data["layers"]) == (total.cost.params, total.cost.macs, total.layers)


@pytest.mark.parametrize(
    "args, hyper",
    [
        (["erfnet", "--conv", "separable", "--scope", "encoder", "--decoder", "light"],
         dict(conv="separable", scope="encoder", decoder="light")),
        (["espnet", "--no-decoder", "--alpha2", "3", "--alpha3", "5", "--branches", "4"],
         dict(decoder=False, alpha2=3, alpha3=5, branches=4)),
        (["icnet", "--branches", "sub24", "--kernel-keep", "0.25", "--sub4-input", "features"],
         dict(branches="sub24", kernel_keep=0.25, sub4_input="features")),
        (["enet", "--dilated-stages", "1", "--decoder-depths", "1,1"], dict(dilated_stages=1, decoder_depths=(1, 1))),
        (["vnet", "--depths", "2,6", "--cpp-channels", "16"], dict(depths=(2, 6), cpp_channels=16)),
    ],
)
def test_family_options(capsys, args, hyper):
    code, out, err = run(capsys, *args, "--resolution", "192x256", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["params"] == api.cost(args[0], resolution=(192, 256), **hyper).total.cost.params


@pytest.mark.parametrize(
    "args, names",
    [
        (["icnet", "--kernel-keep", "2"], "kernel_keep"),
        (["icnet", "--kernel-keep", "abc"], "abc"),
        (["icnet", "--branches", "sub8"], "sub8"),
        (["icnet", "--resolution", "200x256"], "200x256"),
        (["erfnet", "--conv", "sparse"], "sparse"),
        (["erfnet", "--conv", "grouped", "--groups", "3"], "3"),
        (["espnet", "--branches", "9", "--classes", "4"], "branches"),
        (["vnet", "--widths", "16,33,128"], "33"),
    ],
)
def test_bad_values_exit_2_in_one_line(capsys, args, names):
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archscope: error:") and names in lines[0], err
    assert out == ""
