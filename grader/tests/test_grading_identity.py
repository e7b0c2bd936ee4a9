"""The grader's identity check with a roster: STUDENT_ID must be the student's number.

A course that asks students for their student number sets
``c.SandboxedExecute.identity_field = "lms_user_id"`` and imports a roster whose
``lms_user_id`` column holds the numbers (book/instructors.md). Graded with the real grader:

- carol typed her number: full autograded points;
- dave typed his login (nbgrader's id) instead of his number: 0, with the message;
- erin is in the roster without a number: 0, and the summary says "wrong student".
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from homework_tools import notebook_path, released_course, run_python, submission
from nbgrader.api import Gradebook

pytestmark = pytest.mark.slow

HOMEWORK = "hw01"
ROSTER = {"carol": "20261001", "dave": "20261002", "erin": ""}
TYPED = {"carol": "20261001", "dave": "dave", "erin": "erin"}




@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = released_course(tmp_path_factory.mktemp("identity"), HOMEWORK,
                           '\nc.SandboxedExecute.identity_field = "lms_user_id"\n')
    name = notebook_path(HOMEWORK).name
    roster = root / "roster.csv"
    roster.write_text("id,first_name,last_name,lms_user_id\n" + "".join(
        f"{s},{s.title()},Student,{number}\n" for s, number in ROSTER.items()), encoding="utf-8")
    run_python(root, "-m", "nbgrader", "db", "student", "import", str(roster))
    for student, typed in TYPED.items():
        folder = root / "submitted" / student / HOMEWORK
        folder.mkdir(parents=True)
        nbformat.write(submission(HOMEWORK, typed), folder / name)
    summary = run_python(root, "-m", "backproplab_grader", "autograde", HOMEWORK,
                         "--workers", "2", "--quiet")
    (root / "summary.txt").write_text(summary, encoding="utf-8")
    return root


def code_scores(course: Path) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: (s.code_score, s.max_code_score)
                for s in gb.find_assignment(HOMEWORK).submissions}


def test_the_number_from_the_roster_is_the_id(course):
    score, maximum = code_scores(course)["carol"]
    assert maximum == 10 and score == maximum


def test_another_id_than_the_roster_number_scores_zero(course):
    scores = code_scores(course)
    assert scores["dave"][0] == 0 and scores["erin"][0] == 0
    summary = (course / "summary.txt").read_text(encoding="utf-8")
    dave = next(line for line in summary.splitlines() if line.startswith("dave "))
    assert "wrong student" in dave and "'dave'" in dave
    erin = next(line for line in summary.splitlines() if line.startswith("erin "))
    assert "wrong student" in erin


def test_the_feedback_tells_the_student_what_to_change(course, html_text):
    run_python(course, "-m", "backproplab_grader", "feedback", HOMEWORK)
    (page,) = (course / "feedback" / "dave" / HOMEWORK).glob("*.html")
    text = " ".join(html_text(page.read_text(encoding="utf-8")).split())
    assert "set STUDENT_ID = '20261002'" in text, "the feedback should say which id to set"
    assert "scores 0" in text
