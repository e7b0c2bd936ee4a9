"""Rebuilding a submission from the released notebook (executor.rebuild): what of the
student's notebook is graded, and what comes back as the instructor wrote it."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from backproplab_grader.executor import rebuild


def cell(kind: str, grade_id: str, source: str, **meta):
    made = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    made.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, **meta}
    return made


def released():
    return new_notebook(cells=[
        cell("markdown", "intro", "# Homework", locked=True),
        cell("code", "q1_answer", "# YOUR CODE HERE\nraise NotImplementedError()", solution=True),
        cell("code", "q1_test", "assert x == 1", grade=True, points=1, locked=True),
        cell("markdown", "q1_written", "YOUR ANSWER HERE", solution=True, grade=True, points=2),
    ])


SOURCE = {"intro": "# Homework", "q1_test": "assert x == 1\n### BEGIN HIDDEN TESTS\nassert x\n"
          "### END HIDDEN TESTS"}


def by_id(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if "nbgrader" in c.metadata}


def test_written_and_code_answers_are_the_students():
    submitted = released()
    cells = by_id(submitted)
    cells["q1_answer"].source = "x = 1"
    cells["q1_written"].source = "Because the step **overshoots**."
    cells["q1_test"].source = "pass  # edited test"
    out = by_id(rebuild(submitted, released(), SOURCE))
    assert out["q1_answer"].source == "x = 1"
    assert out["q1_written"].source == "Because the step **overshoots**."
    assert out["q1_test"].source == SOURCE["q1_test"]  # the instructor's, hidden tests too


def test_an_answer_moved_into_a_cell_of_the_other_kind_is_not_taken():
    submitted = released()
    cells = by_id(submitted)
    cells["q1_written"].cell_type = "code"  # a written answer cell turned into code
    cells["q1_written"].source = "import os; os.system('true')"
    cells["q1_written"].outputs, cells["q1_written"].execution_count = [], None
    out = by_id(rebuild(nbformat.from_dict(submitted), released(), SOURCE))
    assert out["q1_written"].cell_type == "markdown"
    assert out["q1_written"].source == "YOUR ANSWER HERE"


def test_extra_code_cells_stay_where_the_student_put_them():
    submitted = released()
    submitted.cells.insert(2, new_code_cell("helper = 2"))
    out = rebuild(submitted, released(), SOURCE)
    sources = [c.source for c in out.cells]
    assert sources.index("helper = 2") == 2
