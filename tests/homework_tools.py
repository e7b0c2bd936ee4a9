"""Building and running homework notebooks with given answers, for the homework tests.

Answers are given as ``{grade_id: source}``: the whole new source of that answer cell (a
student's cell as they would write it). Every homework has an answer cell ``student_id``
that sets ``STUDENT_ID``; ``with_student_id`` fills it in. Used by the per-homework tests
(``test_hwNN.py``, fast, in one kernel with nbclient) and by the shortcut test
(``test_homework_shortcuts.py``, through the real grader).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ID_CELL = "student_id"
MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def notebook_path(homework: str, folder: str = "solutions") -> Path:
    """``solutions/hwNN/<its notebook>.ipynb`` (or under ``exercises/``)."""
    (path,) = sorted((ROOT / folder / homework).glob("*.ipynb"))
    return path


def cells_by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def reference_source(cell) -> str:
    """An instructor cell's source without the ``### BEGIN/END SOLUTION`` lines."""
    return MARKER_LINE.sub("", cell.source).rstrip("\n")


def id_source(student_id: str) -> str:
    return f"STUDENT_ID = {student_id!r}\n"


def answer_ids(nb) -> list[str]:
    """The grade_ids of the code answer cells (``student_id`` included)."""
    return [gid for gid, cell in cells_by_id(nb).items()
            if cell.cell_type == "code" and cell.metadata["nbgrader"].get("solution")]


def submission(homework: str, student_id: str, answers: dict[str, str] | None = None, *,
               reference: bool = True) -> nbformat.NotebookNode:
    """A student's notebook made from the released notebook: ``STUDENT_ID`` set, the cells
    in ``answers`` replaced, every other answer cell holding the reference solution (or,
    with ``reference=False``, left as released: a stub that raises NotImplementedError)."""
    answers = dict(answers or {})
    nb = nbformat.read(notebook_path(homework, "exercises"), as_version=4)
    solution = cells_by_id(nbformat.read(notebook_path(homework), as_version=4))
    for grade_id, cell in cells_by_id(nb).items():
        if cell.cell_type != "code" or not cell.metadata["nbgrader"].get("solution"):
            continue
        if grade_id == ID_CELL:
            cell.source = answers.pop(ID_CELL, id_source(student_id))
        elif grade_id in answers:
            cell.source = answers.pop(grade_id)
        elif reference:
            cell.source = reference_source(solution[grade_id])
    assert not answers, f"{homework} has no answer cells {sorted(answers)}"
    return nb


def run_with_answers(homework: str, answers: dict[str, str] | None = None,
                     student_id: str = "s1234567", *, timeout: int = 300) -> dict[str, str | None]:
    """Run the instructor notebook (hidden tests included) with ``STUDENT_ID`` set and some
    answer cells replaced, in a fresh kernel; each test cell's error ("Name: message") or
    None when it passed."""
    path = notebook_path(homework)
    nb = nbformat.read(path, as_version=4)
    answers = {ID_CELL: id_source(student_id), **(answers or {})}
    for grade_id, cell in cells_by_id(nb).items():
        if grade_id in answers:
            cell.source = answers.pop(grade_id)
    assert not answers, f"{homework} has no cells {sorted(answers)}"
    NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    results = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            results[meta["grade_id"]] = f"{errors[0].ename}: {errors[0].evalue}" if errors else None
    return results


def set_student_id(nb, student_id: str) -> nbformat.NotebookNode:
    """Fill in the notebook's ``student_id`` answer cell (if it has one) with ``student_id``."""
    cell = cells_by_id(nb).get(ID_CELL)
    if cell is not None:
        cell.source = id_source(student_id)
    return nb


def run_python(root: Path, *args: str, timeout: int = 3600) -> str:
    """``python *args`` in the course folder ``root`` (the venv's tools on PATH); its
    standard output, or a failed assertion with the end of both outputs."""
    import subprocess
    import sys

    from backproplab_grader.course import nbgrader_env

    result = subprocess.run([sys.executable, *args], cwd=root, env=nbgrader_env(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def released_course(root: Path, homework: str, config_extra: str = "") -> Path:
    """A course folder at ``root``: the repository's ``nbgrader_config.py`` (plus
    ``config_extra``), ``homework``'s instructor notebook, released into its gradebook."""
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(config + config_extra, encoding="utf-8")
    source = notebook_path(homework)
    (root / "solutions" / homework).mkdir(parents=True)
    (root / "solutions" / homework / source.name).write_bytes(source.read_bytes())
    run_python(root, "-m", "nbgrader", "generate_assignment", homework, "--force",
               "--log-level=WARN")
    return root
