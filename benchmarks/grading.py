"""How fast a batch of homework is graded: stock nbgrader against backproplab_grader.

Generates ``--n`` submissions (default 60) of one homework (default hw01, cheap to run, so
that the grader's own overhead dominates) from the released notebooks in ``exercises/``:

- correct: every answer cell holds the reference solution from ``solutions/`` (without the
  ``### BEGIN/END SOLUTION`` lines);
- partly wrong: some answers are typical slips (``wrong_answers``: the ``WRONG_ANSWERS`` of
  ``tests/shortcuts_HW.py``; for homework without them, the stub is left in), the others
  correct; every student sets ``STUDENT_ID`` to their own id (their variant);
- untouched: the release as it is.

The pattern is 3 correct, 2 partly wrong, 1 untouched in every 6 students. A template course
(a stock ``nbgrader_config.py``, ``solutions/``, hw released with ``nbgrader
generate_assignment``, the students in the gradebook, their notebooks in ``submitted/``) is
copied afresh for every run, so each run has its own gradebook and grades the same files:

1. stock: ``nbgrader autograde HW``, serial, with a minimal stock configuration (course_id,
   source and release directories, ``ExecutePreprocessor.timeout``), not the repository's;
2. ours, W workers: ``python -m backproplab_grader autograde HW --workers W`` (default W =
   ``os.cpu_count()``) with the repository's ``nbgrader_config.py``; issue 7's target is at
   least 2x faster than (1) on 2 cores;
3. ours, 1 worker: the sandbox's cost per submission against (1) (issue 6);
4. ours, 1 worker, ``--no-sandbox``: without the sandbox. This also starts every student
   kernel anew, where (3) forks it from the worker's zygote (``backproplab_grader.zygote``)
   into its sandbox, so (3) - (4) is the cost of sandbox and zygote together.

Before the timed runs, each grader grades one submission in a scratch course, untimed, so
that the first timed run does not pay for cold file caches. The script prints each run's
wall time and seconds per submission (wall / n), the ratios, whether every student's grades
(total and per test) equal those of stock nbgrader, and for our runs the per-submission cost
split read from ``--timings FILE.json`` (kernel start, execution, database, total: median,
90th percentile, share of the summed total). Everything also goes to
``benchmarks/results/grading.json``. Without ``backproplab_grader`` installed, only the stock
run is made. It exits with 1 when a grader failed or grades differ, not for speed.

Run: .venv/bin/python benchmarks/grading.py [--n 60] [--homework hw03] [--workers 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbgrader.api import Gradebook, MissingEntry

from backproplab_grader.course import RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_env

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "grading.json"
PATTERN = ["correct", "partly wrong", "correct", "partly wrong", "correct", "untouched"]
SEED = 20261123
CELL_TIMEOUT = 120  # seconds, as in the repository's nbgrader_config.py
RUN_TIMEOUT = 4 * 3600  # seconds for one grading run, a guard against a hang
TIMING_FIELDS = ["kernel_start_s", "execution_s", "database_s", "total_s"]
LINGER = 5.0  # seconds a grader's helper processes may take to exit after it
TOLERANCE = 1e-9  # points; grades are sums of a few points, equal runs agree exactly

STOCK_CONFIG = f'''\
"""Stock nbgrader for benchmarks/grading.py: no backproplab preprocessor or executor."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "backprop-lab"
c.CourseDirectory.source_directory = "{SOURCE_DIRECTORY}"
c.CourseDirectory.release_directory = "{RELEASE_DIRECTORY}"
c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}
'''

MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)

def wrong_answers(homework: str) -> dict[str, str]:
    """Typical slips of ``homework``: ``WRONG_ANSWERS`` of ``tests/shortcuts_<homework>.py``
    when it has them ({grade_id: whole cell source}, each passing the visible tests and failing
    hidden ones), else none (partly wrong students then leave stubs in)."""
    path = ROOT / "tests" / f"shortcuts_{homework}.py"
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location(f"shortcuts_{homework}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(getattr(module, "WRONG_ANSWERS", {}))


# ----------------------------------------------------------------------------- submissions

@dataclass
class Submission:
    student: str
    kind: str  # "correct", "partly wrong" or "untouched"
    notebooks: dict[str, nbformat.NotebookNode]  # file name -> notebook
    wrong: list[str] = field(default_factory=list)  # grade_ids answered wrongly


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The cells a student writes in, by grade_id."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def solution_source(cell) -> str:
    """The source notebook's answer, without the ``### BEGIN/END SOLUTION`` lines."""
    return MARKER_LINE.sub("", cell.source).rstrip("\n")


def make_submissions(homework: str, n: int, rng: np.random.Generator,
                     root: Path = ROOT) -> list[Submission]:
    """``n`` students' notebooks of ``homework``, made from its released notebooks.

    Student ``i`` is of kind ``PATTERN[i % 6]``. A partly wrong student answers a random,
    non-empty subset of the questions with a slip from ``WRONG_ANSWERS`` (or, for homework
    without listed slips, leaves their stub in) and the others correctly.
    """
    released = sorted((root / RELEASE_DIRECTORY / homework).glob("*.ipynb"))
    if not released:
        raise SystemExit(f"no released notebooks in {root / RELEASE_DIRECTORY / homework}; "
                         "run `make exercises`")
    solutions = {path.name: answer_cells(nbformat.read(
        root / SOURCE_DIRECTORY / homework / path.name, as_version=4)) for path in released}
    slips = wrong_answers(homework)
    wrongable = sorted(g for cells in solutions.values() for g in cells
                       if g != "student_id" and (not slips or g in slips))
    result = []
    for i in range(n):
        kind, student = PATTERN[i % len(PATTERN)], f"s{i + 1:03d}"
        wrong = []
        if kind == "partly wrong":
            size = int(rng.integers(1, len(wrongable) + 1))
            wrong = sorted(rng.choice(wrongable, size=size, replace=False).tolist())
        notebooks = {}
        for path in released:
            nb = nbformat.read(path, as_version=4)
            if kind != "untouched":
                for grade_id, cell in answer_cells(nb).items():
                    if grade_id == "student_id":  # each student's own id: their variant
                        cell.source = f"STUDENT_ID = {student!r}\n"
                    elif grade_id not in wrong:
                        cell.source = solution_source(solutions[path.name][grade_id])
                    elif grade_id in slips:
                        cell.source = slips[grade_id]
            notebooks[path.name] = nb
        result.append(Submission(student, kind, notebooks, wrong))
    return result


# ----------------------------------------------------------------------------- courses

def nbgrader(course: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                            env=nbgrader_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed ({result.returncode}) in "
                         f"{course}:\n{result.stdout}\n{result.stderr}")


def make_course(course: Path, homework: str, submissions: list[Submission]) -> None:
    """A stock course folder: homework released, students in the gradebook, submitted."""
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(STOCK_CONFIG)
    shutil.copytree(ROOT / SOURCE_DIRECTORY / homework, course / SOURCE_DIRECTORY / homework)
    nbgrader(course, "generate_assignment", homework, "--log-level=WARN")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in submissions:
            gradebook.add_student(submission.student, first_name=submission.student,
                                  last_name=submission.kind)
    for submission in submissions:
        folder = course / "submitted" / submission.student / homework
        folder.mkdir(parents=True)
        for name, nb in submission.notebooks.items():
            nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC\n")


def copy_course(template: Path, destination: Path, config: str) -> Path:
    """A fresh copy of the template course, with the stock or the repository's config."""
    shutil.copytree(template, destination)
    if config == "repository":
        shutil.copy(ROOT / "nbgrader_config.py", destination / "nbgrader_config.py")
    return destination


def read_grades(course: Path, homework: str, students: list[str]) -> dict[str, dict | None]:
    """Each student's total and per-test scores in the course's gradebook (None: absent)."""
    grades = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            try:
                submission = gradebook.find_submission(homework, student)
            except MissingEntry:
                grades[student] = None
                continue
            grades[student] = {
                "score": submission.score,
                "max_score": submission.max_score,
                "tests": {f"{nb.name}/{grade.name}": grade.score
                          for nb in submission.notebooks for grade in nb.grades},
            }
    return grades


def differences(reference: dict, other: dict) -> list[str]:
    """Students whose grades differ between two runs, with what differs."""
    found = []
    for student, ref in reference.items():
        got = other.get(student)
        if ref is None or got is None:
            if ref is not got:
                found.append(f"{student}: graded in one run only "
                             f"(stock {ref and ref['score']}, other {got and got['score']})")
            continue
        tests = [f"{name} {ref['tests'][name]} vs {got['tests'].get(name)}"
                 for name in ref["tests"]
                 if got["tests"].get(name) is None
                 or not math.isclose(ref["tests"][name], got["tests"][name], abs_tol=TOLERANCE)]
        tests += [f"{name} only in the other run" for name in got["tests"]
                  if name not in ref["tests"]]
        if tests or not math.isclose(ref["score"], got["score"], abs_tol=TOLERANCE):
            found.append(f"{student}: total {ref['score']} vs {got['score']}; "
                         + ", ".join(tests))
    return found


# ----------------------------------------------------------------------------- runs

@dataclass
class Run:
    name: str
    command: list[str]  # after the interpreter
    config: str  # "stock" or "repository"
    ours: bool  # backproplab_grader: gets --course and --timings


def grading_available() -> bool:
    try:
        return importlib.util.find_spec("backproplab_grader.__main__") is not None
    except ModuleNotFoundError:
        return False


def plan(homework: str, workers: int, ours: bool) -> list[Run]:
    runs = [Run("stock nbgrader, serial", ["-m", "nbgrader", "autograde", homework],
                "stock", False)]
    if ours:
        grading = ["-m", "backproplab_grader", "autograde", homework]
        runs += [
            Run(f"ours, {workers} workers", [*grading, "--workers", str(workers)],
                "repository", True),
            Run("ours, 1 worker", [*grading, "--workers", "1"], "repository", True),
            Run("ours, 1 worker, no sandbox", [*grading, "--workers", "1", "--no-sandbox"],
                "repository", True),
        ]
    return runs


def group_members(pgid: int) -> list[str]:
    """The command lines of the processes in the process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    members.append((entry / "cmdline").read_bytes().replace(b"\0", b" ")
                                   .decode(errors="replace").strip()[:160])
            except (ProcessLookupError, PermissionError, FileNotFoundError):
                pass
    return members


def stop_group(pgid: int, grace: float = LINGER) -> list[str]:
    """End what is left of the process group ``pgid`` (the grader's own, made for it)
    ``grace`` seconds after its leader exited; the command lines of what was left."""
    deadline = time.monotonic() + grace
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not group_members(pgid):
            break
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        time.sleep(2)
    return left


def execute(run: Run, course: Path) -> dict:
    """Run one grader in ``course``; its wall time, exit status and output's end.

    The grader runs in a new session (its own process group) with its output in a file, not
    a pipe, so that the wall time ends when the grader's process exits even if processes it
    started live on; those still there ``LINGER`` seconds later are reported
    (``left_behind``) and ended.
    """
    command = [sys.executable, *run.command]
    timings = course / "timings.json"
    if run.ours:
        command += ["--course", str(course), "--timings", str(timings)]
    load = os.getloadavg()[0]
    output = course.parent / f"{course.name}.log"
    with open(output, "w") as log_file:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=course, env=nbgrader_env(),
                                   stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            returncode = process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = None
        seconds = time.perf_counter() - start
    left_behind = stop_group(process.pid)
    process.wait()
    log = output.read_text(errors="replace")
    if returncode is None:
        log += f"\n(timed out after {RUN_TIMEOUT} s and was ended)"
    records = []
    if run.ours and timings.is_file():
        data = json.loads(timings.read_text())
        records = data if isinstance(data, list) else next(
            (v for v in data.values() if isinstance(v, list)), [])
    return {"name": run.name, "command": " ".join(["python", *run.command]),
            "config": run.config, "seconds": seconds, "returncode": returncode,
            "left_behind": left_behind, "load_before": load, "log_tail": log[-3000:],
            "timings": records}


def timing_stats(records: list[dict]) -> dict[str, dict[str, float]]:
    """Median, 90th percentile and share of the summed total of each timing field."""
    stats = {}
    totals = sum(r.get("total_s") or 0.0 for r in records)
    for name in TIMING_FIELDS:
        values = np.array([r[name] for r in records if r.get(name) is not None], dtype=float)
        if values.size:
            stats[name] = {"median": float(np.median(values)),
                           "p90": float(np.percentile(values, 90)),
                           "share": float(values.sum() / totals) if totals else math.nan}
    return stats


def report(args, submissions: list[Submission], results: list[dict], ours: bool) -> bool:
    """Print the tables; whether every run succeeded with stock's grades."""
    n = len(submissions)
    kinds = {kind: sum(s.kind == kind for s in submissions) for kind in dict.fromkeys(PATTERN)}
    print(f"Autograding {n} submissions of {args.homework} "
          f"({', '.join(f'{v} {k}' for k, v in kinds.items())}) on {os.cpu_count()} CPUs; "
          f"one run each, each in a fresh copy of the course.\n")
    print(f"{'run':30} {'wall s':>8} {'s/submission':>13} {'exit':>5} {'load':>5} "
          f"{'grades = stock':>15}")
    ok = True
    for r in results:
        same = "-" if r is results[0] else ("yes" if not r["differences"] else
                                             f"no ({len(r['differences'])})")
        print(f"{r['name']:30} {r['seconds']:8.1f} {r['seconds'] / n:13.2f} "
              f"{str(r['returncode']):>5} {r['load_before']:5.2f} {same:>15}")
        ok &= r["returncode"] == 0 and not r["differences"] and not r["left_behind"]
    stock = results[0]["seconds"]
    graded = results[0]["grades"]
    scores = [g["score"] for g in graded.values() if g]
    if scores:
        print(f"\nstock scores: {len(scores)} graded, mean {np.mean(scores):.2f} of "
              f"{next(g for g in graded.values() if g)['max_score']:g}, "
              f"{sum(g is None for g in graded.values())} not graded")
    if not ours:
        print("\nbackproplab_grader (grader/, pip install -e grader) is not installed: "
              "only stock nbgrader was timed.")
    else:
        by_name = {r["name"]: r for r in results}
        parallel, one, bare = (by_name[run.name] for run in plan(args.homework, args.workers,
                                                                True)[1:])
        speedup = stock / parallel["seconds"]
        print(f"\nissue 7: stock / ours with {args.workers} workers = {speedup:.2f}x "
              f"(target >= 2x: {'met' if speedup >= 2 else 'not met'})")
        print(f"issue 6: per submission, ours 1 worker / stock = {one['seconds'] / stock:.2f}x, "
              f"without sandbox / stock = {bare['seconds'] / stock:.2f}x; "
              f"the sandbox (kernels forked from a zygote) against none (kernels started "
              f"anew): {(one['seconds'] - bare['seconds']) / n:+.2f} s per submission")
        for r in results[1:]:
            stats = r["timing_stats"]
            print(f"\n{r['name']}: --timings, {len(r['timings'])} records")
            if not stats:
                print("  (no timings written)")
                continue
            print(f"  {'field':16} {'median s':>9} {'p90 s':>9} {'share':>7}")
            for name, s in stats.items():
                print(f"  {name:16} {s['median']:9.2f} {s['p90']:9.2f} {s['share']:7.0%}")
            summed = sum(rec.get("total_s") or 0.0 for rec in r["timings"])
            print(f"  sum of total_s / wall = {summed / r['seconds']:.2f} "
                  "(how many submissions were graded at once, on average)")
    for r in results:
        if r["left_behind"]:
            print(f"\nwarning: {r['name']} left {len(r['left_behind'])} processes running "
                  f"{LINGER:g} s after it exited; they were ended:")
            for line in r["left_behind"]:
                print(f"  {line}")
        if r["returncode"] != 0:
            print(f"\nwarning: {r['name']} exited with {r['returncode']}; end of its output:\n"
                  f"{r['log_tail']}")
        if r["differences"]:
            print(f"\ngrades of {r['name']} differ from stock nbgrader's for "
                  f"{len(r['differences'])} students:")
            for line in r["differences"][:10]:
                print(f"  {line}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="number of submissions (60)")
    parser.add_argument("--homework", default="hw01", help="homework to grade (hw01)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="workers of the parallel run (os.cpu_count())")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"results file ({RESULTS})")
    args = parser.parse_args(argv)

    submissions = make_submissions(args.homework, args.n, np.random.default_rng(SEED))
    students = [s.student for s in submissions]
    ours = grading_available()
    runs = plan(args.homework, args.workers, ours)
    results = []
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        template = Path(tmp) / "template"
        make_course(template, args.homework, submissions)
        warm = Path(tmp) / "warm-up"
        make_course(warm, args.homework, submissions[:1])
        for i, run in enumerate(runs):  # untimed: one submission each, for warm file caches
            execute(run, copy_course(warm, Path(tmp) / f"warm-{i}", run.config))
        for i, run in enumerate(runs):
            course = copy_course(template, Path(tmp) / f"run-{i}", run.config)
            result = execute(run, course)
            result["grades"] = read_grades(course, args.homework, students)
            result["timing_stats"] = timing_stats(result["timings"])
            results.append(result)
            shutil.rmtree(course)
    for result in results:
        result["differences"] = differences(results[0]["grades"], result["grades"])

    ok = report(args, submissions, results, ours)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "homework": args.homework, "n": args.n, "workers": args.workers,
        "cpus": os.cpu_count(), "ours_available": ours,
        "submissions": [{"student": s.student, "kind": s.kind, "wrong": s.wrong}
                        for s in submissions],
        "runs": [{**r, "seconds_per_submission": r["seconds"] / args.n} for r in results],
    }, indent=1))
    print(f"\nresults: {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
