"""Grading homework 1 end to end with nbgrader, as an instructor would.

In a throwaway course folder (``nbgrader_config.py`` and ``solutions/``, gradebook
``gradebook.db`` in that folder): release hw01, submit three students' notebooks,

- ``correct``: the reference solution, which earns 10 of 10;
- ``wrong``: common mistakes that pass the visible tests but fail hidden ones, 3 of 10;
- ``untouched``: the release as it is, 0 of 10;

then ``nbgrader autograde``, ``generate_feedback`` and ``export``, and check the scores in the
gradebook, what the feedback pages show (the failures' messages) and hide (hidden tests and
solutions the student did not write), and the exported CSV.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from homework_tools import ID_CELL, set_student_id
from nbgrader.api import Gradebook
from shortcuts_hw01 import WRONG_ANSWERS as WRONG

from backproplab_grader.course import RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]  # the repository (this is grader/tests/)
ASSIGNMENT = "hw01"
NOTEBOOK = "hw01-derivatives"
# 10 autograded points and the written answers' (graded by hand; 0 while left as released).
MAX_SCORE = float(sum(cell.metadata["nbgrader"].get("points", 0) for cell in nbformat.read(
    ROOT / SOURCE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4).cells
    if cell.metadata.get("nbgrader", {}).get("grade")))
STUB = re.compile(r"^([ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)[ \t]*$", re.M)
MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)

# Plausible mistakes in q1, q3 and q4 (tests/shortcuts_hw01.py), each passing the visible
# test and failing the hidden one; q2 is answered correctly.
WRONG_ANSWERS = {grade_id: WRONG[grade_id] for grade_id in ("q1_answer", "q3_answer", "q4_answer")}
EXPECTED = {
    "correct": {"q1_test_derivative": 2, "q1_test_value": 1, "q2_test": 3, "q3_test": 2,
                "q4_test": 2},
    "wrong": {"q1_test_derivative": 0, "q1_test_value": 0, "q2_test": 3, "q3_test": 0,
              "q4_test": 0},
    "untouched": {"q1_test_derivative": 0, "q1_test_value": 0, "q2_test": 0, "q3_test": 0,
                  "q4_test": 0},
}
# What the "wrong" student must read in the feedback: the one-line failure messages.
WRONG_MESSAGES = [
    "dJ_dw is not the derivative of J with respect to w",
    "multiply dJ/du by du/dw, both written in u",
    "slope_at_u0 is not dJ/dw at the weight where u = u0",
    "step_factor is not equivalent to the correct expression",
    "errors are not the errors of your variant's formula",
]


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader *args`` in the course folder ``root``; fail with its output."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                            env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, (
        f"nbgrader {' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}")
    return result


def cell_by_id(nb) -> dict:
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def solution_source(cell) -> str:
    """The source notebook's answer, without the ``### BEGIN/END SOLUTION`` lines."""
    return MARKER_LINE.sub("", cell.source).rstrip("\n")


def fill_in(stub_source: str, code: str) -> str:
    """What a student does: replace the code stub by ``code``, at the stub's indentation."""
    match = STUB.search(stub_source)
    assert match, f"no `# YOUR CODE HERE` stub in:\n{stub_source}"
    indent = match.group(1)
    answer = "\n".join(indent + line if line else line for line in code.splitlines())
    return stub_source[:match.start()] + answer + stub_source[match.end():]


def submissions(released: Path, source: Path) -> dict[str, nbformat.NotebookNode]:
    """The three students' notebooks, each made from the released notebook."""
    solutions = cell_by_id(nbformat.read(source, as_version=4))
    result = {}
    for student in EXPECTED:
        nb = nbformat.read(released, as_version=4)
        if student != "untouched":
            set_student_id(nb, student)
        for grade_id, cell in cell_by_id(nb).items():
            if not cell.metadata["nbgrader"].get("solution") or grade_id == ID_CELL:
                continue
            if cell.cell_type != "code":
                continue  # written answers stay as released: 0 points, nothing to grade by hand
            if student == "correct" or (student == "wrong" and grade_id not in WRONG_ANSWERS):
                cell.source = solution_source(solutions[grade_id])
            elif student == "wrong":
                cell.source = WRONG_ANSWERS[grade_id]
        result[student] = nb
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder in which hw01 is released, submitted by three students and graded."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / SOURCE_DIRECTORY, root / SOURCE_DIRECTORY)
    nbgrader(root, "generate_assignment", ASSIGNMENT)

    released = root / RELEASE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    source = root / SOURCE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    for student, nb in submissions(released, source).items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC\n")
        nbgrader(root, "db", "student", "add", student, f"--first-name={student.title()}",
                 "--last-name=Student")

    nbgrader(root, "autograde", ASSIGNMENT)
    nbgrader(root, "generate_feedback", ASSIGNMENT)
    nbgrader(root, "export", "--to=grades.csv")
    return root


def submitted_code(course: Path, student: str) -> str:
    nb = nbformat.read(course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                       as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def submitted_text(course: Path, student: str) -> str:
    return (course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text(
        encoding="utf-8")


def feedback_page(course: Path, student: str) -> str:
    page = course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
    assert page.is_file(), f"no feedback for {student}: {page} is missing"
    return page.read_text(encoding="utf-8")


def test_wrong_answers_are_filled_in(course):
    """The "wrong" notebook holds the wrong answers and the correct q2, and no stub."""
    code = submitted_code(course, "wrong")
    assert all(answer in code for answer in WRONG_ANSWERS.values())
    assert "for position, index in enumerate(np.ndindex(w.shape))" in code  # the correct q2
    assert "STUDENT_ID = 'wrong'" in code
    assert "NotImplementedError" not in code
    assert "NotImplementedError" not in submitted_code(course, "correct")
    assert "YOUR CODE HERE" in submitted_code(course, "untouched")


@pytest.mark.parametrize("student", EXPECTED)
def test_gradebook_scores(course, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        assert submission.max_score == MAX_SCORE
        scores = {grade_id: gradebook.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, student).score
                  for grade_id in EXPECTED[student]}
        assert scores == EXPECTED[student]
        assert submission.score == sum(EXPECTED[student].values())
        assert submission.needs_manual_grade is False


def check_feedback_is_safe(page: str, written: str, score: float, who: str,
                           homework_secrets, leaks_in, html_text) -> None:
    """A feedback page shows the score and no line of hidden tests or of solutions, except
    lines the student wrote themselves (``written``: a correct answer may share a line with a
    hidden test). Used by the exchange test too."""
    text = html_text(page)
    secrets = [s for s in homework_secrets if not leaks_in(written, [s])]
    leaked = leaks_in(page, secrets) + leaks_in(text, secrets)
    assert not leaked, (f"the feedback of {who} shows lines of hidden tests or of "
                        "solutions:\n" + "\n".join(sorted(set(map(str, leaked)))))
    for marker in ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION"]:
        assert marker not in text, f"the feedback of {who} shows {marker!r}"
    assert re.search(rf"Score:\s*{score:.1f}\s*/\s*{MAX_SCORE:.1f}", text), (
        f"the feedback of {who} does not show the score {score} / {MAX_SCORE}")


@pytest.mark.parametrize("student", EXPECTED)
def test_feedback_hides_hidden_tests_and_solutions(course, student, homework_secrets, leaks_in,
                                                   html_text):
    check_feedback_is_safe(feedback_page(course, student), submitted_text(course, student),
                           sum(EXPECTED[student].values()), student, homework_secrets,
                           leaks_in, html_text)


def test_feedback_explains_the_mistakes(course, html_text):
    text = html_text(feedback_page(course, "wrong"))
    missing = [message for message in WRONG_MESSAGES if message not in text]
    assert not missing, f"the feedback of the wrong answers lacks the messages {missing}"


def test_exported_grades(course):
    with open(course / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(row["student_id"] for row in rows) == sorted(EXPECTED)
    for row in rows:
        assert row["assignment"] == ASSIGNMENT
        assert float(row["score"]) == sum(EXPECTED[row["student_id"]].values())
        assert float(row["max_score"]) == MAX_SCORE
