"""Every reference implementation a homework forbids exists in the package: after a rename
(``optimizers.train_with`` became ``training.train``) ``call_without_reference`` would
otherwise skip the old name and let an answer that calls the new one through."""

from __future__ import annotations

import importlib
import re

import nbformat
import pytest
from repo_tools import ROOT  # tests/ is on sys.path (pyproject: pythonpath)

from backproplab.checks import REFERENCE_IMPLEMENTATIONS

NOTEBOOKS = sorted((ROOT / "solutions").glob("hw*/*.ipynb"))
REFERENCE = re.compile(r'"(backproplab[\w.]*)":\s*\(([^)]*)\)')


def forbidden_names(path):
    source = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
    return [(module, name) for module, names in REFERENCE.findall(source)
            for name in re.findall(r'"(\w+)"', names)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_forbidden_references_exist(path):
    missing = [f"{module}.{name}" for module, name in forbidden_names(path)
               if not hasattr(importlib.import_module(module), name)]
    assert not missing, f"{path.name} forbids names the package does not have: {missing}"


def test_default_references_exist():
    missing = [f"{module}.{name}" for module, names in REFERENCE_IMPLEMENTATIONS.items()
               for name in names if not hasattr(importlib.import_module(module), name)]
    assert not missing, f"REFERENCE_IMPLEMENTATIONS names what the package lacks: {missing}"


def test_hw04_forbids_the_training_loop():
    names = forbidden_names(ROOT / "solutions" / "hw04" / "hw04-gradient-descent.ipynb")
    assert ("backproplab.training", "train") in names
    assert ("backproplab.optimizers", "sgd_step") in names
