"""Homework 1 through nbgrader's exchange, as on a JupyterHub, with no hub.

The exchange is a folder that instructors and students share (``Exchange.root``; here a
temporary one, named in each user's ``~/.jupyter/nbgrader_config.py``). In a throwaway
course folder (a copy of the working tree) the instructor generates and releases hw01; two
students, each with their own HOME and working folder, list, fetch, fill in (alice: the
reference solution; bob: mistakes that pass the visible tests) and submit it (bob twice:
first the untouched notebook, then his answers); the instructor lists the inbound
submissions, collects them, grades them with ``python -m backproplab_grader`` and releases
the feedback; each student fetches theirs.

The student's name: nbgrader takes it from the login name (``pwd``), and from
``JUPYTERHUB_USER`` only when the login name is ``jovyan`` (one-user containers). The tests
run as one login (root), so the students pass ``--student`` to ``submit`` and
``fetch_feedback``. For the same reason file permissions protect nothing here; the tests check
the permissions nbgrader sets, which are what keeps students apart on a real multi-user hub.
"""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from homework_tools import ID_CELL, id_source
from nbgrader.api import Gradebook
from repo_tools import ROOT, copy_worktree  # tests/ is on sys.path (pyproject: pythonpath)
from shortcuts_hw01 import WRONG_ANSWERS as WRONG
from test_grading_e2e import MAX_SCORE, cell_by_id, check_feedback_is_safe, solution_source

from backproplab_grader.course import RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_env

pytestmark = pytest.mark.slow

COURSE_ID = "backprop-lab"  # CourseDirectory.course_id in nbgrader_config.py
ASSIGNMENT = "hw01"
NOTEBOOK = "hw01-derivatives"
STUDENTS = ("alice", "bob")
SUBMISSIONS = {"alice": 1, "bob": 2}  # bob submits once too early
COMMAND_TIMEOUT = 300  # seconds for one command (autograding included)

BOB_ANSWERS = {
    # The right derivative (the reference's), but its value counted twice at u0.
    "q1_answer": "twice",
    # The chapter's central difference instead of his variant's formula, and the chapter's
    # 1 − 2αc for a J that is not c·w² (tests/shortcuts_hw01.py): both pass the visible tests.
    "q2_answer": WRONG["q2_answer"],
    "q3_answer": WRONG["q3_answer"],
    # q4: the reference solution.
}
EXPECTED = {
    "alice": {"q1_test_derivative": 2, "q1_test_value": 1, "q2_test": 3, "q3_test": 2,
              "q4_test": 2},
    "bob": {"q1_test_derivative": 2, "q1_test_value": 0, "q2_test": 0, "q3_test": 0,
            "q4_test": 2},
}
# The one-line failure messages bob must read in his feedback.
BOB_MESSAGES = [
    "slope_at_u0 is not dJ/dw at the weight where u = u0",
    "numerical_gradient is not your variant's formula",
    "step_factor is not equivalent to the correct expression",
]
# A submission in the inbound folder: <student>+<assignment>+<timestamp>+<random string>.
INBOUND_NAME = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)"
                          r"\+(?P<random>[A-Za-z0-9_=-]{12,})$")


@dataclass(frozen=True)
class User:
    """Someone on the hub: a name, a HOME (config, nbgrader's cache) and a working folder."""

    name: str
    home: Path
    work: Path

    def env(self) -> dict[str, str]:
        """nbgrader's environment with this user's HOME and no outer Jupyter settings."""
        env = {key: value for key, value in nbgrader_env().items()
               if not key.startswith(("JUPYTER", "XDG_"))}
        env["HOME"] = str(self.home)
        return env

    def run(self, *args: str) -> str:
        """Run ``python *args`` in the working folder; fail with the output; return it."""
        result = subprocess.run([sys.executable, *args], cwd=self.work, env=self.env(),
                                capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        output = result.stdout + result.stderr
        assert result.returncode == 0, (
            f"{self.name}: python {' '.join(args)} failed ({result.returncode}):\n{output}")
        return output

    def nbgrader(self, *args: str) -> str:
        return self.run("-m", "nbgrader", *args)


def make_user(base: Path, name: str, exchange: Path, work: Path | None = None) -> User:
    """A user whose ``~/.jupyter/nbgrader_config.py`` names the exchange, as a hub's does."""
    home = base / "home" / name
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n", encoding="utf-8")
    work = work or home / "work"
    work.mkdir(parents=True, exist_ok=True)
    return User(name, home, work)


def answer(notebook: Path, source: Path, student: str) -> None:
    """Fill in the fetched ``notebook`` file as ``student`` does, from the ``source`` one."""
    solutions = cell_by_id(nbformat.read(source, as_version=4))
    nb = nbformat.read(notebook, as_version=4)
    for grade_id, cell in cell_by_id(nb).items():
        if not cell.metadata["nbgrader"].get("solution") or cell.cell_type != "code":
            continue
        if grade_id == ID_CELL:  # the hub user name is the student's id
            cell.source = id_source(student)
            continue
        cell.source = solution_source(solutions[grade_id])
        if student == "bob" and BOB_ANSWERS.get(grade_id) == "twice":
            assert "slope_at_u0 = dJ_dw.subs(u, variant.u0)" in cell.source
            cell.source = cell.source.replace("slope_at_u0 = dJ_dw.subs(u, variant.u0)",
                                              "slope_at_u0 = 2 * dJ_dw.subs(u, variant.u0)")
        elif student == "bob" and grade_id in BOB_ANSWERS:
            cell.source = BOB_ANSWERS[grade_id]
    nbformat.write(nb, notebook)


def grade(instructor: User) -> None:
    """Autograde the collected submissions and write the feedback pages."""
    instructor.run("-m", "backproplab_grader", "autograde", ASSIGNMENT, "--workers", "2")
    instructor.run("-m", "backproplab_grader", "feedback", ASSIGNMENT)


@dataclass
class Hub:
    """What the whole exchange round left behind, for the tests to look at."""

    course: Path
    exchange: Path
    users: dict[str, User]
    output: dict[str, str]  # command outputs by step

    def fetched_feedback(self, student: str) -> list[Path]:
        return sorted((self.users[student].work / ASSIGNMENT / "feedback").rglob("*.html"))


def work_on_homework(student: User, source: Path) -> str:
    """A student's round: list, fetch, answer, submit (bob: once too early); the list."""
    listed = student.nbgrader("list")
    student.nbgrader("fetch_assignment", ASSIGNMENT, f"--course={COURSE_ID}")
    submit = ("submit", ASSIGNMENT, f"--course={COURSE_ID}", f"--student={student.name}")
    if student.name == "bob":  # a first, premature submission: the notebook as fetched
        student.nbgrader(*submit)
    answer(student.work / ASSIGNMENT / f"{NOTEBOOK}.ipynb", source, student.name)
    student.nbgrader(*submit)
    return listed


def in_parallel(function, students: list[User]) -> dict[str, str]:
    """``function(student)`` for every student at once, as on a hub; results by name."""
    with ThreadPoolExecutor(len(students)) as pool:
        return dict(zip((s.name for s in students), pool.map(function, students)))


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Hub:
    base = tmp_path_factory.mktemp("hub")
    exchange = base / "srv" / "nbgrader" / "exchange"  # release_assignment creates it
    exchange.parent.mkdir(parents=True)
    course = base / "course"
    copy_worktree(ROOT, course)
    instructor = make_user(base, "instructor", exchange, work=course)
    students = [make_user(base, name, exchange) for name in STUDENTS]
    roster = base / "students.csv"
    roster.write_text("id,first_name,last_name\n" + "".join(
        f"{name},{name.title()},Student\n" for name in STUDENTS), encoding="utf-8")

    instructor.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    instructor.nbgrader("db", "student", "import", str(roster))
    instructor.nbgrader("release_assignment", ASSIGNMENT)

    source = course / SOURCE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    listed = in_parallel(lambda student: work_on_homework(student, source), students)
    output = {f"list {name}": text for name, text in listed.items()}

    output["list inbound"] = instructor.nbgrader("list", "--inbound")
    instructor.nbgrader("collect", ASSIGNMENT)
    grade(instructor)
    for student in STUDENTS:
        folder = course / "feedback" / student / ASSIGNMENT
        assert (folder / "submission_secret.txt").is_file(), (
            f"{folder} has no submission_secret.txt (submitted/{student}/{ASSIGNMENT}/ has): "
            "nbgrader release_feedback needs it, with timestamp.txt, next to the pages")
    instructor.nbgrader("release_feedback", ASSIGNMENT)
    in_parallel(lambda student: student.nbgrader(
        "fetch_feedback", ASSIGNMENT, f"--course={COURSE_ID}", f"--student={student.name}"),
        students)
    users = {user.name: user for user in [instructor, *students]}
    return Hub(course, exchange, users, output)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def inbound_entries(hub: Hub) -> dict[str, list[re.Match]]:
    """The inbound submissions by student, oldest first."""
    entries = {}
    for path in sorted((hub.exchange / COURSE_ID / "inbound").iterdir()):
        match = INBOUND_NAME.match(path.name)
        assert match, f"unexpected entry in the inbound folder: {path.name}"
        entries.setdefault(match["student"], []).append(match)
    return {student: sorted(matches, key=lambda m: m["timestamp"])
            for student, matches in entries.items()}


def test_release_reaches_the_exchange_without_secrets(hub, homework_secrets, leaks_in):
    assert mode(hub.exchange) == 0o777, "the exchange root must be writable by everyone"
    released = hub.exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    generated = hub.course / RELEASE_DIRECTORY / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert released.read_bytes() == generated.read_bytes()
    leaked = leaks_in(released.read_text(encoding="utf-8"), homework_secrets)
    assert not leaked, "the released notebook holds:\n" + "\n".join(map(str, leaked))
    assert mode(released.parent) == 0o755 and mode(released) == 0o644


@pytest.mark.parametrize("student", STUDENTS)
def test_student_sees_the_release_and_only_their_own_submissions(hub, student):
    assert f"{COURSE_ID} {ASSIGNMENT}" in hub.output[f"list {student}"]
    # `nbgrader list --cached` and fetch_feedback read this copy, kept in the student's HOME.
    cache = hub.users[student].home / ".local/share/jupyter/nbgrader_cache" / COURSE_ID
    submitters = [path.name.split("+")[0] for path in cache.iterdir()]
    assert submitters == [student] * SUBMISSIONS[student]


def test_instructor_lists_every_inbound_submission(hub):
    listed = hub.output["list inbound"]
    for student, matches in inbound_entries(hub).items():
        for match in matches:
            assert f"{COURSE_ID} {student} {ASSIGNMENT} {match['timestamp']}" in listed
    assert {s: len(m) for s, m in inbound_entries(hub).items()} == SUBMISSIONS


def test_inbound_folder_hides_submissions_from_other_students(hub):
    """What keeps students apart on a multi-user hub (not enforced here: we run as root).

    Students may create entries in ``inbound/`` (write, execute) but not list it (no read);
    each entry's name ends in a random string, so nobody can guess another's folder; its
    files are read-only to everyone but their owner.
    """
    inbound = hub.exchange / COURSE_ID / "inbound"
    assert mode(inbound) == stat.S_ISGID | 0o733
    assert not mode(inbound) & (stat.S_IRGRP | stat.S_IROTH)
    for matches in inbound_entries(hub).values():
        for match in matches:
            folder = inbound / match.string
            assert sorted(p.name for p in folder.iterdir()) == [
                f"{NOTEBOOK}.ipynb", "submission_secret.txt", "timestamp.txt"]
            assert all(mode(p) == 0o644 for p in folder.iterdir())
            assert (folder / "timestamp.txt").read_text() == match["timestamp"]


@pytest.mark.parametrize("student", STUDENTS)
def test_collect_takes_each_student_latest_submission(hub, student):
    folder = hub.course / "submitted" / student / ASSIGNMENT
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{NOTEBOOK}.ipynb", "submission_secret.txt", "timestamp.txt"]
    latest = inbound_entries(hub)[student][-1]
    assert (folder / "timestamp.txt").read_text() == latest["timestamp"]
    nb = nbformat.read(folder / f"{NOTEBOOK}.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "NotImplementedError" not in code


@pytest.mark.parametrize("student", STUDENTS)
def test_gradebook_scores(hub, student):
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        scores = {grade_id: gradebook.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, student).score
                  for grade_id in EXPECTED[student]}
        assert scores == EXPECTED[student]
        assert submission.score == sum(EXPECTED[student].values())
        assert submission.max_score == MAX_SCORE


def test_exchange_feedback_names_no_student(hub):
    pages = sorted((hub.exchange / COURSE_ID / "feedback").iterdir())
    assert len(pages) == len(STUDENTS)
    assert all(re.fullmatch(r"[0-9a-f]{32,}\.html", p.name) for p in pages), pages
    assert mode(pages[0].parent) == 0o711, "students must not be able to list the feedback"


@pytest.mark.parametrize("student", STUDENTS)
def test_student_fetches_only_their_own_feedback(hub, student):
    pages = hub.fetched_feedback(student)
    latest = inbound_entries(hub)[student][-1]["timestamp"]
    work = hub.users[student].work
    assert [p.relative_to(work).as_posix() for p in pages] == [
        f"{ASSIGNMENT}/feedback/{latest}/{NOTEBOOK}.html"]
    own = hub.course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
    assert pages[0].read_bytes() == own.read_bytes()


@pytest.mark.parametrize("student", STUDENTS)
def test_fetched_feedback_hides_hidden_tests_and_solutions(hub, student, homework_secrets,
                                                           leaks_in, html_text):
    page = hub.fetched_feedback(student)[0].read_text(encoding="utf-8")
    written = (hub.users[student].work / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text(
        encoding="utf-8")
    check_feedback_is_safe(page, written, sum(EXPECTED[student].values()),
                           f"{student} (fetched)", homework_secrets, leaks_in, html_text)


def test_bob_reads_why_his_answers_are_wrong(hub, html_text):
    text = html_text(hub.fetched_feedback("bob")[0].read_text(encoding="utf-8"))
    missing = [message for message in BOB_MESSAGES if message not in text]
    assert not missing, f"bob's feedback lacks the messages {missing}"
