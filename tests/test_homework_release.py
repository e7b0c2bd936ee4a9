"""The homework release: ``exercises/`` is generated from ``solutions/`` and gives nothing away.

- ``exercises/`` is what ``make exercises`` (nbgrader generate_assignment, then the
  translated releases ``exercises/hwNN-<lang>``) makes today;
- no solution line, hidden-test line or block marker reaches ``exercises/``;
- the instructor notebook runs without error, so the hidden tests pass on the solution;
- the untouched release runs and fails honestly: answer cells raise only
  ``NotImplementedError`` and every test cell fails.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from backproplab_grader.course import RELEASE_DIRECTORY, SOURCE_DIRECTORY, assignments, release

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOKS = sorted((ROOT / SOURCE_DIRECTORY).glob("*/*.ipynb"))
RELEASED_NOTEBOOKS = sorted((ROOT / RELEASE_DIRECTORY).glob("*/*.ipynb"))
MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"]
# What nbgrader does not copy (its CourseDirectory.ignore) and an editor may leave behind.
IGNORED = {".ipynb_checkpoints", "__pycache__", "feedback"}
TIMEOUT = 120


def released_files(directory: Path) -> set[str]:
    """The files under ``directory``, relative to it, without editor and Python caches."""
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")
            if p.is_file() and not IGNORED & set(p.relative_to(directory).parts)
            and p.suffix != ".pyc"}


def run(path: Path, *, allow_errors: bool) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in a fresh kernel, in its own folder."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def errors(cell) -> list[str]:
    """The names of the exceptions a code cell raised (``ename`` of its error outputs)."""
    return [out.ename for out in cell.get("outputs", []) if out.output_type == "error"]


def role(cell) -> str:
    """``answer``, ``test`` or ``given``: what an nbgrader code cell is for."""
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("solution"):
        return "answer"
    return "test" if meta.get("grade") else "given"


def test_there_is_homework():
    assert SOLUTION_NOTEBOOKS, f"no notebooks in {ROOT / SOURCE_DIRECTORY}"
    assert RELEASED_NOTEBOOKS, f"no notebooks in {ROOT / RELEASE_DIRECTORY}; run `make exercises`"


def test_exercises_are_fresh(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / SOURCE_DIRECTORY, tmp_path / SOURCE_DIRECTORY,
                    ignore=shutil.ignore_patterns(*IGNORED, "*.pyc"))
    # The translated releases (exercises/hwNN-id) read the pages' catalogues too.
    shutil.copytree(ROOT / "locales", tmp_path / "locales",
                    ignore=shutil.ignore_patterns("*.mo"))
    release(tmp_path, assignments(tmp_path))

    fresh, committed = tmp_path / RELEASE_DIRECTORY, ROOT / RELEASE_DIRECTORY
    assert released_files(committed) == released_files(fresh), (
        f"{RELEASE_DIRECTORY}/ does not hold the files that releasing {SOURCE_DIRECTORY}/ "
        "gives (missing or extra files above); run `make exercises` and commit the result.")
    for name in sorted(released_files(fresh)):
        if name.endswith(".ipynb"):
            same = (json.loads((committed / name).read_text(encoding="utf-8"))
                    == json.loads((fresh / name).read_text(encoding="utf-8")))
        else:
            same = (committed / name).read_bytes() == (fresh / name).read_bytes()
        assert same, (f"{RELEASE_DIRECTORY}/{name} is stale: it differs from what "
                      f"{SOURCE_DIRECTORY}/ releases now; run `make exercises` and commit it.")


def test_every_source_notebook_has_secrets(homework_secrets):
    """Guards the leak test below against passing because it looks for nothing."""
    with_blocks = {s.notebook for s in homework_secrets}
    for path in SOLUTION_NOTEBOOKS:
        if "### BEGIN SOLUTION" in path.read_text(encoding="utf-8"):
            assert path.relative_to(ROOT).as_posix() in with_blocks


@pytest.mark.parametrize("path", RELEASED_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_exercises_leak_no_solution_or_hidden_test(path, homework_secrets, leaks_in):
    text = path.read_text(encoding="utf-8")
    leaked = leaks_in(text, homework_secrets)
    assert not leaked, (f"{path.relative_to(ROOT)} contains lines of the solutions or hidden "
                        "tests:\n" + "\n".join(map(str, leaked)))
    for marker in MARKERS:
        assert marker not in text, f"{path.relative_to(ROOT)} contains the marker {marker!r}"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_solution_passes_all_tests(path):
    run(path, allow_errors=False)  # raises CellExecutionError, with the cell, on any error


@pytest.mark.parametrize("path", RELEASED_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_untouched_exercise_runs_and_fails_honestly(path):
    nb = run(path, allow_errors=True)
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    raised = {}
    for cell in cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        raised[grade_id] = errors(cell)
        if role(cell) == "given" and "STUDENT_ID" in cell.source:
            # The student's variant: it cannot be drawn before STUDENT_ID is set.
            assert set(raised[grade_id]) <= {"NameError"}, (
                f"cell {grade_id} raises {raised[grade_id]} before STUDENT_ID is set")
        elif role(cell) == "given":
            assert not raised[grade_id], f"cell {grade_id} fails before the student did anything"
        elif role(cell) == "answer":
            assert set(raised[grade_id]) <= {"NotImplementedError"}, (
                f"answer cell {grade_id} raises {raised[grade_id]}, not NotImplementedError")
        else:
            # A test of a missing answer fails because the name is missing or its stub raises.
            assert raised[grade_id] and set(raised[grade_id]) <= {
                "NameError", "NotImplementedError"}, (
                f"test cell {grade_id} should fail on the untouched homework because the "
                f"answer is missing, but it raised {raised[grade_id] or 'nothing'}")
    assert any("NotImplementedError" in names for names in raised.values())
    assert any(role(cell) == "test" for cell in cells)
