"""The layering of the packages: no private name imported across modules, no import cycles.

Read from the sources with ``ast`` (nothing is imported): every module of ``src/backproplab``
and, where it exists, of the grader's ``grader/src``. Imports inside functions count too (a
function-level import was how ``mlp`` and ``optimizers`` used to import each other).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for path in (ROOT / "src", ROOT / "grader" / "src") if path.is_dir()]
PACKAGES = ("backproplab", "backproplab_grader")


def modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of our packages."""
    found = {}
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            parts = path.relative_to(source).with_suffix("").parts
            if parts[0] not in PACKAGES:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = modules()


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The module an ``from ... import`` names, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str):
    """``(line, imported module, names)`` for every import of ``module`` that reaches one of
    our modules; ``names`` are the names a ``from`` import takes (empty for ``import x``)."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:  # from package import module
                    yield node.lineno, submodule, ()
                elif target in MODULES:
                    yield node.lineno, target, (alias.name,)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_the_packages_are_found():
    assert "backproplab.mlp" in MODULES and "backproplab.training" in MODULES


def test_no_private_name_is_imported_from_another_module():
    offences = [f"{MODULES[module].relative_to(ROOT)}:{line}: from {target} import {name}"
                for module in MODULES for line, target, names in imports(module)
                for name in names if _private(name) and target != module]
    assert not offences, ("private names imported across modules (make them public in a "
                          "shared module below both, such as backproplab.validation):\n"
                          + "\n".join(offences))


def _graph() -> dict[str, set[str]]:
    return {module: {target for _, target, _ in imports(module) if target != module}
            for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles():
    cycles = _cycles(_graph())
    assert not cycles, "modules that import each other (directly or through others): " + \
        "; ".join(" ↔ ".join(c) for c in cycles)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert _cycles(graph) == expected


def test_the_private_import_check_sees_relative_and_function_level_imports():
    tree = "def f():\n    from .mlp import _hidden\n"
    node = next(n for n in ast.walk(ast.parse(tree)) if isinstance(n, ast.ImportFrom))
    assert _absolute("backproplab.optimizers", node) == "backproplab.mlp"
    assert _private("_hidden") and not _private("__version__")


def test_the_package_docstring_names_every_module():
    import backproplab

    names = {module.split(".")[1] for module in MODULES
             if module.startswith("backproplab.") and not module.split(".")[1].startswith("_")}
    missing = sorted(name for name in names if f"``{name}``" not in backproplab.__doc__)
    assert not missing, f"backproplab/__init__.py's docstring does not name {missing}"
