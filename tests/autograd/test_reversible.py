"""Reversible couplings: the graph marks, the autograd function (gradients equal to the
plain block's, gradcheck in float64, BN running statistics updated once) and the memory
kept for backward (flat in the depth of a stack, measured and predicted)."""

import pytest
import torch

from archscope import api
from archscope.families.vnet import v_module
from archscope.graph import GraphBuilder
from archscope.autograd.saved import saved_activation_bytes
from archscope.autograd.couplings import (
    Coupling,
    branch_nodes,
    check_coupling,
    mark_reversible,
    reversible_stacks,
)
from archscope.memory.measure import forward_saved_bytes
from archscope.ops import Activation, Add, BatchNorm2d, Concat, Conv2d, Dropout, Shape, Slice
from archscope.torch_module import to_torch


def stack_network(depth, *, channels=8, size=8, batch=2, reversible=True, f2=False, ends=True):
    """stem conv, BN, ReLU -> ``depth`` V modules (or couplings with F2 = conv + BN) ->
    1x1 classifier; without ``ends`` the stack alone on a ``channels``-channel input."""
    b = GraphBuilder("stack")
    x = b.input(Shape(batch, 3 if ends else channels, size, size))
    couplings = []
    if ends:
        with b.block("stem"):
            x = b.add(Conv2d(out_channels=channels), x, name="conv")
            x = b.add(BatchNorm2d(), x, name="bn")
            x = b.add(Activation(), x, name="relu")
    with b.block("stack"):
        for i in range(depth):
            with b.scope(f"v{i}"):
                x = coupling_with_f2(b, x, couplings) if f2 else v_module(b, x, couplings=couplings)
    if ends:
        with b.block("head"):
            x = b.add(Conv2d(out_channels=4, kernel_size=1, bias=True), x, name="classifier")
    network = b.build([x])
    return mark_reversible(network, couplings) if reversible else network


def coupling_with_f2(b, x, couplings):
    """Y1 = X1 + F1(X2), Y2 = X2 + F2(Y1) with F1 = conv, BN, ReLU and F2 = conv, BN."""
    half = b.shape(x).c // 2
    x1 = b.add(Slice(start=0, stop=half), x, name="x1")
    x2 = b.add(Slice(start=half, stop=2 * half), x, name="x2")
    f = b.add(Activation(), b.add(BatchNorm2d(), b.add(Conv2d(out_channels=half), x2, name="f1"), name="f1_bn"),
              name="f1_relu")
    y1 = b.add(Add(), x1, f, name="y1")
    g = b.add(BatchNorm2d(), b.add(Conv2d(out_channels=half), y1, name="f2"), name="f2_bn")
    y2 = b.add(Add(), x2, g, name="y2")
    y = b.add(Concat(), y1, y2, name="y")
    couplings.append(Coupling(input=x, x1=x1, x2=x2, f1_output=f, y1=y1, y2=y2, output=y, f2_output=g))
    return y


def twin_modules(network_of):
    """The reversible and the plain module of a network, float64, same weights."""
    torch.manual_seed(0)
    reversible = to_torch(network_of(True)).double()
    plain = to_torch(network_of(False)).double()
    plain.load_state_dict(reversible.state_dict())
    return reversible, plain


def graph_ops(output):
    """Names of the autograd nodes behind ``output``."""
    seen, todo, names = set(), [output.grad_fn], []
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.append(node.name())
        todo.extend(fn for fn, _ in node.next_functions)
    return names


def assert_grads_equal(a, b):
    scale = max(p.grad.abs().max().item() for p in b.parameters())
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.allclose(p.grad, q.grad, rtol=1e-9, atol=1e-12 * scale), name


@pytest.mark.parametrize("f2", [False, True])
def test_outputs_gradients_and_running_stats_equal_the_plain_block(f2):
    reversible, plain = twin_modules(lambda rev: stack_network(3, reversible=rev, f2=f2))
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    inputs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
    outputs = [m(i) for m, i in zip((reversible, plain), inputs)]
    assert torch.equal(outputs[0], outputs[1])  # the same layers run in the same order
    # ... but not into the same autograd graph
    assert [graph_ops(out).count("_ReversibleStackFunctionBackward") for out in outputs] == [1, 0]
    for out in outputs:
        (out**2).sum().backward()
    assert torch.allclose(inputs[0].grad, inputs[1].grad, rtol=1e-9, atol=1e-12)
    assert_grads_equal(reversible, plain)
    # BN running statistics: updated once by the forward, not again by the recomputation
    for (name, a), b in zip(reversible.state_dict().items(), plain.state_dict().values()):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-15), name


@pytest.mark.parametrize("f2", [False, True])
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_in_double_precision(f2, training):
    torch.manual_seed(1)
    module = to_torch(stack_network(2, channels=4, size=4, f2=f2, ends=False)).double().train(training)
    for bn in module.modules():  # BN away from its initial identity: no ReLU input sits at a kink
        if isinstance(bn, torch.nn.BatchNorm2d):
            bn.running_mean.normal_(0, 0.2), bn.running_var.uniform_(0.5, 1.5)
            bn.weight.data.uniform_(0.5, 1.5), bn.bias.data.normal_(0, 0.2)
    params = list(module.parameters())
    x = torch.randn(2, 4, 4, 4, dtype=torch.float64, requires_grad=True)
    # the parameters are the module's own tensors: gradcheck perturbs them in place
    assert torch.autograd.gradcheck(lambda x, *p: module(x), (x, *params), eps=1e-6, atol=1e-5)


def test_vnet_gradients_equal_the_plain_network():
    config = dict(widths=(8, 16, 32), depths=(2, 3), resolution=(64, 64), batch=2, cpp_channels=8)
    reversible, plain = twin_modules(lambda rev: api.build("vnet", reversible=rev, **config))
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    for module in (reversible, plain):
        torch.nn.functional.cross_entropy(module(x), torch.zeros(2, 64, 64, dtype=torch.long)).backward()
    assert_grads_equal(reversible, plain)


def test_amp_recomputes_under_the_forwards_autocast():
    config = dict(widths=(8, 16, 32), depths=(1, 2), resolution=(48, 48), batch=2, cpp_channels=8)
    reversible, plain = twin_modules(lambda rev: api.build("vnet", reversible=rev, **config))
    reversible, plain = reversible.float(), plain.float()
    x = torch.randn(2, 3, 48, 48)
    for module in (reversible, plain):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = module(x)
        out.float().square().mean().backward()
    for p, q in zip(reversible.parameters(), plain.parameters()):
        assert torch.allclose(p.grad, q.grad, rtol=0.05, atol=0.05 * q.grad.abs().max().item())


def test_saved_memory_is_flat_in_the_depth_of_a_stack():
    measured, predicted = {}, {}
    for reversible in (True, False):
        for depth in (1, 2, 4, 8):
            network = stack_network(depth, channels=16, size=16, reversible=reversible)
            torch.manual_seed(0)
            measured[reversible, depth] = forward_saved_bytes(to_torch(network), torch.randn(2, 3, 16, 16))
            predicted[reversible, depth] = saved_activation_bytes(network)
    assert len({measured[True, d] for d in (1, 2, 4, 8)}) == 1
    assert len({predicted[True, d] for d in (1, 2, 4, 8)}) == 1
    plain = [measured[False, d] for d in (1, 2, 4, 8)]
    assert plain == sorted(plain) and plain[-1] > 4 * measured[True, 8]
    for key, value in measured.items():
        assert predicted[key] == pytest.approx(value, rel=0.10), key


def test_no_grad_runs_the_plain_ops():
    module = to_torch(stack_network(2))
    with torch.no_grad():
        assert module(torch.randn(2, 3, 8, 8)).grad_fn is None


def test_stacks_and_plain_vnet():
    net = api.build("vnet", resolution=(64, 128))
    assert [len(s.couplings) for s in reversible_stacks(net)] == [3, 4]
    assert reversible_stacks(api.build("vnet", resolution=(64, 128), reversible=False)) == ()


def test_a_graph_that_is_not_a_coupling_is_refused():
    b = GraphBuilder("bad")
    x = b.input(Shape(1, 8, 8, 8))
    couplings = []
    with b.block("v"):
        v_module(b, x, couplings=couplings)
    network = b.build()
    good = couplings[0]
    check_coupling(network, good)
    with pytest.raises(ValueError, match="is not the sum of"):
        check_coupling(network, Coupling(**{**good.__dict__, "y1": good.y2, "y2": good.y1}))
    assert len(branch_nodes(network, good.x2, good.f1_output)) == 6  # conv, BN, ReLU twice
    with pytest.raises(ValueError, match="v.z reads input.input, not only v.x2"):
        branch_nodes(network, good.x2, good.y1)  # Y1 reads X1 too

    b = GraphBuilder("dropout")
    x = b.input(Shape(1, 8, 8, 8))
    with b.block("v"):
        x1 = b.add(Slice(start=0, stop=4), x, name="x1")
        x2 = b.add(Slice(start=4, stop=8), x, name="x2")
        f = b.add(Dropout(p=0.1), b.add(Conv2d(out_channels=4), x2, name="f"), name="drop")
        y1 = b.add(Add(), x1, f, name="y1")
        y2 = b.add(Add(), x2, y1, name="y2")
        y = b.add(Concat(), y1, y2, name="y")
    with pytest.raises(ValueError, match="dropout"):
        mark_reversible(b.build(), [Coupling(input=x, x1=x1, x2=x2, f1_output=f, y1=y1, y2=y2, output=y)])
