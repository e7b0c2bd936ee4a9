"""The grader's modules point one way, as its package docstring lists them, and none of them
imports the book's package (``backproplab``): what the grader needs of the book is named in
``nbgrader_config.py``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import backproplab_grader

PACKAGE = Path(backproplab_grader.__file__).parent


def order() -> list[str]:
    """The modules the package docstring's list names, in its order."""
    names = []
    for line in backproplab_grader.__doc__.splitlines():
        names += re.findall(r"``(\w+)``", line) if line.startswith("- ") else []
    return [n for n in dict.fromkeys(names) if (PACKAGE / f"{n}.py").exists()]


def imports(module: str) -> set[str]:
    """Every module this one imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "backproplab_grader":
                found |= {f"backproplab_grader.{alias.name}" for alias in node.names}
    return found


def test_the_package_docstring_lists_every_module():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert set(order()) == modules


def test_each_module_imports_only_modules_listed_before_it():
    listed = order()
    for position, module in enumerate(listed):
        own = {name.split(".")[1] for name in imports(module)
               if name.startswith("backproplab_grader.")}
        later = own - set(listed[:position])
        assert not later, f"{module} imports {sorted(later)}, listed after it (or itself)"


def test_no_module_imports_the_book():
    for path in sorted(PACKAGE.glob("*.py")):
        book = {name for name in imports(path.stem) if name.split(".")[0] == "backproplab"}
        assert not book, f"{path.name} imports {sorted(book)}; name it in nbgrader_config.py"
