"""Importing a user's module: find it, read it (torch.fx, else eager recording), and
turn every failure into one line (``ModuleImportError``)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Sequence

import torch
from torch import nn

from archscope.graph import Network
from archscope.imports import eager_front, fx_front
from archscope.imports.importer import ROOT, ModuleImportError

PATHS = ("auto", "fx", "eager")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class _Root(nn.Module):
    """Calls the user's module with one positional tensor, so that its own ``*args`` and
    defaults are concrete while it is read."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        setattr(self, ROOT, module)

    def forward(self, x: torch.Tensor) -> Any:
        return getattr(self, ROOT)(x)


def load_factory(spec: str) -> nn.Module:
    """``"package.module:factory"`` -> ``factory()``, which must return an ``nn.Module``.
    The current folder is searched first, as ``python -m`` does."""
    path, _, attribute = spec.partition(":")
    if not path or not attribute:
        raise ModuleImportError(f"{spec!r} is not package.module:factory")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(path), attribute)
    except (ImportError, AttributeError) as error:
        raise ModuleImportError(f"cannot import {spec}: {_first_line(error)}") from None
    except Exception as error:  # the user's module failing as it is imported
        raise ModuleImportError(f"importing {path} raised {_first_line(error)}") from None
    try:
        module = factory()
    except Exception as error:  # the user's code: any failure is a bad input
        raise ModuleImportError(f"{spec}() raised {_first_line(error)}") from None
    if not isinstance(module, nn.Module):
        raise ModuleImportError(f"{spec}() returned a {type(module).__name__}, not a torch.nn.Module")
    return module


def from_module(module: nn.Module, input_shape: Sequence[int], *, name: str | None = None,
                path: str = "auto") -> Network:
    """The archscope network of ``module`` applied to one input of ``input_shape``
    (N, C, H, W), read with torch.fx (``path="fx"``), by recording what runs
    (``"eager"``), or with torch.fx when it can trace the module and by recording
    otherwise (``"auto"``). Raises ``ModuleImportError`` with a one-line message."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 4 or min(shape) < 1:
        raise ModuleImportError(f"the input shape must be 4 positive sizes NxCxHxW, got {'x'.join(map(str, shape))}")
    if path not in PATHS:
        raise ModuleImportError(f"unknown import path {path!r} (known: {', '.join(PATHS)})")
    label = name or type(module).__name__
    modes = {m: m.training for m in nn.Module.modules(module)}  # a module may shadow .modules
    nn.Module.train(module, False)
    try:
        return _read(_Root(module), shape, label, path)
    finally:
        for submodule, training in modes.items():
            submodule.training = training


def _read(root: _Root, shape: tuple[int, ...], name: str, path: str) -> Network:
    fx_error = None
    if path in ("auto", "fx"):
        try:
            traced = fx_front.trace(root)
        except Exception as error:
            fx_error = f"torch.fx cannot trace {name}: {_first_line(error)}"
        else:
            try:
                return fx_front.importer(root, traced, shape, name).run()
            except ModuleImportError:
                raise
            except Exception as error:
                fx_error = f"{name} rejects an input of shape {'x'.join(map(str, shape))}: {_first_line(error)}"
        if path == "fx":
            raise ModuleImportError(fx_error)
    try:
        return eager_front.importer(root, shape, name).run()
    except ModuleImportError:
        raise
    except Exception as error:
        raise ModuleImportError(f"{name} rejects an input of shape {'x'.join(map(str, shape))}: "
                                f"{_first_line(error)}") from None


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``"1x3x512x1024"`` -> ``(1, 3, 512, 1024)``."""
    try:
        shape = tuple(int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise ModuleImportError(f"{text!r} is not an input shape NxCxHxW (e.g. 1x3x512x1024)") from None
    if len(shape) != 4 or min(shape) < 1:
        raise ModuleImportError(f"{text!r} is not an input shape NxCxHxW (e.g. 1x3x512x1024)")
    return shape
