"""Hostile submissions of homework 1, each with the score an honest grader gives it.

Used by ``test_grading_hostile.py``. Every submission is built from the released notebook
``exercises/hw01/hw01-derivatives.ipynb`` (10 points: ``q1_test_derivative`` 2,
``q1_test_value`` 1, ``q2_test`` 3, ``q3_test`` 2, ``q4_test`` 2) with nbformat: the answer
cells hold either the reference solution (``solutions/``, without its ``### BEGIN/END
SOLUTION`` lines) or plausible mistakes that pass every visible test and fail every hidden
one (``WRONG_ANSWERS``), and an attack is added. Unless its description says otherwise an
attack comes with the wrong answers, so the honest score is 0: whatever points it earns, the
attack earned.

``SUBMISSIONS`` maps a student id (the attack's name) to a ``Submission``: what it does, the
total scores a fair grader may give (one, except for ``liar_float``), and ``build(homework)``,
which returns the files of ``submitted/<student>/hw01/`` (name → bytes). The builders need
the course's and the repository's absolute paths (``Homework``), for the attacks that read
secrets by absolute path; those paths are written into the code hex-encoded, so that a path
in the feedback can only come from an output, never from the student's own source.
Attacks that could harm the machine when nothing stops them are capped (memory, disk, time
spent walking ``/``); reaching the cap changes the answer, so the score shows whether the
grader stopped them.
"""

from __future__ import annotations

import copy
import json
import random
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from homework_tools import set_student_id  # tests/ is on sys.path
from shortcuts_hw01 import WRONG_ANSWERS as WRONG
from test_grading_e2e import cell_by_id, solution_source

ASSIGNMENT = "hw01"
NOTEBOOK = "hw01-derivatives"
POINTS = {"q1_test_derivative": 2, "q1_test_value": 1, "q2_test": 3, "q3_test": 2,
          "q4_test": 2}
MAX_SCORE = sum(POINTS.values())
ANSWER_CELLS = ("q1_answer", "q2_answer", "q3_answer", "q4_answer")
# The test cell that grades each answer cell (q1_answer has two).
TESTS_OF = {"q1_answer": ("q1_test_derivative", "q1_test_value"), "q2_answer": ("q2_test",),
            "q3_answer": ("q3_test",), "q4_answer": ("q4_test",)}

# Caps of the attacks that would otherwise take the machine down under a grader without
# limits. Each is above what a sandbox should allow one kernel.
MEMORY_CAP_BYTES = 4 * 2**30      # memory_hog holds at most this much
FILE_CAP_BYTES = 2**30             # huge_file writes at most this much (then deletes it)
WALK_SECONDS = 8                  # walk_filesystem stops walking after this long

# Mistakes a student could make (tests/shortcuts_hw01.py), written in other words than the
# solution (so that no line of the solution is in a wrong submission) and for any variant;
# each passes the visible test and fails a hidden one.
WRONG_ANSWERS = WRONG
# The right value of slope_at_u0 for the notebook's variant, computed without the answer's
# formula (as the attacks that earn a point when nothing stops them set it).
RIGHT_SLOPE = ("float(sp.diff(variant.J_of_w, w).subs(w, sp.nsolve(variant.u_of_w - variant.u0, "
               "w, (-20, 20), solver='bisect')))")


@dataclass(frozen=True)
class Homework:
    """What the builders need: hw01's released and instructor notebooks, and where the
    course and the repository are (absolute paths, for the attacks that read by path)."""

    released: Path
    solutions: Path
    course: Path
    repo: Path
    port: int = 0  # a TCP port listening on the host's 127.0.0.1 (sandbox_probe)
    student: str = ""  # who hands it in: their STUDENT_ID (set per submission)


@dataclass(frozen=True)
class Submission:
    """One student's hand-in: an attack, the total scores a fair grader may give it, and
    the builder of its files (name in ``submitted/<student>/hw01/`` → bytes)."""

    student: str
    expected: tuple[int, ...]
    about: str
    build: Callable[[Homework], dict[str, bytes]]
    notebook: bool = True  # False: the files are no gradable notebook (no feedback needed)


SUBMISSIONS: dict[str, Submission] = {}


def submission(*expected: int, notebook: bool = True):
    """Register the decorated builder as the submission of the student named after it;
    its docstring says what it does."""
    def register(build):
        about = " ".join(build.__doc__.split())
        SUBMISSIONS[build.__name__] = Submission(build.__name__, expected or (0,), about,
                                                 build, notebook)
        return build
    return register


# --------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------

def correct_sources(hw: Homework) -> dict[str, str]:
    """The answer cells of the reference solution, as a student would hand them in."""
    cells = cell_by_id(nbformat.read(hw.solutions, as_version=4))
    return {grade_id: solution_source(cells[grade_id]) for grade_id in ANSWER_CELLS}


def wrong_sources(hw: Homework) -> dict[str, str]:
    """The answer cells with ``WRONG_ANSWERS``."""
    return {grade_id: WRONG_ANSWERS[grade_id].rstrip("\n") for grade_id in ANSWER_CELLS}


def answered(hw: Homework, answers: str | dict[str, str] = "wrong",
             after: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The released notebook with its answer cells replaced.

    ``answers`` is "wrong", "correct", or {grade_id: "wrong" | "correct" | source};
    ``after`` adds code at the end of answer cells ({grade_id: code}).
    """
    choice = {"wrong": wrong_sources(hw), "correct": correct_sources(hw)}
    if isinstance(answers, str):
        answers = dict.fromkeys(ANSWER_CELLS, answers)
    nb = set_student_id(nbformat.read(hw.released, as_version=4), hw.student)
    cells = cell_by_id(nb)
    for grade_id in ANSWER_CELLS:
        answer = answers.get(grade_id, "wrong")
        source = choice[answer][grade_id] if answer in choice else answer
        extra = (after or {}).get(grade_id)
        cells[grade_id].source = source + ("\n\n" + extra.strip("\n") if extra else "")
    return nb


def files(nb: nbformat.NotebookNode, name: str = f"{NOTEBOOK}.ipynb") -> dict[str, bytes]:
    return {name: nbformat.writes(nb).encode("utf-8")}


def hidden(path: Path | str) -> str:
    """A Python expression for the string ``path`` that does not spell it out."""
    return f"bytes.fromhex({str(path).encode().hex()!r}).decode()"


def secret_paths(hw: Homework) -> str:
    """Code defining the places a student may try to read secrets from: relative to the
    folder nbgrader autogrades in (``autograded/<student>/hw01``) and absolute."""
    return textwrap.dedent(f"""\
        import glob, os, pathlib
        COURSE, REPO = {hidden(hw.course)}, {hidden(hw.repo)}
        GRADEBOOKS = ["../../../gradebook.db", COURSE + "/gradebook.db", REPO + "/gradebook.db"]
        SOLUTIONS = [root + "/{{}}/hw01/hw01-derivatives.ipynb".format(folder)
                     for root in ("../../..", COURSE, REPO) for folder in ("solutions", "source")]
        OTHER_STUDENTS = ["../../*/hw01/*.ipynb", "../../../submitted/*/hw01/*.ipynb",
                          COURSE + "/submitted/*/hw01/*.ipynb",
                          COURSE + "/autograded/*/hw01/*.ipynb"]

        def read(path):
            \"\"\"The file's bytes, or None (quietly: an error message would show the path).\"\"\"
            try:
                return pathlib.Path(path).read_bytes()
            except Exception:
                return None

        def show(path):
            data = read(path)
            if data is not None:
                print("=== read", path)
                print(data.decode("utf-8", "replace"))
        """)


# The code of an answer cell that takes the answer cells of another notebook (stolen or
# copied) when it found one: q1's cell defines `STOLEN`, every answer cell runs its part.
RUN_STOLEN = "exec(STOLEN.get({grade_id!r}, ''), globals())"
ANSWER_CELLS_OF = textwrap.dedent("""\
    import json

    def answer_cells(data):
        \"\"\"{grade_id: source} of a notebook's answer cells, or {} when it is none.\"\"\"
        try:
            nb = json.loads(data)
            return {cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
                    for cell in nb["cells"]
                    if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
        except Exception:
            return {}
    """)


def with_stolen(hw: Homework, finder: str) -> dict[str, str]:
    """``after`` code: q1's cell runs ``finder`` (which sets ``STOLEN``), each answer cell
    then runs the stolen version of itself, overriding the wrong answer."""
    after = {grade_id: RUN_STOLEN.format(grade_id=grade_id) for grade_id in ANSWER_CELLS}
    after["q1_answer"] = (secret_paths(hw) + ANSWER_CELLS_OF + finder + "\n"
                          + after["q1_answer"])
    return after


# --------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------

@submission(10)
def correct(hw):
    """The reference solution: 10 of 10, also inside the sandbox."""
    return files(answered(hw, "correct"))


@submission(0)
def wrong(hw):
    """The wrong answers alone (they pass every visible test): 0."""
    return files(answered(hw, "wrong"))


@submission(0)
def untouched(hw):
    """The released notebook, handed in as it is: 0."""
    return files(nbformat.read(hw.released, as_version=4))


# --------------------------------------------------------------------------------------
# Replacing the test helpers
# --------------------------------------------------------------------------------------

@submission(0)
def patch_assert_allclose(hw):
    """numpy.testing.assert_allclose replaced by a no-op."""
    return files(answered(hw, after={"q1_answer": (
        "import numpy.testing\n"
        "numpy.testing.assert_allclose = lambda *args, **kwargs: None")}))


@submission(0)
def patch_numpy(hw):
    """np.allclose, np.all and np.array_equal replaced by functions that say True."""
    return files(answered(hw, after={"q1_answer": (
        "np.allclose = lambda *args, **kwargs: True\n"
        "np.all = lambda *args, **kwargs: True\n"
        "np.array_equal = lambda *args, **kwargs: True")}))


@submission(0)
def patch_checks(hw):
    """backproplab.checks' check_close/check_equivalent/check_expression/check_number
    replaced, in the module and in the notebook's globals, by functions that accept anything
    (check_expression and check_number return their argument, as the real ones do)."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent("""\
        import backproplab.checks

        def accept(*args, **kwargs):
            return None

        def accept_value(value, *args, **kwargs):
            return value

        for name, fake in [("check_close", accept), ("check_equivalent", accept),
                           ("check_expression", accept_value), ("check_number", accept_value)]:
            setattr(backproplab.checks, name, fake)
            globals()[name] = fake""")}))


@submission(0)
def eq_always_true(hw):
    """Every answer an object whose == always says True (and != False)."""
    liar = textwrap.dedent("""\
        class AlwaysEqual:
            def __eq__(self, other):
                return True

            def __ne__(self, other):
                return False

            __hash__ = object.__hash__

        """)
    return files(answered(hw, after={
        "q1_answer": liar + "dJ_dw = slope_at_u0 = AlwaysEqual()",
        "q3_answer": "step_factor = alpha_max = AlwaysEqual()",
        "q4_answer": "errors = best_eps = AlwaysEqual()"}))


@submission(0)
def liar_sympy(hw):
    """dJ_dw, step_factor and alpha_max are SymPy symbols named like wrong answers
    ("u - t", "1 - 2*alpha*c", "1/c") that lie: == says True, subtracting anything gives 0, .subs gives itself,
    no free symbols. Printed, converted or rebuilt from its tree, each is a wrong answer."""
    liar = textwrap.dedent("""\
        class Liar(sp.Symbol):
            def __eq__(self, other):
                return True

            def __ne__(self, other):
                return False

            __hash__ = sp.Symbol.__hash__

            def __sub__(self, other):
                return sp.Integer(0)

            def __rsub__(self, other):
                return sp.Integer(0)

            def subs(self, *args, **kwargs):
                return self

            @property
            def free_symbols(self):
                return set()

        dJ_dw = Liar("u - t")""")
    return files(answered(hw, after={"q1_answer": liar,
                                     "q3_answer": ('step_factor = Liar("1 - 2*alpha*c")\n'
                                                   'alpha_max = Liar("1/c")')}))


@submission(0, 1)
def liar_float(hw):
    """slope_at_u0 is an object (not a number) whose float() is the right value, and
    whose == always says True. Fair either way: a grader that takes float(slope_at_u0) sees
    the right answer (1 point), one that accepts only plain numbers rejects it (0)."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent(f"""\
        class Right:
            def __float__(self):
                return {RIGHT_SLOPE}

            def __eq__(self, other):
                return True

            __hash__ = object.__hash__

        slope_at_u0 = Right()""")}))


# --------------------------------------------------------------------------------------
# Tampering with IPython, ending the kernel
# --------------------------------------------------------------------------------------

@submission(0)
def silence_showtraceback(hw):
    """get_ipython().showtraceback replaced by a no-op: a failing test shows no error."""
    return files(answered(hw, after={"q1_answer":
                                     "get_ipython().showtraceback = lambda *a, **k: None"}))


@submission(0)
def custom_exc(hw):
    """A custom exception handler for every exception that shows nothing."""
    return files(answered(hw, after={"q1_answer": (
        "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)")}))


@submission(0)
def hide_errors(hw):
    """showtraceback silenced and, after each cell, the cell's error erased from its result
    (a post_run_cell hook), so the kernel replies "ok" to a failing test."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent("""\
        shell = get_ipython()
        shell.showtraceback = lambda *args, **kwargs: None

        def forget_errors(result):
            result.error_in_exec = None
            result.error_before_exec = None

        shell.events.register("post_run_cell", forget_errors)""")}))


@submission(0)
def os_exit(hw):
    """os._exit(0) in the first answer cell: the kernel ends without a word."""
    return files(answered(hw, after={"q1_answer": "import os\nos._exit(0)"}))


@submission(0)
def sys_exit(hw):
    """sys.exit(0) in the first answer cell."""
    return files(answered(hw, after={"q1_answer": "import sys\nsys.exit(0)"}))


@submission(0)
def raise_systemexit(hw):
    """raise SystemExit in the first answer cell."""
    return files(answered(hw, after={"q1_answer": "raise SystemExit"}))


@submission(0)
def kill_grader(hw):
    """SIGKILL to the kernel's parent process (under stock nbgrader: the grader itself)."""
    return files(answered(hw, after={"q1_answer": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")}))


# --------------------------------------------------------------------------------------
# Test cells edited, deleted, stripped, reused, duplicated
# --------------------------------------------------------------------------------------

def graded_cells(nb):
    return [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")]


@submission(0)
def edit_test_cells(hw):
    """Every test cell's source replaced by `pass`, its metadata kept."""
    nb = answered(hw)
    for cell in graded_cells(nb):
        cell.source = "pass"
    return files(nb)


@submission(0)
def delete_test_cells(hw):
    """Every test cell deleted."""
    nb = answered(hw)
    tests = graded_cells(nb)
    nb.cells = [cell for cell in nb.cells if cell not in tests]
    return files(nb)


@submission(0)
def strip_test_metadata(hw):
    """Every test cell's nbgrader metadata removed and its source replaced by `pass`."""
    nb = answered(hw)
    for cell in graded_cells(nb):
        del cell.metadata["nbgrader"]
        cell.source = "pass"
    return files(nb)


@submission(0)
def reuse_grade_id(hw):
    """Each answer cell carries the nbgrader metadata (grade_id, points) of the test cell
    below it, so two cells claim the test's id and the answer looks like a test."""
    nb = answered(hw)
    cells = cell_by_id(nb)
    for answer in ANSWER_CELLS:
        cells[answer].metadata["nbgrader"] = copy.deepcopy(
            cells[TESTS_OF[answer][0]].metadata["nbgrader"])
    return files(nb)


@submission(10)
def duplicate_cells(hw):
    """The correct answers, every answer and test cell twice in a row (same metadata):
    10, not more."""
    nb = answered(hw, "correct")
    doubled = []
    for cell in nb.cells:
        doubled.append(cell)
        if cell.metadata.get("nbgrader", {}).get("grade_id") in (*ANSWER_CELLS, *POINTS):
            twin = copy.deepcopy(cell)
            twin.id = f"{cell.id}-twin"  # cell ids must stay unique
            doubled.append(twin)
    nb.cells = doubled
    return files(nb)


# --------------------------------------------------------------------------------------
# Loops and resources. The rule for loops: a cell that runs past the time limit earns
# nothing for its question; the questions answered in earlier cells keep their points (the
# grader graded them before the loop started, or still can). Both loops are in the last
# answer cell (q4), after correct answers to q1–q3: 8 of 10.
# --------------------------------------------------------------------------------------

LOOP = "eps_grid = np.logspace(-12, -1, 23)\n"


@submission(8)
def loop_in_q4(hw):
    """Correct q1–q3; q4's answer cell loops forever: 8 (q4's 2 points lost)."""
    return files(answered(hw, {"q1_answer": "correct", "q2_answer": "correct",
                               "q3_answer": "correct",
                               "q4_answer": LOOP + "while True:\n    pass"}))


@submission(8)
def loop_ignoring_interrupt(hw):
    """Correct q1–q3; q4's answer cell loops forever and swallows KeyboardInterrupt, so
    interrupting the kernel does not end it: 8."""
    return files(answered(hw, {"q1_answer": "correct", "q2_answer": "correct",
                               "q3_answer": "correct",
                               "q4_answer": LOOP + textwrap.dedent("""\
                                   while True:
                                       try:
                                           while True:
                                               pass
                                       except KeyboardInterrupt:
                                           pass""")}))


@submission(0)
def memory_hog(hw):
    """Allocates (and touches) 100 MB blocks up to MEMORY_CAP_BYTES; if it got them all,
    nothing limited its memory and it sets slope_at_u0 to the right value (1 point)."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent(f"""\
        hoard = []
        try:
            while len(hoard) * 10**8 < {MEMORY_CAP_BYTES}:
                hoard.append(b"\\x01" * 10**8)
            slope_at_u0 = {RIGHT_SLOPE}
        finally:
            hoard.clear()""")}))


@submission(0)
def fork_bomb(hw):
    """Starts 1,000 processes that sleep for a minute; if it could start them all, nothing
    limited its processes and it sets slope_at_u0 to the right value (1 point)."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent(f"""\
        import os, time
        children = []
        try:
            for _ in range(1000):
                pid = os.fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                children.append(pid)
        except OSError:
            pass
        if len(children) == 1000:
            slope_at_u0 = {RIGHT_SLOPE}""")}))


@submission(0)
def huge_output(hw):
    """Prints 10**7 lines of 99 characters (1 GB)."""
    return files(answered(hw, after={"q1_answer": (
        "for line in range(10**7):\n    print('x' * 99)")}))


@submission(0)
def huge_line(hw):
    """Prints one line of 3·10**8 characters."""
    return files(answered(hw, after={"q1_answer": "print('x' * (3 * 10**8))"}))


@submission(0)
def huge_file(hw):
    """Writes a file in 64 MiB chunks up to FILE_CAP_BYTES (then deletes it); if it could
    write it all, nothing limited its files and it sets slope_at_u0 to the right value."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent(f"""\
        import os
        chunk, written = b"\\x01" * 2**26, 0
        try:
            with open("answers.bin", "wb") as fh:
                while written < {FILE_CAP_BYTES}:
                    fh.write(chunk)
                    written += len(chunk)
            slope_at_u0 = {RIGHT_SLOPE}
        finally:
            if os.path.exists("answers.bin"):
                os.remove("answers.bin")""")}))


# --------------------------------------------------------------------------------------
# Secrets on disk
# --------------------------------------------------------------------------------------

@submission(0)
def read_gradebook(hw):
    """Reads the gradebook (relative to nbgrader's autograde folder, and by the course's and
    the repository's absolute paths) and prints it."""
    return files(answered(hw, after={"q1_answer": secret_paths(hw) + (
        "for path in GRADEBOOKS:\n    show(path)")}))


@submission(0)
def read_solutions(hw):
    """Reads the instructor's notebook (relative, by the course's and the repository's
    absolute paths; solutions/ and nbgrader's default source/) and prints it."""
    return files(answered(hw, after={"q1_answer": secret_paths(hw) + (
        "for path in SOLUTIONS:\n    show(path)")}))


@submission(0)
def read_other_students(hw):
    """Globs other students' notebooks (../../*/hw01/*.ipynb, submitted/, autograded/) and
    prints them."""
    return files(answered(hw, after={"q1_answer": secret_paths(hw) + (
        "for pattern in OTHER_STUDENTS:\n"
        "    for path in sorted(glob.glob(pattern)):\n"
        "        show(path)")}))


@submission(0)
def print_environment(hw):
    """Prints os.environ, the interpreter's path, sys.path and the working folder."""
    return files(answered(hw, after={"q1_answer": (
        "import os, sys\n"
        "print(dict(os.environ))\n"
        "print(sys.executable, sys.prefix, sys.path, os.getcwd())")}))


@submission(0)
def walk_filesystem(hw):
    """Walks / (for at most WALK_SECONDS) for *.ipynb and gradebook.db, prints every path
    found and the content of gradebooks and of notebooks with nbgrader cells."""
    return files(answered(hw, after={"q1_answer": textwrap.dedent(f"""\
        import os, time
        start, shown = time.monotonic(), 0
        for folder, subfolders, names in os.walk("/"):
            if time.monotonic() - start > {WALK_SECONDS}:
                break
            if folder == "/":
                subfolders[:] = [s for s in subfolders if s not in ("proc", "sys", "dev")]
            for name in names:
                if name.endswith(".ipynb") or name == "gradebook.db":
                    path = os.path.join(folder, name)
                    print(path)
                    try:
                        with open(path, "rb") as fh:
                            data = fh.read(200_000)
                    except Exception:
                        continue
                    if shown < 20 and (name == "gradebook.db" or b"grade_id" in data):
                        shown += 1
                        print(data.decode("utf-8", "replace"))""")}))


@submission(0)
def steal_solutions(hw):
    """Looks for the instructor's notebook (as read_solutions) and, if it finds it, runs its
    answer cells in place of the wrong answers: 10 under a grader that lets it read them."""
    finder = textwrap.dedent("""\
        STOLEN = {}
        for path in SOLUTIONS:
            data = read(path)
            if data is not None and answer_cells(data):
                STOLEN = answer_cells(data)
                break""")
    return files(answered(hw, after=with_stolen(hw, finder)))


@submission(0)
def copy_other_student(hw):
    """Looks for another student's notebook whose answers look right (q1 has the reference's
    table of inner derivatives) and harmless, and runs its answer cells in place of the wrong answers."""
    finder = textwrap.dedent("""\
        STOLEN = {}
        SUSPECT = ("while", "import", "exit", "open(", "get_ipython", "exec", "print", "Liar")
        for pattern in OTHER_STUDENTS:
            for path in sorted(glob.glob(pattern)):
                cells = answer_cells(read(path) or b"")
                code = "\\n".join(cells.values())
                if "du_dw = {" in code and not any(word in code for word in SUSPECT):
                    STOLEN = cells
                    break
            if STOLEN:
                break""")
    return files(answered(hw, after=with_stolen(hw, finder)))


@submission(0)
def spy_on_tests(hw):
    """numerical_gradient (a forward difference) prints the source of every frame that
    called it and of the function J it was given: under stock nbgrader the test cell,
    hidden tests included."""
    spy = textwrap.dedent("""\
        import inspect, linecache
        for frame in inspect.stack()[1:]:
            print("".join(linecache.getlines(frame.filename)))
        try:
            print(inspect.getsource(J))
        except Exception:
            pass
        """)
    define, body = WRONG_ANSWERS["q2_answer"].split("\n", 1)
    wrong_q2 = define + "\n" + textwrap.indent(spy, "    ") + body
    return files(answered(hw, {"q2_answer": wrong_q2}))


# --------------------------------------------------------------------------------------
# No notebook, a broken one, a renamed one
# --------------------------------------------------------------------------------------

@submission(0, notebook=False)
def not_json(hw):
    """4 KiB of random bytes named hw01-derivatives.ipynb."""
    return {f"{NOTEBOOK}.ipynb": random.Random(2026).randbytes(4096)}


@submission(0, notebook=False)
def truncated_json(hw):
    """The correct notebook cut off halfway."""
    data = files(answered(hw, "correct"))[f"{NOTEBOOK}.ipynb"]
    return {f"{NOTEBOOK}.ipynb": data[:len(data) // 2]}


@submission(0, notebook=False)
def python_file(hw):
    """The correct answers as a Python script, renamed .ipynb."""
    script = "\n\n".join(correct_sources(hw).values()) + "\n"
    return {f"{NOTEBOOK}.ipynb": script.encode("utf-8")}


@submission(0, notebook=False)
def json_not_notebook(hw):
    """Valid JSON, but no notebook: a dict of answers as strings."""
    answers = {"dJ_dw": "2*(u - t)", "slope_at_u0": 1.5, "step_factor": "1 - 2*alpha*c"}
    return {f"{NOTEBOOK}.ipynb": json.dumps(answers).encode("utf-8")}


@submission(0, notebook=False)
def empty_folder(hw):
    """An empty submission folder: no notebook at all."""
    return {}


@submission(10)
def renamed_copy(hw):
    """The correct answers saved as "hw01 (1).ipynb" (a browser's second download): the
    only notebook, so the grader takes it for hw01-derivatives.ipynb and says so."""
    return files(answered(hw, "correct"), "hw01 (1).ipynb")


@submission(10)
def renamed_free(hw):
    """The correct answers saved as "my homework.ipynb"."""
    return files(answered(hw, "correct"), "my homework.ipynb")


# --------------------------------------------------------------------------------------
# The sandbox probe: correct answers, each spoiled when the grader let one escape work
# --------------------------------------------------------------------------------------

# grade_id whose points the probe gives up → the escape that costs them.
PROBE_ESCAPES = {
    "q1_test_value": "read the gradebook",
    "q1_test_derivative": "read the instructor's notebook",
    "q2_test": "read other students' notebooks",
    "q3_test": "write a file into the course folder",
    "q4_test": "connect to a TCP port on the host's 127.0.0.1",
}
PROBE_FILE = "sandbox-escape.txt"  # what the probe tries to write into the course folder


@submission(10)
def sandbox_probe(hw):
    """Correct answers, except that each escape that works (PROBE_ESCAPES: read the
    gradebook or the solutions by absolute path, glob other students, write into the
    course, reach the host's loopback) replaces one answer by a wrong one: 10 when the
    sandbox holds, less (and which cells tell which escape) when not."""
    probe = secret_paths(hw) + textwrap.dedent(f"""\
        import socket

        def can_write(path):
            try:
                pathlib.Path(path).write_text("escaped")
                return True
            except Exception:
                return False

        def can_connect(port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=3).close()
                return True
            except Exception:
                return False

        ESCAPED = {{
            "gradebook": any(read(path) is not None for path in GRADEBOOKS[:2]),
            "solutions": any(read(path) is not None for path in SOLUTIONS),
            "students": any(glob.glob(pattern) for pattern in OTHER_STUDENTS[2:]),
            "write": can_write(COURSE + "/{PROBE_FILE}"),
            "network": can_connect({hw.port}),
        }}
        if ESCAPED["gradebook"]:
            slope_at_u0 = 0
        if ESCAPED["solutions"]:
            dJ_dw = u""")
    wrong = wrong_sources(hw)
    return files(answered(hw, "correct", after={
        "q1_answer": probe,
        "q2_answer": ("if ESCAPED['students']:\n"
                      + textwrap.indent(wrong["q2_answer"], "    ")),
        "q3_answer": "if ESCAPED['write']:\n    step_factor = 1 - alpha * c",  # always wrong
        "q4_answer": "if ESCAPED['network']:\n    best_eps = eps_grid[0]"}))
