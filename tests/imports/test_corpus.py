"""The corpus of small modules written in the styles real repositories use
(tests/module_corpus/, one per pattern, each with hand-computed params and MACs):
every one is read exactly, with no unknown op, its dead work and unused parameters
found; recording what runs gives the torch.fx network; and ``cost --module --check``
agrees with every cross-check tool that can run the module."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections import Counter

import pytest

import tests.module_corpus as corpus
from archscope.cli import main
from archscope.costs import analyze
from archscope.imports import from_module

CORPUS = sorted(m.name for m in pkgutil.iter_modules(corpus.__path__)
                if hasattr(importlib.import_module(f"tests.module_corpus.{m.name}"), "build"))
#: modules torch.fx cannot trace (read by recording what runs)
UNTRACEABLE = {"enet_style", "shadow_modules", "untraceable", "untraceable_branch", "untraceable_loop",
               "untraceable_zeros"}
#: (module, tool) whose tool fails on the module (tests/module_corpus/TOOLS.md says why)
TOOL_FAILURES = {("enet_style", "fvcore"), ("pad_unpool", "fvcore"), ("shadow_modules", "fvcore")}


def _load(name: str):
    return importlib.import_module(f"tests.module_corpus.{name}")


def test_the_corpus_covers_the_patterns():
    assert len(CORPUS) >= 20 and UNTRACEABLE <= set(CORPUS)


@pytest.mark.parametrize("name", CORPUS)
def test_every_module_is_read_exactly(name):
    module = _load(name)
    network = from_module(module.build(), module.INPUT)
    report = analyze(network)
    assert report.unknown_ops == {}
    layers = [r for r in report.records if network.op(r.node).counts_as_layer]
    assert sum(int(r.total.macs) for r in layers) == module.CONV_LINEAR_MACS
    assert sum(int(r.total.macs) for r in layers if r.node not in network.dead) == module.LIVE_MACS
    imported = network.imported
    assert dict(imported.unused_parameters) == module.UNUSED_PARAMS
    torch_params = int(report.total.all_params) + sum(imported.unused_parameters.values())
    assert torch_params - imported.unregistered_parameters == module.PARAMS
    assert imported.path == ("eager" if name in UNTRACEABLE else "fx")


def test_dead_work_is_found():
    module = _load("dead_branch")
    report = analyze(from_module(module.build(), module.INPUT))
    assert report.dead_ops.macs == module.DEAD_MACS and report.dead_ops.line().startswith("computed but unused: 1,269,760")
    assert report.summary()["dead_ops"]["count"] == len(report.dead_ops.nodes) > 0


@pytest.mark.parametrize("name", sorted(set(CORPUS) - UNTRACEABLE))
def test_recording_what_runs_gives_the_fx_network(name):
    module = _load(name)
    model = module.build()
    traced, recorded = from_module(model, module.INPUT, path="fx"), from_module(model, module.INPUT, path="eager")
    assert recorded.imported.path == "eager"
    a, b = analyze(traced), analyze(recorded)
    assert a.total == b.total and a.blocks == b.blocks
    # the same ops, called the same way (an item of a chunk may come later in a recording)
    ops = [Counter((r.kind, r.label, r.cost, n.call(r.node)) for r in report.records)
           for n, report in ((traced, a), (recorded, b))]
    assert ops[0] == ops[1]
    assert a.dead_ops.macs == b.dead_ops.macs and traced.imported.unused_parameters == recorded.imported.unused_parameters


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS)
def test_cost_module_check_agrees_with_every_tool(name, capsys):
    shape = "x".join(map(str, _load(name).INPUT))
    code = main(["cost", "--module", f"tests.module_corpus.{name}:build", "--input", shape, "--check", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["unknown_ops"] == {}
    failed = set()
    for tool, row in data["check"].items():
        if row["theirs"] is None:
            failed.add((name, tool))
            assert row["error"] and row["diff"] is None
        else:
            assert row["diff"] == 0, (tool, row)
    assert failed == {f for f in TOOL_FAILURES if f[0] == name}
