"""The instructor's grading command: LMS zip in, grades, feedback and a summary out.

    backproplab-grader grade hw01 submissions.zip     # all steps below
    backproplab-grader import-zip hw01 submissions.zip
    backproplab-grader autograde hw01 [--workers N] [--student ID ...]
    backproplab-grader feedback hw01
    backproplab-grader export hw01 [--to grades/hw01.csv]

(``python -m backproplab_grader`` is the same command.) Run it in the course folder (the one
with ``nbgrader_config.py``) or pass ``--course``.
Grades live in nbgrader's gradebook (``db_url`` of the configuration, SQLite
``gradebook.db`` by default, or PostgreSQL); submissions in ``submitted/<student>/<hw>/``,
as nbgrader's exchange ``collect`` leaves them. Autograding runs in parallel worker
processes (default: one per core); each worker grades one submission at a time with
nbgrader's pipeline and the sandboxed executor of ``backproplab_grader.executor``. A broken
or hostile submission is graded (usually 0), reported in the summary, and never stops the
batch.

A homework released in another language too (``exercises/hw01-id``, see
``backproplab_grader.translate``) is one assignment: ``hw01``. A notebook of the translated
release says its language in its metadata and is graded as hw01, by the same tests, with
feedback in its language. ``import-zip hw01-id`` (an LMS assignment of its own) imports into
``submitted/<student>/hw01``; folders ``submitted/<student>/hw01-id`` (nbgrader's exchange
``collect hw01-id``) are taken into ``hw01`` when autograding, if they are the newer
submission. The other commands accept ``hw01-id`` for ``hw01``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import nbformat

from backproplab_grader import nbgrader_patches
from backproplab_grader.i18n import gettext as _
from backproplab_grader.translate import METADATA_KEY, notebook_language, split_language

MAX_NOTEBOOK_BYTES = 50 * 2**20
MAX_ZIP_BYTES = 4 * 2**30
STUDENT_ID = re.compile(r"[^A-Za-z0-9._@-]+")
# How LMS downloads name files. Canvas: login_[late_]userid_submissionid_original-name;
# Moodle and most others: one folder per student.
ZIP_PATTERNS = [
    re.compile(r"^(?P<student>[^/_]+)_(?:late_|LATE_)?\d+_\d+_(?P<file>[^/]+)$"),
    re.compile(r"^(?:[^/]+/)*?(?P<student>[^/]+)/(?P<file>[^/]+)$"),
]


class GradingError(RuntimeError):
    """The grader itself cannot run (bad arguments, missing sandbox): exit status 2."""


# ---- the course ----------------------------------------------------------------------

@dataclass
class Course:
    root: Path
    db_url: str
    config: object
    notes: dict = field(default_factory=dict)  # student -> list of problems found

    @classmethod
    def load(cls, root: Path, db_url: str | None = None) -> Course:
        from traitlets.config.loader import PyFileConfigLoader

        root = root.resolve()
        if not (root / "nbgrader_config.py").exists():
            raise GradingError(f"{root} has no nbgrader_config.py: run the command in the "
                               "course folder or pass --course.")
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        config.CourseDirectory.root = str(root)
        if db_url:
            config.CourseDirectory.db_url = db_url
        db_url = config.CourseDirectory.get("db_url") or f"sqlite:///{root / 'gradebook.db'}"
        config.CourseDirectory.db_url = db_url
        return cls(root, db_url, config)

    def note(self, student: str, text: str) -> None:
        self.notes.setdefault(student, []).append(text)

    def _notes_file(self, hw: str) -> Path:
        return self.root / "grading-reports" / hw / "problems.json"

    def save_notes(self, hw: str, students: list[str]) -> None:
        """Keep the problems found with the reports, for a later summary or export."""
        path = self._notes_file(hw)
        saved = json.loads(path.read_text()) if path.exists() else {}
        saved.update({s: self.notes.get(s, []) for s in students})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=1))

    def load_notes(self, hw: str) -> None:
        path = self._notes_file(hw)
        if path.exists():
            for student, notes in json.loads(path.read_text()).items():
                self.notes.setdefault(student, notes)

    def notebooks(self, hw: str) -> list[str]:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gb:
            try:
                return [nb.name for nb in gb.find_assignment(hw).notebooks]
            except MissingEntry:
                raise GradingError(f"{hw} is not in the gradebook: release it first with "
                                   f"`nbgrader generate_assignment {hw}`.") from None

    def students(self, hw: str) -> list[str]:
        folder = self.root / "submitted"
        return sorted(p.parent.name for p in folder.glob(f"*/{hw}") if p.is_dir()) \
            if folder.exists() else []


# ---- step 1: an LMS zip into submitted/ ---------------------------------------------

def import_zip(course: Course, hw: str, archive: Path, pattern: str | None = None,
               language: str | None = None) -> list[str]:
    """Unpack the notebooks of an LMS download into ``submitted/<student>/<hw>/``; with
    ``language`` (the zip of a translated release's LMS assignment), each notebook that
    does not say its language is marked as being in ``language`` (``mark_language``)."""
    patterns = [re.compile(pattern)] if pattern else ZIP_PATTERNS
    expected = course.notebooks(hw)
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as error:
        raise GradingError(f"{archive} is not a zip file I can read: {error}") from None
    found: dict[str, list[tuple[str, zipfile.ZipInfo]]] = {}
    with zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_ZIP_BYTES:
            raise GradingError(f"{archive} unpacks to over 4 GB; that is not a homework download.")
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            if info.is_dir() or "/." in "/" + name or not name.lower().endswith(".ipynb"):
                continue
            if name.startswith("/") or ".." in name.split("/"):
                print(f"skipped {name!r}: a path outside the archive", file=sys.stderr)
                continue
            match = next((m for p in patterns if (m := p.match(name))), None)
            if not match:
                print(f"skipped {name!r}: no student name in it (see --pattern)", file=sys.stderr)
                continue
            student = STUDENT_ID.sub("_", match.group("student")).strip("._") or "unknown"
            filename = match.groupdict().get("file") or name.rsplit("/", 1)[-1]
            found.setdefault(student, []).append((filename, info))
        for student, files in sorted(found.items()):
            target = course.root / "submitted" / student / hw
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for filename, info in files:
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    course.note(student, _("{file}: larger than 50 MB, not graded").format(
                        file=filename))
                    continue
                with zf.open(info) as src:
                    data = src.read(MAX_NOTEBOOK_BYTES + 1)
                out = target / Path(filename).name
                if len(files) == 1 and out.stem not in expected and len(expected) == 1:
                    out = target / f"{expected[0]}.ipynb"
                    if filename != out.name:
                        course.note(student, _("renamed {old!r} to {new!r}").format(
                            old=filename, new=out.name))
                out.write_bytes(data)
                if language:
                    mark_language(out, language)
    return sorted(found)


# ---- homework in another language (backproplab_grader.translate) ----------------------

def resolve_homework(course: Course, name: str) -> tuple[str, str | None]:
    """The gradebook's assignment and the language of a homework name: ``hw01`` ->
    (``hw01``, None), ``hw01-id`` -> (``hw01``, ``id``) when ``hw01-id`` is no assignment of
    its own but ``hw01`` is."""
    base, language = split_language(name)
    if language is None:
        return name, None
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url) as gb:
        def known(assignment: str) -> bool:
            try:
                gb.find_assignment(assignment)
                return True
            except MissingEntry:
                return False

        if known(name) or not known(base):
            return name, None
    return base, language


def mark_language(path: Path, language: str) -> bool:
    """Write ``language`` into the notebook's metadata (``backproplab.language``) unless it
    says a language already or is no readable notebook (then ``prepare`` reports it).
    True if it was marked."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - anything unreadable is prepare()'s to report
        return False
    if notebook_language(nb) is not None:
        return False
    meta = nb.metadata.get(METADATA_KEY)
    nb.metadata[METADATA_KEY] = {**(meta if isinstance(meta, dict) else {}), "language": language}
    nbformat.write(nb, path)
    return True


def _timestamp(folder: Path) -> str:
    """nbgrader's ``timestamp.txt`` of a submission folder ('' if none): its format
    (``2026-11-23 12:00:00.000000 UTC``) sorts as text."""
    path = folder / "timestamp.txt"
    return path.read_text().strip() if path.is_file() else ""


def take_translated_submissions(course: Course, hw: str) -> list[str]:
    """Copy each ``submitted/<student>/<hw>-<lang>/`` (nbgrader's exchange ``collect
    <hw>-<lang>``) into ``submitted/<student>/<hw>/`` when the student has no submission
    there or an older one (by ``timestamp.txt``), its notebooks marked as being in
    ``<lang>``; the students whose submission was taken. The folder itself stays (collect
    would fetch it again)."""
    taken = []
    folder = course.root / "submitted"
    if not folder.is_dir():
        return taken
    for translated in sorted(folder.glob(f"*/{hw}-*")):
        base, language = split_language(translated.name)
        if base != hw or language is None or not translated.is_dir():
            continue
        student, target = translated.parent.name, translated.parent / hw
        if target.exists() and _timestamp(target) >= _timestamp(translated):
            continue
        replaced = target.exists()
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(translated, target)
        for notebook in target.glob("*.ipynb"):
            mark_language(notebook, language)
        course.note(student, f"graded the submission of {translated.name}"
                    + (", newer than the one of " + hw if replaced else ""))
        taken.append(student)
    return taken


# ---- step 2: checks before grading ----------------------------------------------------

def prepare(course: Course, hw: str, student: str, expected: list[str]) -> None:
    """Put a single renamed notebook under its expected name; move aside what is not a
    notebook (nbgrader then grades the missing notebook 0)."""
    folder = course.root / "submitted" / student / hw
    present = {p.stem: p for p in folder.glob("*.ipynb")}
    missing = [name for name in expected if name not in present]
    others = [p for stem, p in present.items() if stem not in expected]
    if len(missing) == 1 and len(others) == 1:
        others[0].rename(folder / f"{missing[0]}.ipynb")
        course.note(student, _("renamed {old!r} to '{new}.ipynb'").format(
            old=others[0].name, new=missing[0]))
        missing = []
    for name in missing:
        course.note(student, _("{name}.ipynb is missing: 0 points").format(name=name))
    for name in expected:
        path = folder / f"{name}.ipynb"
        if not path.exists():
            continue
        problem = None
        try:
            if path.stat().st_size > MAX_NOTEBOOK_BYTES:
                problem = _("larger than 50 MB")
            else:
                nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as error:  # noqa: BLE001 - anything unreadable
            problem = _("not a valid notebook ({error})").format(error=type(error).__name__)
        if problem:
            rejected = course.root / "rejected" / hw / student
            rejected.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), rejected / path.name)
            course.note(student, _("{name}.ipynb is {problem}: 0 points "
                                   "(kept in rejected/{hw}/{student}/)").format(
                name=name, problem=problem, hw=hw, student=student))


def record_zero(course: Course, hw: str, student: str) -> None:
    """A submission without a single readable notebook: 0 points in the gradebook, as
    nbgrader itself records a missing notebook (it refuses to autograde none at all)."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(hw, student)
        for notebook in gb.find_submission(hw, student).notebooks:
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = 0, False
        gb.db.commit()
    shutil.rmtree(course.root / "autograded" / student / hw, ignore_errors=True)


# ---- step 3: autograding in parallel --------------------------------------------------

_api = None
_running: Path | None = None  # a file per submission being graded: who was in flight
_db_seconds = [0.0]


def _worker_init(root: str, db_url: str, sandbox: bool, timeout: float, running: str) -> None:
    """One nbgrader API per worker process; the database time is counted."""
    global _api, _running
    _running = Path(running)
    _die_with_parent()
    course = Course.load(Path(root), db_url)
    if sandbox:  # the zygote imports its modules while this process imports nbgrader
        from backproplab_grader import zygote
        from backproplab_grader.executor import KernelSetup

        zygote.shared(KernelSetup.from_config(course.config).preload)
    import logging
    import warnings

    from nbgrader.apps import NbGraderAPI

    warnings.filterwarnings("ignore")
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    course.config.SandboxedExecute.sandbox = sandbox
    if timeout:
        course.config.SandboxedExecute.timeout = timeout
    _api = NbGraderAPI(config=course.config)
    nbgrader_patches.install(_add_database_seconds)


def _add_database_seconds(seconds: float) -> None:
    _db_seconds[0] += seconds


def _die_with_parent() -> None:
    """A worker ends when the command that started it ends, even when that one is killed
    (Linux: PR_SET_PDEATHSIG); its sandboxed kernels end with it (bwrap --die-with-parent)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers end when their queue closes
        pass


def _grade_one(hw: str, student: str, crash: bool = False) -> dict:
    """Autograde one submission (``crash``: the worker dies here instead, as a killed one
    would; for the tests)."""
    _db_seconds[0] = 0.0
    marker = _running / student
    marker.touch()
    if crash:
        os._exit(3)
    started = time.perf_counter()
    result = _api.autograde(hw, student, force=True, create=True)
    if not result.get("success"):  # once more: a busy machine, a lock held too long
        failed = result
        result = _api.autograde(hw, student, force=True, create=True)
        if not result.get("success"):
            _keep_log(hw, student, failed, result)
    total = time.perf_counter() - started
    marker.unlink(missing_ok=True)
    error = None
    if not result.get("success"):
        lines = [line for line in (result.get("error") or result.get("log") or "").splitlines()
                 if line.strip() and "see the the above traceback" not in line
                 and "above traceback" not in line]
        error = lines[-1][:300] if lines else "nbgrader failed"
    return {"student": student, "total_s": total, "database_s": _db_seconds[0], "error": error}


def _keep_log(hw: str, student: str, *results: dict) -> None:
    """nbgrader's whole log of a failed autograde, for the instructor to read."""
    folder = _running.parent / "logs"
    folder.mkdir(exist_ok=True)
    (folder / f"{student}.log").write_text("\n\n".join(
        (r.get("log") or "") + "\n" + (r.get("error") or "") for r in results))


def _run_pool(students: list[str], hw: str, workers: int, initargs: tuple, running: Path,
              bar, crash_worker_on: str | None = None) -> tuple[list[dict], list[str]]:
    """Grade ``students`` in a pool of ``workers``; returns (records, students whose
    worker died while grading them)."""
    from concurrent.futures.process import BrokenProcessPool

    shutil.rmtree(running, ignore_errors=True)
    running.mkdir(parents=True)
    records, broken = [], False
    with ProcessPoolExecutor(max_workers=min(workers, len(students)),
                             mp_context=get_context("spawn"), initializer=_worker_init,
                             initargs=initargs) as pool:
        futures = {pool.submit(_grade_one, hw, s, s == crash_worker_on): s for s in students}
        for future in as_completed(futures):
            try:
                records.append(future.result())
                bar.update()
            except BrokenProcessPool:
                broken = True
    crashed = sorted(p.name for p in running.iterdir()) if broken else []
    shutil.rmtree(running, ignore_errors=True)
    return records, crashed


def autograde(course: Course, hw: str, students: list[str] | None = None, *, workers: int = 0,
              sandbox: bool = True, timeout: float = 0, timings: Path | None = None,
              progress: bool = True, crash_worker_on: str | None = None) -> list[dict]:
    """Autograde ``students`` (default: every submission of ``hw``) in parallel; returns a
    record per student. ``crash_worker_on`` (for the tests): the worker that grades this
    student dies there, each time, as a worker that is killed would."""
    from tqdm.auto import tqdm

    from backproplab_grader.sandbox import bwrap_available

    if sandbox and (why := bwrap_available()):
        raise GradingError(why)
    try:
        nbgrader_patches.check_version()
    except nbgrader_patches.UnsupportedNbgrader as error:
        raise GradingError(str(error)) from None
    expected = course.notebooks(hw)
    take_translated_submissions(course, hw)
    students = students or course.students(hw)
    if not students:
        raise GradingError(f"no submissions of {hw} in {course.root / 'submitted'}: "
                           f"expected folders submitted/<student>/{hw}/.")
    for student in students:
        prepare(course, hw, student, expected)
    empty = [s for s in students if not any(
        (course.root / "submitted" / s / hw / f"{name}.ipynb").exists() for name in expected)]
    for student in empty:
        record_zero(course, hw, student)
    students = [s for s in students if s not in empty]
    workers = workers or os.cpu_count() or 1
    reports_dir = course.root / "grading-reports" / hw
    for student in students:
        for name in expected:
            (reports_dir / f"{student}.{name}.json").unlink(missing_ok=True)
    records = []
    if not students:
        course.save_notes(hw, empty)
        return records
    bar = tqdm(total=len(students), desc=f"grading {hw}", unit="notebook", disable=not progress)
    running = reports_dir / f".running-{os.getpid()}-{time.time_ns()}"  # this run's only
    pending, suspects, attempts = list(students), [], dict.fromkeys(students, 0)
    initargs = (str(course.root), course.db_url, sandbox, timeout, str(running))
    while pending or suspects:
        # A worker that dies (killed, out of memory) breaks its whole pool: the submissions
        # it was grading are retried one at a time, the others in a new pool.
        alone = not pending
        batch, size = ([suspects.pop(0)], 1) if alone else (pending, workers)
        for student in batch:
            attempts[student] += 1
        done, crashed = _run_pool(batch, hw, size, initargs, running, bar, crash_worker_on)
        records.extend(done)
        finished = {r["student"] for r in done}
        leftover = [s for s in batch if s not in finished]
        if alone:
            for student in leftover:  # it was alone: the crash was its own
                record_zero(course, hw, student)
                records.append({"student": student, "total_s": 0.0, "database_s": 0.0,
                                "error": "the grader's worker died twice on this submission; "
                                         "graded 0, look at it by hand"})
                bar.update()
            continue
        suspects += [s for s in leftover if s in crashed or attempts[s] >= 3]
        pending = [s for s in leftover if s not in suspects]
    bar.close()
    for record in records:
        if record["error"]:
            course.note(record["student"], f"grader: {record['error']}")
    for record in records:
        kernel = execution = 0.0
        for name in expected:
            report = reports_dir / f"{record['student']}.{name}.json"
            if not report.exists():
                continue
            data = json.loads(report.read_text())
            kernel += data["kernel_start_s"]
            execution += data["execution_s"]
            for problem in data["problems"]:
                course.note(record["student"], problem)
        record.update(kernel_start_s=kernel, execution_s=execution,
                      other_s=max(record["total_s"] - kernel - execution - record["database_s"], 0))
    records.sort(key=lambda r: r["student"])
    course.save_notes(hw, students + empty)
    if timings:
        timings.write_text(json.dumps(records, indent=1))
    return records


# ---- steps 4 and 5: feedback and the grades file --------------------------------------

def feedback(course: Course, hw: str, students: list[str] | None = None) -> None:
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=course.config)
    for student in students or course.students(hw):
        if (course.root / "autograded" / student / hw).exists():
            result = api.generate_feedback(hw, student, force=True)
            if not result.get("success"):
                course.note(student, "feedback could not be generated")


def scores(course: Course, hw: str) -> list[dict]:
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(course.db_url) as gb:
        assignment = gb.find_assignment(hw)
        for submission in sorted(assignment.submissions, key=lambda s: s.student.id):
            penalty = submission.late_submission_penalty or 0.0
            rows.append({"student": submission.student.id, "score": submission.score,
                         "max_score": assignment.max_score, "late_penalty": penalty,
                         "final_score": max(submission.score - penalty, 0.0),
                         "needs_manual_grade": submission.needs_manual_grade,
                         "timestamp": submission.timestamp.isoformat() if submission.timestamp else ""})
    return rows


def export(course: Course, hw: str, to: Path) -> Path:
    to = to if to.is_absolute() else course.root / to
    to.parent.mkdir(parents=True, exist_ok=True)
    with open(to, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "score", "max_score", "late_penalty",
                                               "final_score", "needs_manual_grade", "timestamp",
                                               "problems"])
        writer.writeheader()
        for row in scores(course, hw):
            writer.writerow({**row, "problems": "; ".join(course.notes.get(row["student"], []))})
    return to


def summary(course: Course, hw: str) -> str:
    rows = scores(course, hw)
    width = max([len(r["student"]) for r in rows] + [7])
    lines = [f"{'student':<{width}}  {'score':>11}  problems found",
             f"{'-' * width}  {'-' * 11}  {'-' * 40}"]
    for row in rows:
        problems = course.notes.get(row["student"], [])
        score = f"{row['final_score']:g} / {row['max_score']:g}"
        if row["late_penalty"]:
            problems = [_("late: {points:g} points off").format(points=row["late_penalty"]),
                        *problems]
        if row["needs_manual_grade"]:
            problems = [_("needs manual grading (written answers: formgrader)"), *problems]
        lines.append(f"{row['student']:<{width}}  {score:>11}  "
                     + ("; ".join(problems) if problems else "none"))
    graded = [r["score"] for r in rows]
    if graded:
        lines.append(f"{len(graded)} submissions, mean {sum(graded) / len(graded):.2f} of "
                     f"{rows[0]['max_score']:g}")
    return "\n".join(lines)


# ---- the command line -----------------------------------------------------------------

def main(argv: list[str] | None = None, *, crash_worker_on: str | None = None) -> int:
    """The command line (``crash_worker_on``: see ``autograde``, for the tests)."""
    parser = argparse.ArgumentParser(prog="backproplab-grader",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help: str, *, archive=False, grading=False):
        p = sub.add_parser(name, help=help)
        p.add_argument("homework", help="the assignment, e.g. hw01")
        if archive:
            p.add_argument("zip", type=Path, help="the LMS download: a zip of notebooks")
            p.add_argument("--pattern", help="regular expression with a (?P<student>...) "
                           "group, matched against each path in the zip")
        if grading:
            p.add_argument("--workers", type=int, default=0, help="parallel graders "
                           "(default: the number of cores)")
            p.add_argument("--timeout", type=float, default=0,
                           help="seconds a cell may run (default: nbgrader_config.py's)")
            p.add_argument("--no-sandbox", action="store_true", help="run student code "
                           "without bubblewrap (only for submissions you trust)")
            p.add_argument("--student", action="append", help="only this student (repeatable)")
            p.add_argument("--timings", type=Path, help="write per-submission timings (JSON)")
            p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--course", type=Path, default=Path("."), help="the course folder")
        p.add_argument("--db", help="gradebook URL (default: nbgrader_config.py's db_url)")
        return p

    add("grade", "import a zip, autograde, feedback, export, summary", archive=True,
        grading=True).add_argument("--to", type=Path, help="grades CSV (default grades/HW.csv)")
    add("import-zip", "unpack an LMS zip into submitted/", archive=True)
    add("autograde", "autograde submitted/*/HW in parallel, in the sandbox", grading=True)
    add("feedback", "generate feedback/<student>/HW/*.html")
    add("export", "write the grades CSV").add_argument("--to", type=Path)
    args = parser.parse_args(argv)
    try:
        course = Course.load(args.course, args.db)
        hw, language = resolve_homework(course, args.homework)
        if language:
            print(f"{args.homework}: the {language} release of {hw}, graded as {hw}")
        if args.command in ("grade", "import-zip"):
            imported = import_zip(course, hw, args.zip, args.pattern, language)
            print(f"{len(imported)} submissions of {hw} imported into submitted/")
            for student in imported:
                for problem in course.notes.get(student, []):
                    print(f"  {student}: {problem}")
        if args.command in ("export", "feedback"):
            course.load_notes(hw)
        if args.command in ("grade", "autograde"):
            started = time.perf_counter()
            autograde(course, hw, args.student, workers=args.workers,
                      sandbox=not args.no_sandbox, timeout=args.timeout,
                      timings=args.timings, progress=not args.quiet,
                      crash_worker_on=crash_worker_on)
            print(f"autograded in {time.perf_counter() - started:.1f} s")
        if args.command in ("grade", "feedback"):
            feedback(course, hw, getattr(args, "student", None))
            print(f"feedback in {course.root / 'feedback'}/<student>/{hw}/")
        if args.command in ("grade", "export"):
            path = export(course, hw, args.to or Path("grades") / f"{hw}.csv")
            print(f"grades written to {path}")
        if args.command in ("grade", "autograde"):
            course.load_notes(hw)  # the problems of students graded in earlier runs
            print()
            print(summary(course, hw))
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
