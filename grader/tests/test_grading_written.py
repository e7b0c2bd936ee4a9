"""Written answers end to end: a student's text reaches the instructor, a manual grade and a
comment reach the feedback and the grades file (book/instructors.md, "Written answers").

hw01 with the real grader (``python -m backproplab_grader``): ``writer`` answers the code
questions correctly and writes both written answers; ``silent`` leaves them as released.
Then the instructor grades the written cells as the formgrader does (nbgrader's gradebook:
a manual score and a comment per cell), and runs ``feedback`` and ``export``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest
from homework_tools import cells_by_id, notebook_path, released_course, run_python, submission
from nbgrader.api import Gradebook

pytestmark = pytest.mark.slow

HOMEWORK = "hw01"
WRITTEN = {"q3_written": "The step overshoots the minimum by more than it started from.",
           "q4_written": "Truncation error wins for large eps, round-off for small eps."}
COMMENT = "Good: you named both errors."




@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = released_course(tmp_path_factory.mktemp("written"), HOMEWORK)
    name = notebook_path(HOMEWORK).name
    for student in ("writer", "silent"):
        nb = submission(HOMEWORK, student)
        if student == "writer":
            for grade_id, text in WRITTEN.items():
                cells_by_id(nb)[grade_id].source = text
        folder = root / "submitted" / student / HOMEWORK
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / name)
    summary = run_python(root, "-m", "backproplab_grader", "autograde", HOMEWORK,
                         "--workers", "2", "--quiet")
    (root / "summary.txt").write_text(summary, encoding="utf-8")
    return root


def written_points() -> dict[str, float]:
    nb = nbformat.read(notebook_path(HOMEWORK), as_version=4)
    return {gid: cell.metadata["nbgrader"]["points"] for gid, cell in cells_by_id(nb).items()
            if cell.cell_type == "markdown" and cell.metadata["nbgrader"].get("grade")}


def test_written_cells_are_the_ones_graded_by_hand():
    assert set(written_points()) == set(WRITTEN)


def test_the_students_text_is_what_the_instructor_grades(course):
    (graded,) = (course / "autograded" / "writer" / HOMEWORK).glob("*.ipynb")
    cells = cells_by_id(nbformat.read(graded, as_version=4))
    for grade_id, text in WRITTEN.items():
        assert cells[grade_id].source == text, f"{grade_id} lost the student's answer"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        writer = gb.find_submission(HOMEWORK, "writer")
        silent = gb.find_submission(HOMEWORK, "silent")
        assert (writer.code_score, writer.needs_manual_grade) == (10, True)
        assert (silent.code_score, silent.needs_manual_grade, silent.written_score) == (10, False, 0)
    summary = (course / "summary.txt").read_text(encoding="utf-8")
    line = next(l for l in summary.splitlines() if l.startswith("writer "))
    assert "needs manual grading" in line
    assert "needs manual grading" not in next(l for l in summary.splitlines()
                                              if l.startswith("silent "))


def test_manual_grades_reach_feedback_and_the_grades_file(course, html_text):
    points = written_points()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        (notebook,) = gb.find_assignment(HOMEWORK).notebooks
        for grade_id in WRITTEN:  # as the formgrader's API records a grade and a comment
            grade = gb.find_grade(grade_id, notebook.name, HOMEWORK, "writer")
            grade.manual_score = points[grade_id]
            grade.needs_manual_grade = False
            comment = gb.find_comment(grade_id, notebook.name, HOMEWORK, "writer")
            comment.manual_comment = COMMENT
        gb.db.commit()
    run_python(course, "-m", "backproplab_grader", "feedback", HOMEWORK)
    run_python(course, "-m", "backproplab_grader", "export", HOMEWORK)
    (page,) = (course / "feedback" / "writer" / HOMEWORK).glob("*.html")
    text = " ".join(html_text(page.read_text(encoding="utf-8")).split())
    assert COMMENT in text and WRITTEN["q4_written"] in text
    with open(course / "grades" / f"{HOMEWORK}.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    total = 10 + sum(points.values())
    assert float(rows["writer"]["final_score"]) == total == float(rows["writer"]["max_score"])
    assert rows["writer"]["needs_manual_grade"] == "False"
    assert float(rows["silent"]["final_score"]) == 10
