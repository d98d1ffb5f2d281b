"""Importing any nn.Module with torch.fx: known calls mapped to archscope ops, unknown
ones listed, shared modules counted once, bad input rejected in one line."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archscope import api
from archscope.check import cross_check
from archscope.cli import main
from archscope.imports import ModuleImportError, from_module, load_factory, parse_input_shape

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Zoo(nn.Module):
    """Known calls in module and functional form, a shared conv, a three-term sum,
    indices and unpooling, slices, chunks, padding, dropout and three unknown calls."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.shared = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.act = nn.LocalResponseNorm(2)
        self.drop = nn.Dropout2d(0.1)
        self.head = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        a = self.shared(x)
        b = self.shared(a)
        x = F.relu(x + a + b)
        y, indices = self.pool(x)
        x = F.max_unpool2d(self.drop(y), indices, 2, output_size=(16, 16))  # torch.jit needs ints
        left = torch.chunk(x, 2, dim=1)[0]
        x = F.pad(torch.cat([left, x[:, 4:]], 1), (0, 0, 0, 0, 0, 8))
        x = torch.cumsum(self.act(x[:, :8]), 1) * 2
        x = torch.flip(x, [3])
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def zoo() -> nn.Module:
    return Zoo()


def not_a_module() -> int:
    return 3


def broken() -> nn.Module:
    raise RuntimeError("no weights\nsecond line")


class Branching(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.sum() > 0 else -x


def branching() -> nn.Module:
    return Branching()


class Failing(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom")


def failing() -> nn.Module:
    return Failing()


@pytest.fixture(scope="module")
def zoo_report():
    module = Zoo()
    return module, api.cost(from_module(module, (2, 3, 32, 32)))


def test_unknown_calls_are_listed_not_costed(zoo_report):
    _, report = zoo_report
    assert report.unknown_ops == {"LocalResponseNorm": 1, "cumsum": 1, "flip": 1}
    assert report.summary()["unknown_ops"] == report.unknown_ops
    # the known ops after them are still costed: the head's linear layer
    head = [r for r in report.records if r.kind == "linear"]
    assert len(head) == 1 and head[0].total.macs == 2 * 8 * 5


def test_known_calls_map_to_archscope_ops(zoo_report):
    _, report = zoo_report
    kinds = [r.kind for r in report.records]
    for kind in ("max_unpool", "slice", "channel_pad", "dropout", "concat", "adaptive_avgpool", "linear"):
        assert kind in kinds, kind
    sums = [r for r in report.records if r.kind == "add"]
    assert len(sums) == 1 and len(report.network.sources(sums[0].node)) == 3  # x + a + b is one sum
    net = report.network
    unpool = next(r.node for r in report.records if r.kind == "max_unpool")
    pool = net.ports(unpool)[1]
    assert pool.index == 1 and net.op(pool.node).return_indices


def test_shared_module_counts_once(zoo_report):
    module, report = zoo_report
    shared = [r for r in report.records if report.network.shares(r.node)]
    assert len(shared) == 1 and shared[0].total.params == 0 and shared[0].total.macs > 0
    assert report.total.all_params == sum(p.numel() for p in module.parameters())


def test_cross_check_runs_the_users_module(zoo_report):
    module, report = zoo_report
    checks = cross_check(report, model=module)
    for tool in ("fvcore", "ptflops_aten", "torch_params"):
        assert checks[tool].diff == 0, (tool, checks[tool].as_dict())
    assert "LocalResponseNorm x1" in checks["fvcore"].note


def test_blocks_are_top_level_submodules():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), nn.Sequential(nn.Conv2d(4, 4, 1)))
    report = api.cost(from_module(model, (1, 3, 16, 16)))
    assert [b.name for b in report.blocks] == ["0", "1"]
    assert report.total.layers == 2


def test_training_mode_is_restored():
    module = Zoo().train()
    from_module(module, (1, 3, 32, 32))
    assert module.training


@pytest.mark.parametrize(
    "make, shape, message",
    [
        (Zoo, (1, 4, 32, 32), "rejects an input of shape 1x4x32x32"),
        (Zoo, (1, 3, 32), "4 positive sizes"),
        (Failing, (1, 3, 8, 8), "Failing rejects an input of shape 1x3x8x8: RuntimeError: boom"),
    ],
)
def test_bad_modules_and_shapes(make, shape, message):
    with pytest.raises(ModuleImportError, match=message) as error:
        from_module(make(), shape)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no_such_package.mod:f", "cannot import no_such_package.mod:f"),
        ("tests.imports.test_fx_import:missing", "cannot import"),
        ("tests.imports.test_fx_import:broken", r"broken\(\) raised RuntimeError: no weights$"),
        ("tests.imports.test_fx_import:not_a_module", "returned a int, not a torch.nn.Module"),
        ("no_colon", "package.module:factory"),
    ],
)
def test_bad_factories(spec, message):
    with pytest.raises(ModuleImportError, match=message):
        load_factory(spec)


def test_input_shape_parsing():
    assert parse_input_shape("1x3x512x1024") == (1, 3, 512, 1024)
    for bad in ("1x3x512", "1x3x0x4", "axbxcxd"):
        with pytest.raises(ModuleImportError):
            parse_input_shape(bad)


def run(capsys, *args):
    code = main(["cost", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_module_json_and_table(capsys):
    code, out, _ = run(capsys, "--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x32x32", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["unknown_ops"] == {"LocalResponseNorm": 1, "cumsum": 1, "flip": 1}
    assert data["params"] + data["norm_params"] == sum(p.numel() for p in Zoo().parameters())
    code, out, _ = run(capsys, "--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x32x32", "--check")
    assert code == 0
    assert "not counted" in out and "LocalResponseNorm x1" in out and "cross-check" in out


def test_cli_module_latency_on_a_device_equals_the_api(capsys):
    code, out, _ = run(capsys, "--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x32x32", "--device", "titanx",
                       "--format", "json")
    assert code == 0
    data = json.loads(out)
    report = api.cost(api.from_module(Zoo(), (1, 3, 32, 32)))
    assert data["latency_ms"] == pytest.approx(api.latency(report, "titanx").latency_ms)
    assert data["fps"] == pytest.approx(1e3 / data["latency_ms"])
    code, out, _ = run(capsys, "--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x32x32", "--device", "titanx")
    assert code == 0 and "titanx" in out


@pytest.mark.parametrize(
    "args, names",
    [
        (["--module", "no_such_package.mod:f", "--input", "1x3x8x8"], "no_such_package"),
        (["--module", "tests.imports.test_fx_import:broken", "--input", "1x3x8x8"], "no weights"),
        (["--module", "tests.imports.test_fx_import:zoo", "--input", "1x5x8x8"], "1x5x8x8"),
        (["--module", "tests.imports.test_fx_import:failing", "--input", "1x3x8x8"], "boom"),
        (["--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x8"], "1x3x8"),
        (["--module", "tests.imports.test_fx_import:zoo"], "--input"),
        (["--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x8x8", "enet"], "enet"),
        (["--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x32x32", "--device", "nosuch"], "nosuch"),
        (["--device", "titanx", "ndnet"], "after the family name"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, args, names):
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archscope: error:") and names in lines[0], err
    assert out == ""


def test_a_module_fx_cannot_trace_is_recorded_as_it_runs():
    network = from_module(Branching(), (1, 3, 8, 8))
    assert network.imported.path == "eager" and network.imported.engine == "real"  # it looks at values
    assert api.cost(network).unknown_ops == {}


def test_the_console_script_imports_modules_from_the_current_folder(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "mymodel.py").write_text(
        "from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())\n")
    script = Path(sys.executable).with_name("archscope")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from archscope.cli import entry; entry()"]
    result = subprocess.run([*command, "cost", "--module", "mymodel:build", "--input", "1x3x8x8", "--format", "json"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["macs"] == 4 * 6 * 6 * 3 * 9


def test_bench_times_a_users_module_next_to_its_prediction(capsys):
    code = main(["bench", "--module", "tests.imports.test_fx_import:zoo", "--input", "1x3x32x32", "--device", "titanx",
                 "--rounds", "3", "--warmup", "1", "--no-malloc-tuning", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["module"] == "tests.imports.test_fx_import:zoo" and data["measured_ms"] > 0
    assert set(data) >= {"family", "config", "device", "predicted_ms", "measured_ms", "error_pct", "measurement"}
    assert main(["bench", "--module", "tests.imports.test_fx_import:zoo"]) == 2  # no --input


class MyConv(nn.Conv2d):
    """A user's subclass (not torch.nn's own type): traced through to F.conv2d."""


class Functional(nn.Module):
    """Layers written as functions of parameters the module holds."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 3, 3, 3))
        self.bias = nn.Parameter(torch.zeros(8))
        self.gamma, self.beta = nn.Parameter(torch.ones(8)), nn.Parameter(torch.zeros(8))
        self.register_buffer("mean", torch.zeros(8))
        self.register_buffer("var", torch.ones(8))
        self.conv = MyConv(8, 8, 3, padding=1)
        self.fc = nn.Parameter(torch.randn(5, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight, self.bias, padding=1)
        x = F.relu(F.batch_norm(x, self.mean, self.var, self.gamma, self.beta, training=False))
        x = self.conv(x)
        return F.linear(x.mean((2, 3)), self.fc)


def functional() -> nn.Module:
    return Functional()


@pytest.mark.parametrize("path", ["fx", "eager"])
def test_layers_written_as_functions_are_costed(path):
    network = from_module(Functional(), (2, 3, 16, 16), path=path)
    report = api.cost(network)
    assert report.unknown_ops == {}
    kinds = [r.kind for r in report.records]
    assert kinds.count("conv") == 2 and "batch_norm" in kinds and "linear" in kinds
    assert report.total.cost.macs == 2 * 16 * 16 * 8 * (3 * 9 + 8 * 9) + 2 * 8 * 5
    assert report.total.all_params == sum(p.numel() for p in Functional().parameters())
    checks = cross_check(report, model=Functional())
    assert all(c.diff == 0 for c in checks.values()), {k: c.as_dict() for k, c in checks.items()}
