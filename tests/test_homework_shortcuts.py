"""Homework that measures understanding: shortcuts earn at most 20 % of the autograded points.

For every homework with a shortcut module ``tests/shortcuts_hwNN.py``, one course folder is
graded by the real grader (``python -m backproplab_grader autograde``, sandboxed):

- the reference solution for each of 50 random student ids (each submitted by that
  student): every one must earn all autograded points. A shortcut module whose reference
  submissions are slow to grade may name ``VARIANT_KEY`` (variant -> a tuple of the fields
  that change what the reference code does); then ids from 400 random ones are graded until
  every value of every field has been seen, at least ``MIN_REFERENCE_IDS`` of them (homework
  6: each reference submission trains two PyTorch LSTMs);
- the shortcuts of that module's ``SHORTCUTS`` (the chapter's displayed functions pasted,
  one ``sp.diff`` per derivation, answers that follow the visible tests' messages, ...);
- another student's notebook submitted as is (its ``STUDENT_ID`` is not the submitter's);
- another student's answers, written for their variant (``concrete_answers``), with this
  student's id;
- the untouched release.

Each shortcut must earn at most ``SHORTCUT_SHARE`` of the autograded points. The points of
every submission are written to ``_build/homework-shortcuts.md``.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from homework_tools import notebook_path, submission
from nbgrader.api import Gradebook

from backproplab_grader.course import SOURCE_DIRECTORY, nbgrader_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOMEWORK = sorted(p.stem.removeprefix("shortcuts_") for p in Path(__file__).parent.glob(
    "shortcuts_hw*.py"))
SHORTCUT_SHARE = 0.20
N_REFERENCE_IDS = 50
MIN_REFERENCE_IDS = 12
OTHER_STUDENT = "alice0001"  # whose notebook and answers the copiers take


def reference_ids(n: int = N_REFERENCE_IDS) -> list[str]:
    """``n`` student ids in the forms courses use: student numbers, logins, e-mail-like."""
    rng = np.random.default_rng(20261202)
    ids = []
    for k in range(n):
        number = int(rng.integers(10**6, 10**8))
        form = k % 4
        ids.append([f"{number}", f"s{number}", f"a{number:08d}",
                    f"budi{number % 10000}.santoso"][form])
    return list(dict.fromkeys(ids))


def graded_reference_ids(homework: str) -> list[str]:
    """The ids whose reference solutions are graded: :func:`reference_ids`, or ids that
    together show every value of every field of the module's ``VARIANT_KEY`` (see the module
    docstring)."""
    key = getattr(importlib.import_module(f"shortcuts_{homework}"), "VARIANT_KEY", None)
    if key is None:
        return reference_ids()
    variant = importlib.import_module(f"backproplab.homework.{homework}").variant
    chosen, seen, pool = [], set(), reference_ids(400)
    for sid in pool:
        values = set(enumerate(key(variant(sid))))
        if not values <= seen:
            seen |= values
            chosen.append(sid)
    rest = [sid for sid in pool if sid not in chosen]
    return chosen + rest[:max(0, MIN_REFERENCE_IDS - len(chosen))]


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=root, env=nbgrader_env(),
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def shortcut_submissions(homework: str) -> dict[str, tuple[str, nbformat.NotebookNode]]:
    """student id -> (what the submission models, its notebook)."""
    module = importlib.import_module(f"shortcuts_{homework}")
    variant = importlib.import_module(f"backproplab.homework.{homework}").variant
    result = {}
    for name, (what, answers) in module.SHORTCUTS.items():
        student = name.replace("_", "-")
        result[student] = (what, submission(homework, student, answers, reference=False))
    result["other-notebook"] = (
        f"{OTHER_STUDENT}'s correct notebook, submitted as is",
        submission(homework, OTHER_STUDENT))
    result["other-answers"] = (
        f"{OTHER_STUDENT}'s answers (written for their variant), with this student's id",
        submission(homework, "other-answers",
                   module.concrete_answers(variant(OTHER_STUDENT)), reference=False))
    result["untouched"] = ("the release as it is", submission(homework, "untouched", {},
                                                               reference=False))
    return result


@pytest.fixture(scope="module", params=HOMEWORK)
def graded(request, tmp_path_factory):
    """(homework, {student: (what, autograded points)}, autograded maximum)."""
    homework = request.param
    root = tmp_path_factory.mktemp(f"shortcuts-{homework}")
    (root / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    source = root / SOURCE_DIRECTORY / homework
    source.mkdir(parents=True)
    notebook = notebook_path(homework)
    (source / notebook.name).write_bytes(notebook.read_bytes())
    run(root, "-m", "nbgrader", "generate_assignment", homework, "--force", "--log-level=WARN")

    whats = {}
    notebooks = {sid: ("reference solution", submission(homework, sid))
                 for sid in graded_reference_ids(homework)}
    notebooks.update(shortcut_submissions(homework))
    for student, (what, nb) in notebooks.items():
        folder = root / "submitted" / student / homework
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / notebook.name)
        (folder / "timestamp.txt").write_text("2026-12-02 12:00:00.000000 UTC\n")
        whats[student] = what
    run(root, "-m", "backproplab_grader", "autograde", homework, "--workers", "2", "--quiet")

    points = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(homework)
        maximum = sum(nb.max_code_score for nb in assignment.notebooks)
        for sub in assignment.submissions:
            points[sub.student.id] = (whats[sub.student.id], sub.code_score)
    report = ROOT / "_build" / "homework-shortcuts.md"
    report.parent.mkdir(exist_ok=True)
    lines = [f"## {homework}: autograded points of {maximum:g}", "",
             "| submission | what it is | points |", "|---|---|---|"]
    lines += [f"| {s} | {w} | {p:g} |" for s, (w, p) in sorted(points.items())
              if w != "reference solution"]
    refs = [p for w, p in points.values() if w == "reference solution"]
    lines += [f"| {len(refs)} reference ids | the reference solution | min {min(refs):g}, "
              f"max {max(refs):g} |", ""]
    with report.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return homework, points, maximum


def test_reference_earns_everything_for_every_id(graded):
    homework, points, maximum = graded
    refs = {s: p for s, (w, p) in points.items() if w == "reference solution"}
    assert len(refs) == len(graded_reference_ids(homework)) >= MIN_REFERENCE_IDS
    short = {s: p for s, p in refs.items() if p != maximum}
    assert not short, f"{homework}: the reference solution lost points for ids {short} (of {maximum})"


def test_shortcuts_earn_little(graded):
    homework, points, maximum = graded
    assert maximum == 10
    too_much = {s: (w, p) for s, (w, p) in points.items()
                if w != "reference solution" and p > SHORTCUT_SHARE * maximum}
    assert not too_much, (f"{homework}: shortcuts that earn more than "
                          f"{SHORTCUT_SHARE:.0%} of {maximum:g} points: {too_much}")
    assert {"other-notebook", "other-answers", "untouched"} <= set(points)
    assert points["other-notebook"][1] == 0
