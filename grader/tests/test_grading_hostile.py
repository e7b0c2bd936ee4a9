"""A grader that cannot be fooled: hostile submissions of homework 1, graded in one batch.

In a copy of the working tree, hw01 is released and every submission of
``hostile_submissions.SUBMISSIONS`` handed in (student id = the attack's name); then, once
for the whole batch,

    python -m backproplab_grader autograde hw01 --workers 2 --timeout 20
    python -m backproplab_grader feedback hw01

must finish (exit 0, within ``BATCH_SECONDS``) and give each student the score an honest
grader gives (the gradebook); each feedback page must hide the hidden tests, the solutions
the student did not write, the gradebook and the instructor's paths, and stay small.
``sandbox_probe`` checks that the sandbox is really there: it spoils one answer for each
escape that works.

Stock nbgrader 0.9.6 (``nbgrader autograde hw01``, a minimal ``nbgrader_config.py``: course
id, source and release folders; default cell timeout 30 s), one autograde per student, on
the same submissions (a "fails" is a failed ``autograde`` that leaves 0 in the gradebook);
``test_stock_nbgrader_is_fooled`` re-checks the first three rows. The rows were measured on
the per-student hw01 (issue 12) for the attacks built on wrong answers; the others (loops,
renamed files, reading secrets) were measured on the earlier hw01 and do not depend on it. Stock feedback, besides,
shows every test cell's source, hidden tests included, to every student.

==========================  ======  =================================================
submission                  honest  stock nbgrader
==========================  ======  =================================================
patch_checks                0       2: the test cells that only call the checks pass
hide_errors                 0       10: failing tests show no error, the kernel replies "ok"
steal_solutions             0       10: reads ../../../solutions/, runs its answer cells
copy_other_student          0       10: runs the answer cells of submitted/correct/
patch_numpy                 0       3: checks that ask the fake np.all or np.allclose
liar_sympy                  0       0 (the hidden tests compare numerically)
liar_float                  0 or 1  1: float(slope_at_u0) is the right value
memory_hog                  0       1: held 4 GiB, no memory limit
fork_bomb                   0       1: started 1,000 processes, no process limit
huge_file                   0       1: wrote 1 GiB, no file size limit
sandbox_probe               10      0: every escape works (gradebook, solutions, other
                                    students, a file in the course, the host's loopback)
loop_in_q4                  8       8: the 30 s cell timeout interrupts the loop
loop_ignoring_interrupt     8       0: autograde fails (after the interrupt, no IOPub
                                    output within 4 s)
duplicate_cells             10      0: autograde fails ("Duplicate grade id", reported as
                                    "an old version of the nbgrader metadata format")
renamed_copy, renamed_free  10      0: autograde fails ("No notebooks found")
kill_grader                 0       0, and the autograde process itself is killed (SIGKILL):
                                    a batch would stop there
os_exit                     0       0: autograde fails (the kernel died)
huge_line                   0       0: autograde fails (no IOPub output within 4 s)
reuse_grade_id              0       0: autograde fails (duplicate grade id)
not_json, truncated_json,   0       0: autograde fails (not a readable notebook)
python_file,
json_not_notebook
empty_folder                0       no submission at all ("No notebooks were matched")
read_gradebook              0       0; the gradebook's bytes printed in the graded notebook
read_solutions              0       0; solutions and hidden tests printed
read_other_students         0       0; another student's answers printed
print_environment           0       0; the environment, course and venv paths printed
spy_on_tests                0       0; the q2 test cell, hidden tests included, printed
walk_filesystem             0       0 (found nothing secret within 8 s)
huge_output                 0       0 (the 30 s cell timeout; LimitOutput trims it)
patch_assert_allclose       0       0 (hw01's tests do not call it)
silence_showtraceback,      0       0 (nbgrader 0.9.6 records the reply's error itself)
custom_exc
correct                     10      10
wrong, untouched,           0       0
eq_always_true, sys_exit,
raise_systemexit,
edit_test_cells,
delete_test_cells,
strip_test_metadata
==========================  ======  =================================================
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hostile_submissions import (
    ASSIGNMENT,
    MAX_SCORE,
    NOTEBOOK,
    POINTS,
    PROBE_ESCAPES,
    PROBE_FILE,
    SUBMISSIONS,
    Homework,
)
from nbgrader.api import Gradebook, MissingEntry
from repo_tools import ROOT, copy_worktree  # tests/ is on sys.path (pyproject: pythonpath)

from backproplab_grader.course import RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_env

pytestmark = pytest.mark.slow

WORKERS = 2
CELL_TIMEOUT = 20            # seconds per cell (--timeout)
BATCH_SECONDS = 600          # the whole autograde batch must take less
KILL_AFTER = 1200            # a grader still running then is stopped (the test fails)
MAX_FEEDBACK_BYTES = 2 * 2**20
GRADEBOOK_MAGIC = "SQLite format 3"
# An instructor's secret in the grader's environment (a database password, a token): the
# student's code must not see it, the feedback must not show it (print_environment).
GRADER_ENV_SECRET = ("BACKPROPLAB_GRADER_SECRET", "grader-env-secret-6b1f0c")
# Attacks that stock nbgrader scores above their honest score (see the table above).
STOCK_FOOLED = {"patch_checks": 2, "hide_errors": 10, "steal_solutions": 10}
STOCK_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "backprop-lab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
"""


def run(course: Path, args: list[str],
        timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``python *args`` in ``course`` (nbgrader's environment and ``GRADER_ENV_SECRET``),
    in a session of its own that is killed, kernels and all, after ``timeout`` seconds."""
    start = time.monotonic()
    env = {**nbgrader_env(), GRADER_ENV_SECRET[0]: GRADER_ENV_SECRET[1]}
    process = subprocess.Popen([sys.executable, *args], cwd=course, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               errors="replace", start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n(stopped by the test after {timeout} s)"
    return (subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr),
            time.monotonic() - start)


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m nbgrader *args`` in ``course``; fails the test with its output."""
    result, _ = run(course, ["-m", "nbgrader", *args], timeout=KILL_AFTER)
    assert result.returncode == 0, (f"nbgrader {' '.join(args)} failed ({result.returncode}):"
                                    f"\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def hand_in(course: Path, students, port: int = 0) -> dict[str, str]:
    """Release hw01 in ``course`` and put each student's files in ``submitted/``; returns
    {student: the text of what they handed in} (a student may see their own code)."""
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    homework = Homework(released=course / RELEASE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                        solutions=course / SOURCE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                        course=course, repo=ROOT, port=port)
    written = {}
    for student in students:
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        handed_in = SUBMISSIONS[student].build(replace(homework, student=student))
        for name, data in handed_in.items():
            (folder / name).write_bytes(data)
        if handed_in:  # empty_folder stays empty
            (folder / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC\n")
        written[student] = "\n".join(data.decode("utf-8", "replace")
                                     for data in handed_in.values())
    roster = course / "students.csv"
    roster.write_text("id,first_name,last_name\n"
                      + "".join(f"{student},{student},Hostile\n" for student in students))
    nbgrader(course, "db", "student", "import", str(roster))
    return written


def scores(course: Path, student: str) -> tuple[float | None, dict[str, float | None]]:
    """The student's total in the gradebook (None: no submission) and each test cell's."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        try:
            total = gradebook.find_submission(ASSIGNMENT, student).score
        except MissingEntry:
            return None, {}
        cells = {}
        for grade_id in POINTS:
            try:
                cells[grade_id] = gradebook.find_grade(grade_id, NOTEBOOK, ASSIGNMENT,
                                                       student).score
            except MissingEntry:
                cells[grade_id] = None
        return total, cells


@dataclass(repr=False)  # a failing test shows no page or output through it
class Batch:
    course: Path
    written: dict[str, str]
    autograde: subprocess.CompletedProcess
    seconds: float
    feedback: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    """Every submission handed in to a copy of the working tree, autograded in one batch
    by ``python -m backproplab_grader`` and given feedback."""
    course = tmp_path_factory.mktemp("hostile") / "course"
    copy_worktree(ROOT, course)
    # sandbox_probe tries to connect here: a listening socket on the host's loopback.
    with socket.create_server(("127.0.0.1", 0)) as server:
        written = hand_in(course, SUBMISSIONS, port=server.getsockname()[1])
        autograde, seconds = run(course, ["-m", "backproplab_grader", "autograde", ASSIGNMENT,
                                          "--workers", str(WORKERS),
                                          "--timeout", str(CELL_TIMEOUT)], timeout=KILL_AFTER)
    feedback, _ = run(course, ["-m", "backproplab_grader", "feedback", ASSIGNMENT],
                      timeout=KILL_AFTER)
    for name, result in [("autograde", autograde), ("feedback", feedback)]:  # for a post-mortem
        (course.parent / f"{name}.log").write_text(result.stdout + result.stderr)
    return Batch(course, written, autograde, seconds, feedback)


def output_of(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


def said_about(batch: Batch, student: str) -> str:
    """The lines of the grader's output that name ``student`` (the last ten)."""
    lines = (batch.autograde.stdout + batch.autograde.stderr).splitlines()
    return "\n".join([line for line in lines if student in line][-10:])


def test_the_batch_finishes_in_time(batch):
    assert batch.autograde.returncode == 0, f"autograde failed: {output_of(batch.autograde)}"
    assert batch.seconds < BATCH_SECONDS, (
        f"autograding {len(SUBMISSIONS)} submissions took {batch.seconds:.0f} s "
        f"(limit {BATCH_SECONDS} s)")
    assert batch.feedback.returncode == 0, f"feedback failed: {output_of(batch.feedback)}"


@pytest.mark.parametrize("student", SUBMISSIONS)
def test_score(batch, student):
    submission = SUBMISSIONS[student]
    total, cells = scores(batch.course, student)
    assert total is not None, (f"{student} ({submission.about}): no submission in the "
                               "gradebook; a broken or hostile one is graded 0. The grader "
                               f"said:\n{said_about(batch, student)}")
    assert total in submission.expected, (
        f"{student} ({submission.about}): expected {' or '.join(map(str, submission.expected))}"
        f" of {MAX_SCORE}, got {total}; per test cell {cells}. The grader said:\n"
        f"{said_about(batch, student)}")


@pytest.mark.parametrize("student", SUBMISSIONS)
def test_feedback_shows_no_secret(batch, student, homework_secrets, leaks_in, html_text):
    """The feedback exists for every gradable notebook and shows no hidden test, no
    solution or hidden-test line the student did not write themselves, no gradebook, none of the grader's environment,
    no instructor path; each page is smaller than 2 MB."""
    pages = sorted((batch.course / "feedback" / student / ASSIGNMENT).glob("*.html"))
    if SUBMISSIONS[student].notebook:
        assert pages, (f"no feedback page for {student} in feedback/{student}/{ASSIGNMENT}/; "
                       f"the grader said:\n{said_about(batch, student)}")
    written = batch.written[student]
    secrets = [s for s in homework_secrets if not leaks_in(written, [s])]
    paths = {str(batch.course), str(batch.course.resolve()), str(ROOT), sys.prefix}
    for page in pages:
        # Booleans and names only in the messages: pytest would quote the page otherwise.
        problems = []
        size = page.stat().st_size
        if size >= MAX_FEEDBACK_BYTES:
            problems.append(f"it is {size} bytes")
        raw = page.read_text(encoding="utf-8", errors="replace")
        text = html_text(raw)
        leaked = sorted(set(map(str, leaks_in(raw, secrets) + leaks_in(text, secrets))))
        if leaked:
            problems.append(f"it shows {len(leaked)} secret lines, e.g.:\n"
                            + "\n".join(leaked[:5]))
        if GRADEBOOK_MAGIC in raw:
            problems.append("it shows the gradebook's bytes")
        if GRADER_ENV_SECRET[1] in raw:
            problems.append(f"it shows the grader's environment ({GRADER_ENV_SECRET[0]})")
        shown = sorted(path for path in paths if path in raw or path in text)
        if shown:
            problems.append(f"it shows the instructor's paths {shown}")
        assert not problems, f"{page.name} of {student}: " + "; ".join(problems)


def test_sandbox_probe(batch):
    """The probe's answers are right unless an escape worked; each lost test cell names
    the escape that worked."""
    total, cells = scores(batch.course, "sandbox_probe")
    escaped = [f"{what} ({grade_id}: {cells.get(grade_id)} of {POINTS[grade_id]})"
               for grade_id, what in PROBE_ESCAPES.items()
               if cells.get(grade_id) != POINTS[grade_id]]
    assert not escaped, "the student's code could " + "; ".join(escaped)
    assert not (batch.course / PROBE_FILE).exists(), "the student's code wrote into the course"
    assert total == MAX_SCORE


def test_fork_bomb_is_stopped_and_reported(batch, html_text):
    """1,000 processes in a sandbox: the process limit refuses most, the batch goes on, and
    the instructor's summary and the student's feedback say what happened."""
    said = said_about(batch, "fork_bomb")
    assert "too many processes" in said, f"the summary does not report the fork bomb:\n{said}"
    (page,) = (batch.course / "feedback" / "fork_bomb" / ASSIGNMENT).glob("*.html")
    text = " ".join(html_text(page.read_text(encoding="utf-8")).split())
    assert "processes and threads at once" in text


@pytest.mark.parametrize("student", ["renamed_copy", "renamed_free"])
def test_renamed_notebook_is_reported(batch, student):
    (name,) = (batch.course / "submitted" / student / ASSIGNMENT).glob("*.ipynb")
    said = batch.autograde.stdout + batch.autograde.stderr
    assert name.name in said, (f"autograde does not mention {student}'s notebook "
                               f"{name.name!r}, graded as {NOTEBOOK}.ipynb")


def test_stock_nbgrader_is_fooled(tmp_path):
    """The threat is real: stock nbgrader gives these attacks (wrong answers) points."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(STOCK_CONFIG)
    shutil.copytree(ROOT / SOURCE_DIRECTORY, course / SOURCE_DIRECTORY)
    hand_in(course, STOCK_FOOLED)
    nbgrader(course, "autograde", ASSIGNMENT)
    got = {student: scores(course, student)[0] for student in STOCK_FOOLED}
    assert got == STOCK_FOOLED, f"stock nbgrader gave {got}, expected {STOCK_FOOLED}"
    assert all(got[student] > max(SUBMISSIONS[student].expected) for student in got)
