"""Grading in parallel: the same grades as one at a time, on SQLite and on PostgreSQL,
through regrades (manual grades survive) and through a grading worker that dies.

One throwaway course with hw01 released and six submissions whose fair scores are known:
the reference solution, all answers wrong, two half-right ones, the untouched release, and
one whose kernel exits (``os._exit``) in question 3, which keeps the points of questions 1
and 2. ``python -m backproplab_grader autograde`` grades them with different worker counts
and gradebooks; every run must give every test cell the same score.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hostile_submissions import ASSIGNMENT, NOTEBOOK, POINTS, Homework, answered
from nbgrader.api import Gradebook

from backproplab_grader.course import nbgrader_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]  # the repository (this is grader/tests/)
ALL = dict.fromkeys(POINTS, 1)
SUBMISSIONS = {  # student -> (answers, test cells that must pass)
    "correct": ("correct", set(POINTS)),
    "wrong": ("wrong", set()),
    "half_a": ({"q1_answer": "correct", "q3_answer": "correct"},
               {"q1_test_derivative", "q1_test_value", "q3_test"}),
    "half_b": ({"q2_answer": "correct", "q4_answer": "correct"}, {"q2_test", "q4_test"}),
    "untouched": (None, set()),
    "exits": ({"q1_answer": "correct", "q2_answer": "correct", "q3_answer": "import os\nos._exit(0)",
               "q4_answer": "correct"}, {"q1_test_derivative", "q1_test_value", "q2_test"}),
}
EXPECTED = {student: {cell: (points if cell in passing else 0) for cell, points in POINTS.items()}
            for student, (_, passing) in SUBMISSIONS.items()}


def run(course: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=course, env={**nbgrader_env(), **(env or {})},
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def grades(db_url: str) -> dict[str, dict[str, float]]:
    with Gradebook(db_url) as gb:
        return {s.student.id: {g.name: g.score for g in s.notebooks[0].grades if g.name in POINTS}
                for s in gb.find_assignment(ASSIGNMENT).submissions}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, course / folder)
    run(course, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force")
    homework = Homework(released=course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                        solutions=course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                        course=course, repo=ROOT)
    for student, (answers, _) in SUBMISSIONS.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        target = folder / f"{NOTEBOOK}.ipynb"
        if answers is None:
            shutil.copy(homework.released, target)
        else:
            import nbformat

            nbformat.write(answered(replace(homework, student=student), answers), target)
    return course


def autograde(course: Path, db_url: str, workers: int, crash_worker_on: str | None = None) -> str:
    """Grade every submission into the gradebook at ``db_url`` (released into it first);
    with ``crash_worker_on``, the worker grading that student dies there (cli.main's test
    argument, so the command runs through ``python -c``)."""
    with Gradebook(db_url) as gb:
        released = any(a.name == ASSIGNMENT for a in gb.assignments)
    if not released:
        run(course, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force", "--db", db_url)
    argv = ["autograde", ASSIGNMENT, "--db", db_url, "--workers", str(workers), "--quiet",
            "--timeout", "60"]
    if crash_worker_on is None:
        return run(course, "-m", "backproplab_grader", *argv).stdout
    return run(course, "-c", "import sys; from backproplab_grader.cli import main; "
               f"sys.exit(main({argv!r}, crash_worker_on={crash_worker_on!r}))").stdout


@pytest.fixture(scope="module")
def serial(course) -> dict:
    url = f"sqlite:///{course / 'serial.db'}"
    autograde(course, url, workers=1)
    return grades(url)


@pytest.fixture(scope="module")
def parallel_url(course) -> str:
    url = f"sqlite:///{course / 'parallel.db'}"
    autograde(course, url, workers=2)
    return url


def test_serial_grades_are_the_fair_ones(serial):
    assert serial == EXPECTED


def test_parallel_grades_equal_serial_ones(serial, parallel_url):
    assert grades(parallel_url) == serial


def test_regrade_gives_the_same_grades_and_keeps_manual_ones(course, parallel_url):
    with Gradebook(parallel_url) as gb:
        grade = gb.find_grade("q1_test_derivative", NOTEBOOK, ASSIGNMENT, "wrong")
        grade.manual_score = 1.5
        gb.find_comment("q1_answer", NOTEBOOK, ASSIGNMENT, "wrong").manual_comment = "See me."
        gb.db.commit()
    before = grades(parallel_url)
    assert before["wrong"]["q1_test_derivative"] == 1.5
    autograde(course, parallel_url, workers=2)
    after = grades(parallel_url)
    assert after == before, "a regrade changed grades"
    with Gradebook(parallel_url) as gb:
        grade = gb.find_grade("q1_test_derivative", NOTEBOOK, ASSIGNMENT, "wrong")
        assert (grade.auto_score, grade.manual_score) == (0, 1.5)
        assert grade.needs_manual_grade, "a manual grade over an automatic one is flagged for review"
        assert gb.find_submission(ASSIGNMENT, "wrong").score == 1.5
        assert gb.find_comment("q1_answer", NOTEBOOK, ASSIGNMENT, "wrong").manual_comment == "See me."
        assert len(gb.find_assignment(ASSIGNMENT).submissions) == len(SUBMISSIONS)


def test_a_dying_worker_loses_and_duplicates_nothing(course):
    url = f"sqlite:///{course / 'crash.db'}"
    out = autograde(course, url, workers=2, crash_worker_on="half_a")
    got = grades(url)
    assert set(got) == set(SUBMISSIONS), "every submission is in the gradebook, once"
    assert got["half_a"] == dict.fromkeys(POINTS, 0)
    assert {s: g for s, g in got.items() if s != "half_a"} == \
        {s: g for s, g in EXPECTED.items() if s != "half_a"}
    assert "half_a" in out and "worker died twice" in out


def test_parallel_grading_on_postgresql(course, serial, postgres_url):
    autograde(course, postgres_url, workers=2)
    assert grades(postgres_url) == serial
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # the course's default
        assert not gb.find_assignment(ASSIGNMENT).submissions, "the PostgreSQL run wrote to SQLite"
