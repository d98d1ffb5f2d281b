"""Closed forms derived from the graph: the paper's eq. (7), (8) and whole-network formulas."""

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from archscope import api
from archscope.families import get_family
from archscope.symbolic import FORMULA_FIELDS, substitute


def test_block_formulas_are_the_papers():
    formulas = api.formulas("ndnet")
    d, e, n, H, W = sympy.symbols("d e n H W", integer=True, positive=True)
    paper_params = d * (2 * e * n**2 + (9 * e + 9) * n)  # eq. (7)
    paper_macs = paper_params * H * W  # eq. (8)
    # the JSON gives strings; parse them back as a user would
    block_params = sympy.sympify(str(formulas["block_params"]), locals={s.name: s for s in (d, e, n, H, W)})
    block_macs = sympy.sympify(str(formulas["block_macs"]), locals={s.name: s for s in (d, e, n, H, W)})
    assert sympy.simplify(block_params - paper_params) == 0
    assert sympy.simplify(block_macs - paper_macs) == 0
    assert formulas["block_layers"] == 2 * d


def test_layers_formula():
    layers = api.formulas("ndnet")["layers"]
    d1, d2, d3 = sympy.symbols("d1:4", integer=True, positive=True)
    assert sympy.expand(layers - (1 + 2 * (d1 + d2 + d3))) == 0


@settings(max_examples=15, deadline=None)
@given(
    k=st.integers(1, 4),
    data=st.data(),
    expansion=st.integers(1, 6),
    classes=st.integers(1, 30),
    head=st.sampled_from(["fcn32", "none"]),
    transition=st.sampled_from(["projection", "strided", "strided-separable"]),
    scale=st.tuples(st.integers(1, 4), st.integers(1, 4)),
)
def test_network_formula_equals_concrete_count(k, data, expansion, classes, head, transition, scale):
    widths = tuple(data.draw(st.lists(st.integers(1, 64), min_size=k, max_size=k)))
    depths = tuple(data.draw(st.lists(st.integers(1, 6), min_size=k, max_size=k)))
    stride = 2 ** (k + 2)
    resolution = (stride * scale[0], stride * scale[1])
    config = api.resolve_config(
        "ndnet", widths=widths, depths=depths, expansion=expansion, classes=classes, head=head,
        transition=transition, resolution=resolution,
    )
    family = get_family("ndnet")
    formulas = api.formulas("ndnet", **config)
    total = api.cost("ndnet", **config).total
    for field in FORMULA_FIELDS:
        assert substitute(formulas[field], family, config) == getattr(total.cost, field), field
    assert substitute(formulas["layers"], family, config) == total.layers
