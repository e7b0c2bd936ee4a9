"""nbgrader's gradebook on a real PostgreSQL server (the ``postgres_url`` fixture).

The parallel autograder writes grades from several processes at once, which SQLite's
single-writer gradebook does not allow; PostgreSQL does. Here, in a throwaway course folder,

- ``nbgrader generate_assignment hw01 --db=<url>`` records hw01 in the PostgreSQL gradebook,
  and ``nbgrader.api.Gradebook`` reads back its notebook and grade cells (10 autograded
  points and 3 points of written answers);
- 4 processes write 10 students' submissions each at the same time: all 40 arrive, once.
"""

from __future__ import annotations

import multiprocessing
import queue
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, SubmittedAssignment

from backproplab_grader.course import SOURCE_DIRECTORY, nbgrader_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]  # the repository (this is grader/tests/)
COURSE_ID = "backprop-lab"  # c.CourseDirectory.course_id of nbgrader_config.py
ASSIGNMENT = "hw01"
NOTEBOOK = "hw01-derivatives"
AUTOGRADED_POINTS = 10.0  # every homework: 10 autograded points, plus written answers
WRITTEN_POINTS = 3.0
WORKERS = 4
STUDENTS_PER_WORKER = 10
SUBMITTED = "2026-11-23 12:00:00.000000 UTC"
RESUBMITTED = "2026-11-23 13:30:00.000000 UTC"
WORKER_TIMEOUT = 120  # seconds


def grade_cell_points(path: Path, kind: str | None = None) -> dict[str, float]:
    """``{grade_id: points}`` of the graded cells of an instructor notebook: all of them, or
    only the ``"code"`` (autograded tests) or ``"markdown"`` (written answers) ones."""
    nb = nbformat.read(path, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"]["points"])
            for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
            and kind in (None, cell.cell_type)}


@pytest.fixture(scope="module")
def gradebook_url(postgres_url, tmp_path_factory) -> str:
    """``postgres_url`` after ``nbgrader generate_assignment hw01`` has recorded hw01 in it."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / SOURCE_DIRECTORY, root / SOURCE_DIRECTORY)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                             f"--db={postgres_url}", "--force"],
                            cwd=root, env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, (f"nbgrader generate_assignment failed ({result.returncode}):"
                                    f"\n{result.stdout}\n{result.stderr}")
    assert not (root / "gradebook.db").exists(), "nbgrader used SQLite, not the --db URL"
    return postgres_url


def test_generate_assignment_records_hw01(gradebook_url):
    path = ROOT / SOURCE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    expected = grade_cell_points(path)
    assert sum(grade_cell_points(path, "code").values()) == AUTOGRADED_POINTS
    assert sum(grade_cell_points(path, "markdown").values()) == WRITTEN_POINTS
    with Gradebook(gradebook_url, course_id=COURSE_ID) as gradebook:
        assignment = gradebook.find_assignment(ASSIGNMENT)
        assert assignment.course_id == COURSE_ID
        assert [nb.name for nb in assignment.notebooks] == [NOTEBOOK]
        notebook = assignment.notebooks[0]
        assert {cell.name: cell.max_score for cell in notebook.grade_cells} == expected
        assert assignment.max_score == AUTOGRADED_POINTS + WRITTEN_POINTS
        assert [a.name for a in gradebook.assignments] == [ASSIGNMENT]


def student_names(worker: int) -> list[str]:
    return [f"worker{worker}-student{i:02d}" for i in range(STUDENTS_PER_WORKER)]


def write_submissions(url: str, worker: int, start, results) -> None:
    """In a process of its own: create, then update, the hw01 submissions of ``worker``'s
    students, starting together with the other workers (``start``, a Barrier)."""
    try:
        with Gradebook(url, course_id=COURSE_ID) as gradebook:
            start.wait()
            for student in student_names(worker):
                gradebook.update_or_create_student(student, first_name=student,
                                                   last_name=f"Worker {worker}")
                gradebook.update_or_create_submission(ASSIGNMENT, student, timestamp=SUBMITTED)
            for student in student_names(worker):
                gradebook.update_or_create_submission(ASSIGNMENT, student,
                                                      timestamp=RESUBMITTED)
        results.put((worker, None))
    except BaseException:
        results.put((worker, traceback.format_exc()))


def test_concurrent_writers_lose_nothing(gradebook_url):
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS, timeout=WORKER_TIMEOUT)
    results = context.Queue()
    processes = [context.Process(target=write_submissions,
                                 args=(gradebook_url, worker, start, results))
                 for worker in range(WORKERS)]
    for process in processes:
        process.start()
    try:
        reports = dict(results.get(timeout=WORKER_TIMEOUT) for _ in processes)
    except queue.Empty:
        reports = {}
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    assert sorted(reports) == list(range(WORKERS)), (
        f"only workers {sorted(reports)} of {WORKERS} reported back")
    failed = {worker: error for worker, error in reports.items() if error}
    assert not failed, "\n".join(f"worker {w} failed:\n{e}" for w, e in failed.items())

    expected = sorted(name for worker in range(WORKERS) for name in student_names(worker))
    grade_cells = len(grade_cell_points(ROOT / SOURCE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb"))
    with Gradebook(gradebook_url, course_id=COURSE_ID) as gradebook:
        rows = gradebook.db.query(SubmittedAssignment).all()
        students = sorted(submission.student_id for submission in rows)
        assert len(rows) == WORKERS * STUDENTS_PER_WORKER == 40
        assert students == expected
        for submission in rows:
            assert submission.assignment.name == ASSIGNMENT
            assert submission.timestamp.isoformat() == "2026-11-23T13:30:00"
            assert [nb.name for nb in submission.notebooks] == [NOTEBOOK]
            assert len(submission.notebooks[0].grades) == grade_cells == 7
