"""Autograding a notebook with two kernels: the student's code in a box, the tests apart.

nbgrader's own ``Execute`` runs a submission top to bottom in one kernel, tests included, and
a test passes when its cell raises nothing. Student code in that kernel can then make any
test pass (replace ``numpy.testing``, silence IPython's error display, exit the kernel),
read the hidden tests and the gradebook from disk, and print them into its feedback.

Here, nbgrader's pipeline stays (gradebook, late penalties, manual grades, feedback,
formgrader), with two preprocessors of ours:

- ``RebuildFromSource`` (in place of nbgrader's ``OverwriteCells``) rebuilds the submission
  from the released notebook: every locked and test cell as the instructor wrote it (hidden
  tests included, from the gradebook), every answer cell as the student wrote it, and the
  student's own extra code cells where they put them. Test cells a student edited, deleted
  or stripped of their metadata are simply back.
- ``SandboxedExecute`` (in place of ``Execute``) runs the student's cells in a kernel in a
  bubblewrap sandbox (``backproplab_grader.sandbox``) and each test cell in a second, clean
  kernel that never runs student code: after every answer cell it fetches the names the
  instructor's solution of that cell defines, as data, and calls the student's functions
  remotely (``backproplab_grader.remote``). A test's verdict is what that clean kernel says.

What the course's kernels load besides the kernel (``KernelSetup``) is configuration of
``SandboxedExecute`` in ``nbgrader_config.py``: ``preload`` (the zygote's modules),
``codecs`` (``wire``) and ``call_guards`` (``agent``).
"""

from __future__ import annotations

import ast
import json
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, List, Unicode

from backproplab_grader import zygote
from backproplab_grader.i18n import gettext as _
from backproplab_grader.i18n import language
from backproplab_grader.sandbox import BoxedKernelManager, Limits
from backproplab_grader.sandbox_common import installed_paths
from backproplab_grader.translate import (
    Catalogue,
    homework_catalogue_path,
    notebook_language,
    translate_code,
)

MAX_CELL_OUTPUT_CHARS = 20_000     # text a cell may print before it is cut
MAX_CELL_OUTPUTS = 50
MAX_IMAGE_CHARS = 2_000_000


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def role(cell) -> str:
    """``answer``, ``test``, ``locked`` (setup and given code), ``extra`` (the student's own
    code cells) or ``text``."""
    if cell.cell_type != "code":
        return "text"
    meta = _nbgrader(cell)
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("locked") or meta.get("grade_id"):
        return "locked"
    return "extra"


def defined_names(source: str) -> list[str]:
    """The names an answer cell binds at module scope: assignments (also inside ``if``,
    ``for``, ``while``, ``with`` and ``try`` blocks, and ``for``/``with`` targets), ``def``
    and ``class`` — not names local to a function, class or comprehension. These are the
    names the grader fetches from the student's kernel, read from the instructor's solution
    cell: a solution may set its answer in a branch (``if variant.cell == ...: answer =``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []

    def bind(target) -> None:
        names.extend(sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name))

    def visit(statements) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    bind(target)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                bind(node.target)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                bind(node.target)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars)
            visit(getattr(node, "body", ()) or ())
            for handler in getattr(node, "handlers", ()) or ():
                visit(handler.body)
            visit(getattr(node, "orelse", ()) or ())
            visit(getattr(node, "finalbody", ()) or ())

    visit(tree.body)
    return list(dict.fromkeys(names))


# ---- rebuilding a submission from the released notebook -------------------------------

class RebuildFromSource(NbGraderPreprocessor):
    """Replace a submission by the released notebook with the student's answers in it.

    A notebook in another language (its metadata ``{"backproplab": {"language": "id"}}``,
    as the translated release ``<release>/<assignment>-<lang>/`` sets it; see
    ``backproplab_grader.translate``) is rebuilt from that release, with the instructor's
    code cells (hidden tests included) translated by the homework's tests catalogue
    (``translated_source``): only string literals differ from the English rebuild, so the
    same tests give the same points. Without a release in that language, the English one.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        folder = Path(coursedir.format_path(coursedir.release_directory, ".",
                                            info["assignment"]))
        with Gradebook(info["db_url"]) as gb:
            cells = gb.find_notebook(info["notebook"], info["assignment"]).source_cells
            source = {c.name: c.source for c in cells}
            kinds = {c.name: c.cell_type for c in cells}
        language = notebook_language(nb)
        translated = folder.with_name(f"{folder.name}-{language}") / f"{info['notebook']}.ipynb"
        if language and translated.is_file():
            released = nbformat.read(translated, as_version=4)
            source = translated_source(source, kinds, Catalogue.read(homework_catalogue_path(
                Path(coursedir.root), info["assignment"], language)))
        else:
            released = nbformat.read(folder / f"{info['notebook']}.ipynb", as_version=4)
        return rebuild(nb, released, source), resources


def translated_source(source: dict[str, str], kinds: dict[str, str],
                      catalogue: Catalogue) -> dict[str, str]:
    """The instructor's cells for a translated rebuild: code cells with their string literals
    translated (``translate.translate_code``; English where the catalogue has nothing);
    markdown cells left out, so that ``rebuild`` keeps the translated release's."""
    return {name: translate_code(text, catalogue)[0] for name, text in source.items()
            if kinds.get(name) == "code"}


def rebuild(submitted, released, source: dict[str, str]):
    """The released notebook, with locked and test cells from ``source`` (grade_id ->
    instructor source), answers from ``submitted`` (code answers and written answers,
    each only into a cell of its own kind), and the student's extra code cells after the
    released cell they followed."""
    answer_kinds = {_nbgrader(c).get("grade_id"): c.cell_type for c in released.cells
                    if _nbgrader(c).get("solution")}
    known_ids = {_nbgrader(c).get("grade_id") for c in released.cells} - {None}
    answers, extras_after, anchor = {}, {}, None
    for cell in submitted.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in known_ids:
            if (grade_id in answer_kinds and grade_id not in answers
                    and cell.cell_type == answer_kinds[grade_id]):
                answers[grade_id] = cell.source
            anchor = grade_id
        elif cell.cell_type == "code":
            extra = nbformat.v4.new_code_cell(cell.source)
            extras_after.setdefault(anchor, []).append(extra)
    cells = list(extras_after.get(None, []))
    for cell in released.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        fresh = nbformat.from_dict(json.loads(json.dumps(cell)))
        fresh.pop("outputs", None)
        if fresh.cell_type == "code":
            fresh.outputs, fresh.execution_count = [], None
        if grade_id in answer_kinds:
            fresh.source = answers.get(grade_id, cell.source)
        elif grade_id in source:
            fresh.source = source[grade_id]
        cells.append(fresh)
        cells.extend(extras_after.get(grade_id, []))
    rebuilt = nbformat.v4.new_notebook(metadata=released.metadata, cells=cells)
    rebuilt.nbformat_minor = max(released.nbformat_minor, 5)
    for cell in rebuilt.cells:
        if not cell.get("id"):
            cell["id"] = uuid.uuid4().hex[:8]
    return rebuilt


# ---- running cells --------------------------------------------------------------------

@dataclass(frozen=True)
class KernelSetup:
    """What a course's kernels load besides the kernel itself (``SandboxedExecute``'s
    ``preload``, ``codecs`` and ``call_guards``, from ``nbgrader_config.py``)."""

    preload: tuple[str, ...] = ()   # modules the zygote imports (empty: no zygote)
    codecs: tuple[str, ...] = ()    # wire codecs, "module:attribute"
    guards: tuple[str, ...] = ()    # call guards, "module:function"

    @classmethod
    def from_config(cls, config) -> KernelSetup:
        """The setup a course's configuration (``nbgrader_config.py`` loaded) names."""
        section = config.SandboxedExecute
        return cls(tuple(section.get("preload", zygote.PRELOAD)),
                   tuple(section.get("codecs", ())), tuple(section.get("call_guards", ())))

    def agent_startup(self) -> str:
        """The line a student's kernel runs first: the agent, with the codecs and guards."""
        return (f"__import__('backproplab_grader.agent', fromlist=['install'])"
                f".install({list(self.codecs)!r}, {list(self.guards)!r})")


@dataclass
class Outcome:
    outputs: list
    status: str  # ok, error, timeout, dead


@dataclass
class Report:
    """What happened to one notebook: problems a student should hear of, and timings."""

    problems: list = field(default_factory=list)
    kernel_start_s: float = 0.0
    execution_s: float = 0.0


class Scrubber:
    """Replaces instructor paths in outputs by neutral names."""

    def __init__(self, paths: dict[str, str]):
        self.pairs = sorted(((str(k), v) for k, v in paths.items() if str(k) not in ("", "/")),
                            key=lambda kv: -len(kv[0]))

    def __call__(self, text: str) -> str:
        for path, name in self.pairs:
            text = text.replace(path, name)
        return text


def run_cell(client, code: str, timeout: float, scrub: Scrubber, *, alive=None) -> Outcome:
    """Execute ``code``; collect at most ``MAX_CELL_OUTPUT_CHARS`` of text outputs."""
    msg_id = client.execute(code, store_history=False, allow_stdin=False)
    deadline = time.monotonic() + timeout
    outputs, budget = [], MAX_CELL_OUTPUT_CHARS
    status, cut = "ok", False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return Outcome(outputs, "timeout")
        try:
            msg = client.get_iopub_msg(timeout=min(left, 1.0))
        except Exception:  # queue.Empty
            if alive is not None and not alive():
                return Outcome(outputs, "dead")
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return Outcome(outputs, status)
        if kind == "clear_output":
            outputs.clear()
            continue
        if kind == "error":
            status = "error"
            outputs.append(nbformat.v4.new_output(
                "error", ename=scrub(content["ename"])[:200], evalue=scrub(content["evalue"])[:2000],
                traceback=[scrub(line)[:5000] for line in content["traceback"][-30:]]))
            continue
        if kind not in ("stream", "display_data", "execute_result") or cut:
            continue
        if len(outputs) >= MAX_CELL_OUTPUTS:
            cut = True
            continue
        if kind == "stream":
            text = scrub(content["text"])
            if len(text) > budget:
                text, cut = text[:max(budget, 0)] + _("\n… (output cut by the grader)\n"), True
            budget -= len(text)
            if outputs and outputs[-1].output_type == "stream" and outputs[-1].name == content["name"]:
                outputs[-1].text += text
            else:
                outputs.append(nbformat.v4.new_output("stream", name=content["name"], text=text))
            continue
        data = {}
        for mime, value in content.get("data", {}).items():
            if not isinstance(value, str):
                value = json.dumps(value)
            limit = MAX_IMAGE_CHARS if mime.startswith("image/") else budget
            if len(value) > limit:
                cut = True
                continue
            if not mime.startswith("image/"):
                value = scrub(value)
                budget -= len(value)
            data[mime] = value
        if data:
            extra = {"execution_count": None} if kind == "execute_result" else {}
            outputs.append(nbformat.v4.new_output(kind, data=data, metadata={}, **extra))


def wait_ready(client, km, timeout: float = 120) -> None:
    """Wait until the kernel answers on its shell channel and publishes on iopub.

    jupyter_client's ``wait_for_ready`` does the same and then waits for 0.2 s of iopub
    silence; ``run_cell`` skips messages of other requests, so that wait is not needed."""
    deadline = time.monotonic() + timeout
    while True:
        client.kernel_info()
        try:
            reply = client.get_shell_msg(timeout=1)
        except Exception:  # queue.Empty: not up yet
            reply = None
        # Any kernel_info reply will do: one to an earlier request arrives first.
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            try:
                client.get_iopub_msg(timeout=0.5)  # iopub is connected: ready
                return
            except Exception:  # queue.Empty: subscribed too late, ask again
                pass
        if not km.is_alive():
            raise RuntimeError("the kernel died before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not start in {timeout:g} s")


def _note(text: str):
    return nbformat.v4.new_output("stream", name="stderr", text=text + "\n")


def normalise_id(value: str) -> str:
    """An id as the identity check compares it: stripped and case-folded (the same rule
    as ``backproplab.variants.normalise_student_id``, which tests keep equal)."""
    return value.strip().casefold()


@dataclass(frozen=True)
class Identity:
    """Whose notebook this must be: the answer variable ``name`` (e.g. ``STUDENT_ID``)
    must equal ``expected``, the submitting student's id from the gradebook."""

    name: str
    expected: str

    def problem(self, declared) -> str | None:
        """None when ``declared`` (what the notebook set, None if nothing usable) matches;
        else the sentence the student reads in every test of their feedback."""
        if isinstance(declared, str) and normalise_id(declared) == normalise_id(self.expected):
            return None
        if not isinstance(declared, str) or not declared.strip():
            what = _("{name} is not set in this notebook").format(name=self.name)
        else:
            what = _("this notebook was made for {name} = {declared!r}").format(
                name=self.name, declared=declared[:100])
        return _("{what}, but it was submitted by {expected!r}. Your questions' numbers "
                 "are drawn from your own id: set {name} = {expected!r} (the id "
                 "your course uses), run all cells again, check the visible tests and "
                 "submit again. Until then every test of this notebook scores 0.").format(
            what=what, expected=self.expected, name=self.name)


def _refused(text: str):
    return nbformat.v4.new_output("error", ename="WrongStudent", evalue=text,
                                  traceback=[f"WrongStudent: {text}"])


class TestKernel:
    """The clean kernel the tests run in. It never runs student code, so one serves every
    submission a grading process grades in turn: between two submissions its namespace
    is reset (modules stay imported, which saves a kernel start and the imports)."""

    def __init__(self, *, sandbox: bool, limits: Limits, setup: KernelSetup = KernelSetup()):  # noqa: B008 (frozen)
        self.base = Path(tempfile.mkdtemp(prefix="bpl-grader-"))
        (self.base / "tests").mkdir()
        (self.base / "students").mkdir()
        self.key = (sandbox, limits, setup)
        self.setup = setup
        self.km = self._start(zygote.shared(setup.preload) if sandbox else None)
        self.client = self.km.client()
        self.client.start_channels()
        wait_ready(self.client, self.km)
        self.usable = True

    def _start(self, fork_from) -> BoxedKernelManager:
        """The kernel, forked from the zygote ``fork_from`` or (None) started anew."""
        km = BoxedKernelManager(self.base / "tests", sandbox=self.key[0], limits=self.key[1],
                                shared=[self.base / "students"], zygote=fork_from)
        km.start_kernel()
        try:
            km.wait_started()
        except zygote.ZygoteError as error:
            zygote.give_up(str(error))
            km.shutdown_kernel(now=True)
            km.cleanup_resources()
            return self._start(None)
        return km

    def attach(self, connection_file: str, call_timeout: float) -> None:
        """Forget the previous submission; connect to this one's student kernel."""
        outcome = run_cell(self.client, (
            "get_ipython().reset(new_session=False)\n"
            "import sys\n"
            "if 'matplotlib.pyplot' in sys.modules: sys.modules['matplotlib.pyplot'].close('all')\n"
            "from backproplab_grader import remote as __bpl_remote\n"
            f"__bpl_remote.connect({connection_file!r}, {call_timeout!r}, "
            f"{list(self.setup.codecs)!r})"), 120, Scrubber({}))
        if outcome.status != "ok":
            self.usable = False  # hung or broken: the next submission gets a new one
            raise RuntimeError(f"the grader could not set up its test kernel: {outcome.outputs}")

    def close(self) -> None:
        self.client.stop_channels()
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.km.cleanup_resources()
        shutil.rmtree(self.base, ignore_errors=True)


_test_kernel: TestKernel | None = None


def test_kernel(sandbox: bool, limits: Limits,
                setup: KernelSetup = KernelSetup()) -> TestKernel:  # noqa: B008 (frozen)
    """This process's test kernel (a new one if there is none, or it is unusable)."""
    global _test_kernel
    if _test_kernel is not None and (not _test_kernel.usable
                                     or _test_kernel.key != (sandbox, limits, setup)
                                     or not _test_kernel.km.is_alive()):
        _close_spare()
        _test_kernel.close()
        _test_kernel = None
    if _test_kernel is None:
        _test_kernel = TestKernel(sandbox=sandbox, limits=limits, setup=setup)
        import atexit

        atexit.register(_test_kernel.close)
        atexit.register(_close_spare)  # runs first: the spare lives in the test kernel's folder
    return _test_kernel


_spare: tuple | None = None  # (key, folder, kernel manager): a started, unused student kernel


def _launch_student_kernel(test: TestKernel, sandbox: bool, limits: Limits,
                           setup: KernelSetup = KernelSetup()):  # noqa: B008 (frozen)
    """A fresh sandboxed kernel with the agent installed at start-up, before any code;
    forked from this process's zygote when there is one."""
    folder = Path(tempfile.mkdtemp(prefix="s-", dir=test.base / "students"))
    (folder / "student").mkdir()
    km = BoxedKernelManager(folder / "student", sandbox=sandbox, limits=limits,
                            extra_arguments=[f"--IPKernelApp.exec_lines={setup.agent_startup()}"],
                            zygote=zygote.shared(setup.preload) if sandbox else None)
    km.start_kernel()
    return folder, km


def _student_kernel(test: TestKernel, sandbox: bool, limits: Limits,
                    setup: KernelSetup = KernelSetup()):  # noqa: B008 (frozen)
    """The spare kernel started while the previous submission ran, or a new one; then
    start the next spare, so that a worker rarely waits for a kernel to start."""
    global _spare
    key = (id(test), sandbox, limits, setup)
    if _spare is not None and _spare[0] == key and _spare[2].is_alive():
        folder, km = _spare[1], _spare[2]
    else:
        if _spare is not None:
            _close_student(*_spare[1:])
        folder, km = _launch_student_kernel(test, sandbox, limits, setup)
    _spare = None
    try:
        km.wait_started()
    except zygote.ZygoteError as error:  # e.g. setns refused here: start kernels anew
        zygote.give_up(str(error))
        _close_student(folder, km)
        folder, km = _launch_student_kernel(test, sandbox, limits, replace(setup, preload=()))
    _spare = (key, *_launch_student_kernel(test, sandbox, limits, setup))
    return folder, km


def _close_student(folder: Path, km) -> None:
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - already gone
        pass
    km.cleanup_resources()
    shutil.rmtree(folder, ignore_errors=True)


def _close_spare() -> None:
    global _spare
    if _spare is not None:
        _close_student(*_spare[1:])
        _spare = None


class TwoKernels:
    """A fresh student's kernel (sandboxed) and the process's test kernel, for one notebook."""

    def __init__(self, *, sandbox: bool, timeout: float, call_timeout: float,
                 limits: Limits, scrub_paths: dict, setup: KernelSetup = KernelSetup(),  # noqa: B008
                 environment: dict[str, str | None] | None = None):
        self.timeout, self.call_timeout, self.setup = timeout, call_timeout, setup
        self.environment = dict(environment or {})
        self.sandbox, self.limits = sandbox, limits
        self.test = test_kernel(sandbox, limits, setup)
        self.test_km, self.tests = self.test.km, self.test.client
        self.tmp = self.student_km = self.student = None
        self.scrub_paths = scrub_paths
        self.student_down: str | None = None
        self.cap_hit = False  # the process limit refused a fork of the student's code

    def start(self) -> None:
        self.tmp, self.student_km = _student_kernel(self.test, self.sandbox, self.limits,
                                                    self.setup)
        self.scrub = Scrubber({**self.scrub_paths, self.tmp / "student": "<your folder>",
                               self.test.base: "<sandbox>"})
        self.student = self.student_km.client()
        self.student.start_channels()
        wait_ready(self.student, self.student_km)
        try:
            self.test.attach(self.student_km.connection_file, self.call_timeout)
        except RuntimeError:  # the test kernel hung or died: once more with a new one
            self.test = test_kernel(self.sandbox, self.limits, self.setup)
            self.test_km, self.tests = self.test.km, self.test.client
            self.test.attach(self.student_km.connection_file, self.call_timeout)
        if self.environment:  # before any cell; the test kernel serves several notebooks
            code = environment_code(self.environment)
            run_cell(self.tests, code, 30, Scrubber({}))
            run_cell(self.student, code, 30, Scrubber({}))

    def run_student(self, code: str) -> Outcome:
        if self.student_down:
            return Outcome([_note(_("Not run: {why}.").format(why=self.student_down))], "dead")
        refused = self.student_km.cap_hits()
        outcome = run_cell(self.student, code, self.timeout, self.scrub,
                           alive=self.student_km.is_alive)
        if self.student_km.cap_hits() > refused:
            self.cap_hit = True
            outcome.outputs.append(_note(_(
                "This cell tried to run more than {processes} processes and "
                "threads at once, the most a notebook may run here (a fork bomb, or a loop "
                "that starts processes): the ones over the limit could not start.").format(
                    processes=self.limits.processes)))
        if outcome.status == "timeout":
            self.student_down = _("an earlier cell ran longer than the {timeout:g} s "
                                  "a cell may take, so the grader stopped your kernel").format(
                timeout=self.timeout)
            outcome.outputs.append(_note(_("This cell ran longer than {timeout:g} s and "
                                           "was stopped (an endless loop, or far too much "
                                           "work).").format(timeout=self.timeout)))
            self.student_km.shutdown_kernel(now=True)
        elif outcome.status == "dead" or not self.student_km.is_alive():
            self.student_down = _("your notebook's kernel stopped in an earlier cell "
                                  "(exit, os._exit, a crash, or too much memory)")
            outcome.status = "dead"
            outcome.outputs.append(_note(_("Your notebook's kernel stopped while running this "
                                           "cell (exit, os._exit, a crash, or too much "
                                           "memory).")))
        return outcome

    def bind(self, names: list[str]) -> dict:
        if not names:
            return {}
        code = ("__bpl_problems = __bpl_remote.bind(" + repr(names) + ", globals())\n"
                "print(__import__('json').dumps(__bpl_problems))")
        outcome = run_cell(self.tests, code, self.timeout + 5, Scrubber({}))
        text = "".join(o.get("text", "") for o in outcome.outputs if o.output_type == "stream")
        try:
            return json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {name: _("could not be fetched") for name in names}

    def run_test(self, code: str) -> Outcome:
        outcome = run_cell(self.tests, code, self.timeout * 3, self.scrub,
                           alive=self.test_km.is_alive)
        if outcome.status in ("timeout", "dead"):
            late = _("the tests of this question did not finish in time")
            outcome.outputs.append(nbformat.v4.new_output(
                "error", ename="TimeoutError", evalue=late, traceback=[f"TimeoutError: {late}"]))
            self.test.usable = False  # its state is unknown now: the next submission gets a new one
        return outcome

    def declared(self, name: str):
        """The string the test kernel holds under ``name`` (fetched from the student's
        answer as data), or None."""
        code = (f"print(__import__('json').dumps({name} if isinstance(globals().get("
                f"{name!r}), str) else None))")
        outcome = run_cell(self.tests, code, 30, Scrubber({}))
        text = "".join(o.get("text", "") for o in outcome.outputs if o.output_type == "stream")
        try:
            return json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None

    def run_locked(self, code: str) -> Outcome:
        if not self.student_down:
            self.run_student(code)
        return run_cell(self.tests, code, self.timeout, self.scrub)

    def close(self) -> None:
        if self.student is not None:
            self.student.stop_channels()
        if self.student_km is not None:
            _close_student(self.tmp, self.student_km)


def environment_code(environment: dict[str, str | None]) -> str:
    """A line that sets these environment variables in a kernel (None: removes one)."""
    present = {k: v for k, v in environment.items() if v is not None}
    absent = [k for k, v in environment.items() if v is None]
    return (f"__import__('os').environ.update({present!r}); "
            f"[__import__('os').environ.pop(k, None) for k in {absent!r}];")


def execute(nb, answer_names: dict[str, list[str]], *, sandbox: bool = True,
            timeout: float = 120, call_timeout: float = 60, limits: Limits = Limits(),  # noqa: B008 (frozen, immutable)
            scrub_paths: dict | None = None, setup: KernelSetup = KernelSetup(),  # noqa: B008
            identity: Identity | None = None,
            environment: dict[str, str | None] | None = None) -> Report:
    """Run a rebuilt notebook (``rebuild``) with two kernels; fill in the outputs.

    With ``identity``, the first test cell first checks that the notebook's
    ``identity.name`` is the submitting student's id; if it is not, no test runs and every
    test cell fails with ``Identity.problem``'s sentence. ``environment``: variables set
    (None: removed) in both kernels before the first cell, e.g. the notebook's language."""
    report = Report()
    refusal, checked = None, identity is None
    started = time.perf_counter()
    kernels = TwoKernels(sandbox=sandbox, timeout=timeout, call_timeout=call_timeout,
                         limits=limits, scrub_paths=scrub_paths or {}, setup=setup,
                         environment=environment)
    try:
        kernels.start()
        report.kernel_start_s = time.perf_counter() - started
        count = 0
        for cell in nb.cells:
            kind = role(cell)
            if kind == "text":
                continue
            count += 1
            cell.execution_count = count
            grade_id = _nbgrader(cell).get("grade_id", f"cell {count}")
            if kind in ("answer", "extra"):
                was_down, was_capped = kernels.student_down, kernels.cap_hit
                outcome = kernels.run_student(cell.source)
                if kernels.cap_hit and not was_capped:
                    report.problems.append(_("{cell}: too many processes (the limit is "
                                             "{processes})").format(cell=grade_id,
                                                                    processes=limits.processes))
                if kernels.student_down and not was_down:
                    report.problems.append(f"{grade_id}: {kernels.student_down.split(' (')[0]}"
                                           .replace(_("an earlier cell"), _("this cell"))
                                           .replace(_("in an earlier cell"), _("here")))
                cell.outputs = outcome.outputs
                if kind == "answer" and outcome.status == "error":
                    error = next(o for o in outcome.outputs if o.output_type == "error")
                    report.problems.append(
                        _("{cell}: not answered").format(cell=grade_id)
                        if error.ename == "NotImplementedError"
                        else _("{cell} raised {error}").format(cell=grade_id, error=error.ename))
                if kind == "answer":
                    problems = kernels.bind(answer_names.get(grade_id, []))
                    if outcome.status == "ok":  # else the cell's error says it already
                        report.problems.extend(f"{name}: {why}" for name, why in problems.items())
            elif kind == "test":
                if not checked:
                    checked = True
                    refusal = identity.problem(kernels.declared(identity.name))
                    if refusal:
                        report.problems.append(_("wrong student: {why}").format(
                            why=refusal.split(_(", but"))[0]))
                if refusal:
                    cell.outputs = [_refused(refusal)]
                    continue
                outcome = kernels.run_test(cell.source)
                if outcome.status != "ok" and kernels.student_down:
                    outcome.outputs.insert(0, _note(_("Not graded fully: {why}.").format(
                        why=kernels.student_down)))
                cell.outputs = outcome.outputs
            else:
                cell.outputs = kernels.run_locked(cell.source).outputs
    finally:
        kernels.close()
    report.execution_s = time.perf_counter() - started - report.kernel_start_s
    return report


class SandboxedExecute(NbGraderPreprocessor):
    """nbgrader's ``Execute``, replaced: see the module docstring."""

    sandbox = Bool(True, help="Run student code under bubblewrap.").tag(config=True)
    timeout = Float(120, help="Seconds a cell may run.").tag(config=True)
    call_timeout = Float(60, help="Seconds one remote call may run.").tag(config=True)
    memory_bytes = Integer(Limits.memory_bytes).tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds).tag(config=True)
    processes = Integer(Limits.processes, help=(
        "Processes and threads one sandboxed kernel may run at once (a pids cgroup: "
        "sandbox.ProcessCap); more fail to start.")).tag(config=True)
    preload = List(Unicode(), default_value=list(zygote.PRELOAD), help=(
        "Modules a zygote process imports once per grading process; each sandboxed student "
        "kernel is forked from it (backproplab_grader.zygote). A course lists the kernel's "
        "modules (the default) and what its homework imports. Empty: every kernel is "
        "started anew.")).tag(config=True)
    codecs = List(Unicode(), help=(
        "Codecs of the course's own answer types, as 'module:attribute' (see "
        "backproplab_grader.wire), loaded in the student's and the tests' kernels, e.g. "
        "['backproplab.autograd:wire_codec'].")).tag(config=True)
    call_guards = List(Unicode(), help=(
        "Functions, as 'module:function', that the tests may wrap a remote call of a "
        "student's function in (the guarded-call protocol, backproplab_grader.agent), "
        "loaded in the student's kernel before any student code, e.g. "
        "['backproplab.checks:call_without_reference'].")).tag(config=True)
    identity_name = Unicode("STUDENT_ID", help=(
        "The answer variable that names the notebook's student (the homework's variants "
        "are drawn from it). When a homework's solution sets it, a notebook whose value is "
        "not the submitting student's id scores 0 with a message. Empty: no check.")).tag(config=True)
    identity_field = Unicode("id", help=(
        "Which id of nbgrader's student record the identity variable must equal: 'id' "
        "(nbgrader's student id: the LMS login of the zip's file names, or the JupyterHub "
        "user name), 'lms_user_id' or 'email' (from a roster imported with "
        "`nbgrader db student import`).")).tag(config=True)
    language_variable = Unicode("BACKPROPLAB_LANG", help=(
        "The environment variable that tells the course's code the notebook's language "
        "(metadata backproplab.language, e.g. 'id' for a notebook of a translated release; "
        "see backproplab_grader.translate): set in both kernels before the first cell, "
        "removed for an English notebook. Empty: never set.")).tag(config=True)
    report_directory = Unicode("grading-reports",
                               help="Where per-submission reports go (course-relative).").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        solution = Path(coursedir.format_path(coursedir.source_directory, ".",
                                              info["assignment"])) / f"{info['notebook']}.ipynb"
        names = {}
        for cell in nbformat.read(solution, as_version=4).cells:
            if role(cell) == "answer":
                names[_nbgrader(cell)["grade_id"]] = defined_names(cell.source)
        identity = None
        if self.identity_name and any(self.identity_name in n for n in names.values()):
            identity = Identity(self.identity_name, self.expected_id(info))
        root = Path(coursedir.root).resolve()
        scrub_paths = {root: "<course>", Path(sys.prefix): "<python>",
                       Path(sys.prefix).resolve(): "<python>",
                       Path(sys.base_prefix).resolve(): "<python>",
                       str(Path(tempfile.gettempdir()).resolve()) + "/": "<tmp>/"}
        for folder in installed_paths():  # editable installs: <packages>/<backproplab>/...
            scrub_paths[folder] = "<packages>"
            scrub_paths.update({package: f"<{package.name}>" for package in folder.iterdir()
                                if (package / "__init__.py").is_file()})
        limits = Limits(memory_bytes=self.memory_bytes, cpu_seconds=self.cpu_seconds,
                        processes=self.processes)
        # The notes a student reads in the notebook (time-outs, a wrong student) in its
        # language; English for a notebook that says none.
        with language(notebook_language(nb) or "en"):
            report = execute(nb, names, sandbox=self.sandbox, timeout=self.timeout,
                             call_timeout=self.call_timeout, limits=limits, scrub_paths=scrub_paths,
                             setup=KernelSetup(tuple(self.preload), tuple(self.codecs),
                                               tuple(self.call_guards)),
                             identity=identity,
                             environment={self.language_variable: notebook_language(nb)}
                             if self.language_variable else None)
        target = root / self.report_directory / info["assignment"]
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{info['student']}.{info['notebook']}.json").write_text(json.dumps(
            {"problems": report.problems, "kernel_start_s": report.kernel_start_s,
             "execution_s": report.execution_s}, indent=1))
        return nb, resources

    def expected_id(self, info: dict) -> str:
        """The submitting student's id in the field ``identity_field`` (see there)."""
        if self.identity_field == "id":
            return info["student"]
        if self.identity_field not in ("lms_user_id", "email"):
            raise ValueError(f"c.SandboxedExecute.identity_field is {self.identity_field!r}; "
                             "use 'id', 'lms_user_id' or 'email'.")
        with Gradebook(info["db_url"]) as gb:
            value = getattr(gb.find_student(info["student"]), self.identity_field, None)
        # A student without that field in the roster cannot match any notebook: the message
        # then names nbgrader's id, and the instructor sees "wrong student" in the summary.
        return value or f"{info['student']} (no {self.identity_field} in the roster)"
