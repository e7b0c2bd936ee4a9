"""The book's package stands without the grader: importing and running it loads neither
``backproplab_grader`` nor nbgrader, and its distribution does not depend on them."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Modules with optional dependencies of their own (Sphinx and myst-nb for the site's
# extensions sphinxext and sphinx_*, ipywidgets, matplotlib).
OPTIONAL = ("backproplab.sphinxext", "backproplab.sphinx_", "backproplab.widgets",
            "backproplab.plotting")

PROBE = r"""
import importlib, json, pkgutil, sys
import backproplab
names = sorted(m.name for m in pkgutil.walk_packages(backproplab.__path__, "backproplab.")
               if not m.name.startswith(OPTIONAL))
for name in names:
    importlib.import_module(name)
from backproplab.autograd import neuron_loss
from backproplab.checks import call_without_reference
J = neuron_loss()
J.backward()
assert call_without_reference(lambda v: v * 2, J.data,
                              reference={"backproplab.autograd": ("topological_order",)}) == 2 * J.data
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_every_book_module_imports_and_runs_without_the_grader(tmp_path):
    code = f"OPTIONAL = {OPTIONAL!r}\n" + PROBE
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "backproplab.autograd" in report["imported"] and "backproplab.checks" in report["imported"]
    grader = [m for m in report["loaded"]
              if m.split(".")[0] in ("backproplab_grader", "nbgrader", "nbconvert",
                                     "jupyter_client", "zmq")]
    assert grader == [], f"importing the book's package loaded the grader's stack: {grader}"


def test_the_book_distribution_does_not_depend_on_nbgrader():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    named = [r for r in requirements if any(word in r.lower() for word in
                                            ("nbgrader", "backproplab-grader", "jupyter"))]
    assert named == [], f"backproplab's pyproject.toml depends on the grader's stack: {named}"


def test_no_module_of_the_book_names_the_grader():
    mentions = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "src" / "backproplab")
                                                                .rglob("*.py"))
                if "import backproplab_grader" in path.read_text()
                or "from backproplab_grader" in path.read_text()]
    assert mentions == [], f"these modules import the grader: {mentions}"
