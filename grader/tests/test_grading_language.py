"""Homework graded in Indonesian gives the English scores, with Indonesian feedback (issue 16).

For hw01 and hw03, in a throwaway course folder: nbgrader releases the homework into its
gradebook, ``backproplab_grader.translate`` writes the Indonesian release ``hwNN-id``, and
the same answers are submitted twice, once from each release:

- ``correct``: the reference solution, with a written answer filled in;
- ``wrong``: plausible mistakes (``tests/shortcuts_hwNN.py``);
- ``untouched``: the release as it is (written answers too).

The Indonesian ``wrong`` one comes as nbgrader's exchange leaves a ``collect hwNN-id``:
``submitted/<student>/hwNN-id/`` with no language in its metadata. The real grader
(``python -m backproplab_grader autograde``, sandboxed, and ``feedback``) grades all six;
each grade cell must score the same in both languages, and the Indonesian feedback must
show the Indonesian text of the test messages that the English feedback shows in English,
and no line of a hidden test or a solution.

The catalogues are the repository's, with every message they leave untranslated given a
marked stand-in ("(ID) " + English), so that the test does not wait for the translators.
The variants are drawn from STUDENT_ID; both languages use the same one, so the identity
check (STUDENT_ID = the submitter) is off here (``identity_name = ""``).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import polib
import pytest
from homework_tools import cells_by_id, id_source, reference_source, run_python
from nbgrader.api import Gradebook

from backproplab_grader.translate import (
    homework_catalogue_path,
    normalise,
    notebook_language,
    release_translation,
    split_template,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = "id"
STUDENT_ID = "s1234567"
STAND_IN = "(ID) "
KEEP_FEEDBACK = Path("/tmp/hw-id-feedback")
WRITTEN = ("**Jawaban.** Langkahnya melewati minimum, jadi jaraknya membesar.")


def wrong_answers(homework: str) -> dict[str, str]:
    if homework == "hw01":
        from shortcuts_hw01 import WRONG_ANSWERS

        return {gid: WRONG_ANSWERS[gid] for gid in ("q1_answer", "q3_answer", "q4_answer")}
    from shortcuts_hw03 import F_PRIME_OF_A

    return dict(F_PRIME_OF_A)


def fill_catalogue(source: Path, target: Path) -> None:
    """``source`` (a catalogue of the repository) at ``target``, every message that has no
    translation there translated by a marked stand-in."""
    po = polib.pofile(str(source))
    for entry in po:
        if entry.obsolete:
            continue
        if not entry.msgstr or "fuzzy" in entry.flags:
            entry.msgstr, entry.flags = STAND_IN + entry.msgid, []
    target.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(target))


def student_notebook(released: Path, source: Path, kind: str, homework: str):
    """A student's notebook of ``kind`` made from the ``released`` notebook (either
    language): the same answers in both."""
    nb = nbformat.read(released, as_version=4)
    solution = cells_by_id(nbformat.read(source, as_version=4))
    wrong = wrong_answers(homework)
    for grade_id, cell in cells_by_id(nb).items():
        if not cell.metadata["nbgrader"].get("solution"):
            continue
        if grade_id == "student_id":
            cell.source = id_source(STUDENT_ID)
        elif kind == "untouched":
            continue
        elif cell.cell_type == "markdown":
            if kind == "correct":
                cell.source = WRITTEN
        elif kind == "wrong" and grade_id in wrong:
            cell.source = wrong[grade_id]
        else:
            cell.source = reference_source(solution[grade_id])
    return nb


@pytest.fixture(scope="module", params=["hw01", "hw03"])
def graded(request, tmp_path_factory):
    """(homework, course folder, seconds the autograde command took)."""
    homework = request.param
    root = tmp_path_factory.mktemp(f"language-{homework}")
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(
        config + '\nc.SandboxedExecute.identity_name = ""  # one STUDENT_ID, six submitters\n',
        encoding="utf-8")
    shutil.copytree(ROOT / "solutions" / homework, root / "solutions" / homework)
    (notebook,) = sorted((root / "solutions" / homework).glob("*.ipynb"))
    fill_catalogue(ROOT / "locales" / LANGUAGE / "LC_MESSAGES" / "exercises" / homework
                   / f"{notebook.stem}.po",
                   root / "locales" / LANGUAGE / "LC_MESSAGES" / "exercises" / homework
                   / f"{notebook.stem}.po")
    fill_catalogue(homework_catalogue_path(ROOT, homework, LANGUAGE),
                   homework_catalogue_path(root, homework, LANGUAGE))
    run_python(root, "-m", "nbgrader", "generate_assignment", homework, "--force",
               "--log-level=WARN")
    release_translation(root, homework, LANGUAGE)

    for language in ("en", LANGUAGE):
        folder = homework if language == "en" else f"{homework}-{language}"
        released = root / "exercises" / folder / notebook.name
        for kind in ("correct", "wrong", "untouched"):
            student = f"{kind}-{language}"
            nb = student_notebook(released, notebook, kind, homework)
            target = root / "submitted" / student / homework
            if student == f"wrong-{LANGUAGE}":  # as `nbgrader collect hwNN-id` leaves it
                nb.metadata.pop("backproplab")
                target = target.with_name(f"{homework}-{LANGUAGE}")
            target.mkdir(parents=True)
            nbformat.write(nb, target / notebook.name)
            (target / "timestamp.txt").write_text("2026-12-03 12:00:00.000000 UTC\n")
    started = time.perf_counter()
    run_python(root, "-m", "backproplab_grader", "autograde", homework, "--workers", "2",
               "--quiet")
    seconds = time.perf_counter() - started
    run_python(root, "-m", "backproplab_grader", "feedback", f"{homework}-{LANGUAGE}")
    return homework, root, notebook.stem, seconds


def grades(root: Path, homework: str, notebook: str, student: str) -> dict:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(notebook, homework, student)
        return {g.name: (g.score, g.needs_manual_grade) for g in sub.grades}


def feedback(root: Path, homework: str, notebook: str, student: str) -> str:
    return (root / "feedback" / student / homework / f"{notebook}.html").read_text(
        encoding="utf-8")


@pytest.mark.parametrize("kind", ["correct", "wrong", "untouched"])
def test_same_scores_in_both_languages(graded, kind):
    homework, root, notebook, seconds = graded
    english = grades(root, homework, notebook, f"{kind}-en")
    indonesian = grades(root, homework, notebook, f"{kind}-{LANGUAGE}")
    assert english == indonesian, f"{homework} {kind}: {english} != {indonesian}"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        notebook_row = gb.find_notebook(notebook, homework)
        code_max = notebook_row.max_code_score
        code = gb.find_submission_notebook(notebook, homework, f"{kind}-en").code_score
    expected = {"correct": code_max, "untouched": 0}
    if kind in expected:
        assert code == expected[kind], (homework, kind, code)
    else:
        assert 0 < code < code_max, (homework, kind, code)
    written = {name for name, (score, manual) in english.items() if manual}
    assert bool(written) == (kind == "correct"), (
        "a filled-in written answer needs a grader; one left as released scores 0")


def test_indonesian_submissions_were_graded_in_indonesian(graded):
    homework, root, notebook, _ = graded
    for kind in ("correct", "wrong", "untouched"):
        nb = nbformat.read(root / "autograded" / f"{kind}-{LANGUAGE}" / homework
                           / f"{notebook}.ipynb", as_version=4)
        assert notebook_language(nb) == LANGUAGE
        nb = nbformat.read(root / "autograded" / f"{kind}-en" / homework
                           / f"{notebook}.ipynb", as_version=4)
        assert notebook_language(nb) is None
    problems = json.loads((root / "grading-reports" / homework / "problems.json").read_text())
    assert any(f"{homework}-{LANGUAGE}" in note for note in problems[f"wrong-{LANGUAGE}"])


def longest_text(message: str) -> str:
    """The longest stretch of a message without an f-string field."""
    try:
        parts = split_template(message)
    except ValueError:
        return message
    return max((text for kind, text in parts if kind == "text"), key=len, default="")


def test_indonesian_feedback_shows_indonesian_messages(graded, html_text):
    homework, root, notebook, _ = graded
    catalogue = polib.pofile(str(homework_catalogue_path(root, homework, LANGUAGE)))
    # (normalised: the feedback wraps a failure's message at 100 characters)
    english_page = normalise(html_text(feedback(root, homework, notebook, "wrong-en")))
    page = normalise(html_text(feedback(root, homework, notebook, f"wrong-{LANGUAGE}")))
    shown = []
    for entry in catalogue:
        english = normalise(longest_text(entry.msgid))
        translated = normalise(longest_text(entry.msgstr))
        # (docstrings of answer cells: the student's answer holds its own)
        if len(english) >= 20 and english in english_page and "docstring" not in entry.comment \
                and "written answer" not in entry.comment:
            shown.append(entry.msgid)
            assert translated in page, f"the Indonesian feedback lacks {translated!r}"
            if not entry.msgstr.startswith(STAND_IN) and translated != english:
                assert english not in page, f"the Indonesian feedback shows {english!r}"
    assert shown, "the English feedback shows no message of the catalogue"
    assert "tes tersembunyi dijalankan di sini" in page
    assert "hidden tests ran here" in english_page
    KEEP_FEEDBACK.mkdir(exist_ok=True)
    for student in (f"wrong-{LANGUAGE}", "wrong-en"):
        shutil.copy(root / "feedback" / student / homework / f"{notebook}.html",
                    KEEP_FEEDBACK / f"{homework}-{student}.html")


@pytest.mark.parametrize("kind", ["correct", "wrong", "untouched"])
def test_indonesian_feedback_hides_hidden_tests(graded, kind, homework_secrets, leaks_in,
                                               html_text):
    homework, root, notebook, _ = graded
    student = f"{kind}-{LANGUAGE}"
    page = feedback(root, homework, notebook, student)
    written = (root / "submitted" / student / homework / f"{notebook}.ipynb").read_text(
        encoding="utf-8")
    secrets = [s for s in homework_secrets if not leaks_in(written, [s])]
    leaked = leaks_in(page, secrets) + leaks_in(html_text(page), secrets)
    assert not leaked, "\n".join(sorted({str(s) for s in leaked}))
    for marker in ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION"]:
        assert marker not in page
    assert re.search(r"Score:\s*[\d.]+\s*/\s*[\d.]+", html_text(page))


def test_grading_time(graded):
    """Six submissions, two workers: recorded for the report (not a limit)."""
    homework, _, _, seconds = graded
    print(f"{homework}: autograde of 6 submissions took {seconds:.1f} s")
    assert seconds < 1800


def test_lms_zip_of_the_indonesian_assignment(graded, tmp_path):
    """``import-zip hw01-id``: the notebooks go to submitted/<student>/hw01, marked as
    Indonesian (an English notebook in that zip too: the LMS assignment says the language)."""
    import zipfile

    from backproplab_grader.cli import Course, main, resolve_homework

    homework, root, notebook, _ = graded
    course = Course.load(root)
    assert resolve_homework(course, f"{homework}-{LANGUAGE}") == (homework, LANGUAGE)
    assert resolve_homework(course, homework) == (homework, None)
    assert resolve_homework(course, "hw99-id") == ("hw99-id", None)  # no hw99 to mean
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(root / "exercises" / homework / f"{notebook}.ipynb",
                 f"ani/{notebook}.ipynb")
    assert main(["import-zip", f"{homework}-{LANGUAGE}", str(archive),
                 "--course", str(root)]) == 0
    imported = nbformat.read(root / "submitted" / "ani" / homework / f"{notebook}.ipynb",
                             as_version=4)
    assert notebook_language(imported) == LANGUAGE


def test_exchange_round_in_indonesian(graded, tmp_path):
    """nbgrader's exchange, as on a hub: the instructor releases hw01-id, a student fetches
    and submits it, the instructor collects hw01-id and grades hw01 (one assignment in the
    gradebook), releases hw01's feedback, and the student fetches it as hw01-id's."""
    from test_exchange import COURSE_ID, make_user  # grader/tests: the exchange test's helpers

    homework, _, notebook, _ = graded
    if homework != "hw01":
        pytest.skip("one homework is enough for the exchange")
    assignment = f"{homework}-{LANGUAGE}"
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    shutil.copytree(ROOT / "solutions" / homework, course / "solutions" / homework)
    shutil.copytree(ROOT / "solutions" / ".locales", course / "solutions" / ".locales")
    instructor = make_user(tmp_path, "instructor", exchange, work=course)
    student = make_user(tmp_path, "siti", exchange)
    instructor.nbgrader("generate_assignment", homework, "--force")
    shutil.copytree(ROOT / "exercises" / assignment, course / "exercises" / assignment)
    instructor.nbgrader("db", "student", "add", "siti", "--first-name=Siti",
                        "--last-name=Student")
    instructor.nbgrader("release_assignment", assignment)

    student.nbgrader("fetch_assignment", assignment, f"--course={COURSE_ID}")
    fetched = student.work / assignment / f"{notebook}.ipynb"
    nb = nbformat.read(fetched, as_version=4)
    assert notebook_language(nb) == LANGUAGE
    solution = cells_by_id(nbformat.read(ROOT / "solutions" / homework / f"{notebook}.ipynb",
                                         as_version=4))
    for grade_id, cell in cells_by_id(nb).items():
        if cell.cell_type == "code" and cell.metadata["nbgrader"].get("solution"):
            cell.source = (id_source("siti") if grade_id == "student_id"
                           else reference_source(solution[grade_id]))
    nbformat.write(nb, fetched)
    student.nbgrader("submit", assignment, f"--course={COURSE_ID}", "--student=siti")

    instructor.nbgrader("collect", assignment)
    instructor.run("-m", "backproplab_grader", "autograde", homework, "--workers", "1",
                   "--quiet")
    instructor.run("-m", "backproplab_grader", "feedback", homework)
    instructor.nbgrader("release_feedback", homework)
    student.nbgrader("fetch_feedback", assignment, f"--course={COURSE_ID}", "--student=siti")

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(notebook, homework, "siti")
        assert sub.code_score == gb.find_notebook(notebook, homework).max_code_score
    (page,) = sorted((student.work / assignment / "feedback").rglob("*.html"))
    assert "Tugas 1" in page.read_text(encoding="utf-8")
