"""Kernels forked from a zygote into a bubblewrap sandbox (backproplab_grader.zygote).

A forked kernel must be boxed exactly as a kernel bwrap starts itself: same namespaces as
its sandbox, no capabilities, the same files, environment and limits, and nothing left
behind when it ends. When forking does not work, grading goes on with kernels started anew.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from grader_testlib import course_setup

from backproplab_grader import executor, sandbox, zygote
from backproplab_grader.sandbox import BoxedKernelManager, Limits
from backproplab_grader.sandbox_common import sandbox_env

SETUP = course_setup()  # the course's preload list, codecs and call guards

pytestmark = pytest.mark.slow

REPORT = r"""
import json, os, resource, sys
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines()
              if ":\t" in line)
print(json.dumps({
    "caps": {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
    "no_new_privs": status["NoNewPrivs"].strip(),
    "uid": os.getuid(), "gid": os.getgid(),
    "root": sorted(os.listdir("/")), "tmp": sorted(os.listdir("/tmp")),
    "cwd": os.getcwd(), "home": os.path.expanduser("~"), "path": sys.path,
    "env": sorted(os.environ),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "limits": [resource.getrlimit(getattr(resource, name)) for name in
               ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")],
    "session_leader": os.getsid(0) == os.getpid(),
    "random": __import__("numpy").random.random(),
    "agent": sorted(__import__("backproplab_grader.agent", fromlist=["_state"])._state),
}))
"""


def run(km, code: str, timeout: float = 60) -> str:
    client = km.client()
    client.start_channels()
    try:
        executor.wait_ready(client, km, timeout)
        outcome = executor.run_cell(client, code, timeout, executor.Scrubber({}))
    finally:
        client.stop_channels()
    assert outcome.status == "ok", outcome.outputs
    return "".join(o.get("text", "") for o in outcome.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def fork_server():
    client = zygote.ZygoteClient(list(SETUP.preload), sandbox_env(Path("/tmp")))
    yield client
    client.close()


def start(tmp_path: Path, name: str, fork_server=None, limits: Limits = Limits()):  # noqa: B008
    workdir = tmp_path / name
    workdir.mkdir()
    km = BoxedKernelManager(workdir, limits=limits, zygote=fork_server,
                            extra_arguments=[f"--IPKernelApp.exec_lines={SETUP.agent_startup()}"])
    km.start_kernel()
    km.wait_started()
    return km


def ns_of(pid: int) -> dict[str, str]:
    return {name: os.readlink(f"/proc/{pid}/ns/{name}") for name in zygote.NAMESPACES}


def sandbox_processes(km) -> tuple[int, list[int]]:
    """bwrap's init (host pid) and the other host pids in its PID namespace."""
    (init,) = zygote._children(km.provisioner.process.pid)
    pid_ns = os.readlink(f"/proc/{init}/ns/pid")
    inside = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != init:
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == pid_ns:
                    inside.append(int(entry))
            except OSError:
                pass
    return init, inside


def wait_until(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def the_kernel(pids: list[int]) -> int:
    """The forked kernel among the processes of a sandbox (its command line is the zygote's)."""
    (kernel,) = [pid for pid in pids
                 if b"backproplab_grader.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return kernel


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_forked_kernel_is_boxed_like_a_started_one(tmp_path, fork_server):
    started = start(tmp_path, "started")
    forked = start(tmp_path, "forked", fork_server)
    try:
        # What the zygote imported, modules that set environment variables included.
        run(started, f"import importlib\nfor m in {SETUP.preload!r}: importlib.import_module(m)")
        a = json.loads(run(started, REPORT))
        b = json.loads(run(forked, REPORT))
        init, inside = sandbox_processes(forked)
        kernel = the_kernel(inside)
        outer_status = Path(f"/proc/{parent_of(kernel)}/status").read_text()
        kernel_ns, sandbox_ns = ns_of(kernel), ns_of(init)
    finally:
        started.shutdown_kernel(now=True)
        forked.shutdown_kernel(now=True)
    # The started kernel built matplotlib's font cache in /tmp/matplotlib on import; the
    # forked one has the zygote's in memory. Otherwise /tmp is the same.
    a["tmp"].remove("matplotlib")
    for key in ("caps", "no_new_privs", "uid", "gid", "root", "tmp", "env", "limits", "agent",
                "path"):
        assert a[key] == b[key], (key, a[key], b[key])
    assert b["caps"]["CapEff"] == b["caps"]["CapBnd"] == "0000000000000000"
    assert b["no_new_privs"] == "1"
    assert b["session_leader"]  # a session of its own, as bwrap's --new-session gives
    assert b["cwd"] == b["home"] == str(tmp_path / "forked")
    assert a["cwd"] == a["home"] == str(tmp_path / "started")
    assert b["pids"] == [1, 2, 3]  # bwrap's init, the holder, the kernel: nothing else
    assert a["random"] != b["random"]
    assert kernel_ns == sandbox_ns  # in every namespace of its sandbox
    # Its parent waits outside the sandbox's process tree, with no capability either.
    assert "CapEff:\t0000000000000000" in outer_status
    assert "CapBnd:\t0000000000000000" in outer_status


def test_two_forked_kernels_do_not_share(tmp_path, fork_server):
    first = start(tmp_path, "first", fork_server)
    second = start(tmp_path, "second", fork_server)
    try:
        run(first, "open('mine.txt', 'w').write('1'); open('/tmp/secret', 'w').write('2')\n"
                   "import numpy; numpy.SECRET = 42")
        seen = run(second, "import os, numpy\nprint(os.path.exists('/tmp/secret'), "
                           "os.path.exists('../first/mine.txt'), hasattr(numpy, 'SECRET'))")
        assert seen.split() == ["False", "False", "False"]
        assert (tmp_path / "first" / "mine.txt").read_text() == "1"
        assert ns_of(sandbox_processes(first)[0]) != ns_of(sandbox_processes(second)[0])
    finally:
        first.shutdown_kernel(now=True)
        second.shutdown_kernel(now=True)


@pytest.mark.parametrize("how", ["shutdown", "os._exit", "kill the group", "kill everything"])
def test_nothing_is_left_when_a_forked_kernel_ends(tmp_path, fork_server, how):
    km = start(tmp_path, "k", fork_server)
    run(km, "import subprocess; child = subprocess.Popen(['sleep', '600'])")
    init, inside = sandbox_processes(km)
    assert len(inside) == 3  # the holder, the kernel and its sleep
    parent = parent_of(the_kernel(inside))
    if how == "shutdown":
        km.shutdown_kernel(now=True)
    else:
        client = km.client()
        client.start_channels()
        client.execute({"os._exit": "import os; os._exit(3)",
                        "kill the group": "import os, signal; os.killpg(0, signal.SIGKILL)",
                        "kill everything": "import os, signal; os.kill(-1, signal.SIGKILL)"}[how])
        assert wait_until(lambda: not km.is_alive()), "bwrap outlived its kernel"
        client.stop_channels()
    for pid in [init, *inside, parent]:
        assert wait_until(lambda: not Path(f"/proc/{pid}").exists()), \
            f"{pid} ({Path(f'/proc/{pid}/cmdline').read_bytes()[:80]!r}) was left behind"
    assert fork_server.alive()
    km.cleanup_resources()
    again = start(tmp_path, "again", fork_server)  # the zygote goes on forking
    try:
        assert run(again, "print(6 * 7)").strip() == "42"
    finally:
        again.shutdown_kernel(now=True)


def test_limits_apply_to_a_forked_kernel(tmp_path, fork_server):
    km = start(tmp_path, "k", fork_server, Limits(memory_bytes=2**31, file_bytes=2**20))
    try:
        out = run(km, "try:\n    b = bytearray(3 * 2**30)\nexcept MemoryError:\n    print('no')\n"
                      "try:\n    open('big', 'wb').write(b'x' * 2**21)\nexcept OSError as e:\n"
                      "    print(type(e).__name__)")
        assert out.split() == ["no", "OSError"]
    finally:
        km.shutdown_kernel(now=True)


FORK_BOMB = """\
import os, time
started = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        started += 1
except OSError as error:
    print(started, error.errno)
"""


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "started"])
def test_a_fork_bomb_stops_at_the_process_limit(tmp_path, fork_server, forked):
    """1,000 forks in the sandbox: the limit refuses the ones beyond it (EAGAIN), the kernel
    goes on, the refusals are counted, and nothing of it is left once the kernel ends."""
    if sandbox.ProcessCap.parent() is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("no writable pids cgroup here")
    km = start(tmp_path, "k", fork_server if forked else None, Limits(processes=64))
    cap = km.cap
    try:
        started, errno = run(km, FORK_BOMB).split()
        assert int(started) < 64 and int(errno) == 11  # EAGAIN
        assert km.cap_hits() >= 1
        assert run(km, "print(6 * 7)").strip() == "42"  # the kernel still works
        assert int((cap.path / "pids.current").read_text()) <= 64
    finally:
        km.shutdown_kernel(now=True)
        km.cleanup_resources()
    assert not cap.path.exists(), "the sandbox's cgroup (and its sleeping processes) are left"


def test_zygote_reports_a_sandbox_that_never_started(tmp_path, fork_server):
    number = fork_server.request(bwrap=2**22 + 7, ready=str(tmp_path / "never"), wait=1,
                                 workdir=str(tmp_path), connection_file="x", argv=[], env={},
                                 limits=[])
    with pytest.raises(zygote.ZygoteError, match="did not start"):
        fork_server.result(number)


def test_a_zygote_with_threads_is_refused(tmp_path):
    """A preloaded module that starts a thread: forking would copy its locks half-taken."""
    (tmp_path / "starts_a_thread.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    client = zygote.ZygoteClient(["starts_a_thread"], {**sandbox_env(Path("/tmp")),
                                                       "PYTHONPATH": str(tmp_path)})
    (tmp_path / "k").mkdir()
    km = BoxedKernelManager(tmp_path / "k", zygote=client)
    km.start_kernel()
    try:
        with pytest.raises(zygote.ZygoteError, match="2 threads"):
            km.wait_started()
    finally:
        km.shutdown_kernel(now=True)
        client.close()


def test_grading_goes_on_when_forking_fails(tmp_path, monkeypatch):
    """A machine where setns is refused: each kernel is started anew, and said so once."""
    def refuse(self, number, timeout=120):
        raise zygote.ZygoteError("OSError: entering the user namespace: Operation not permitted")

    monkeypatch.setattr(zygote.ZygoteClient, "result", refuse)
    monkeypatch.setattr(zygote, "_shared", None)
    monkeypatch.setattr(executor, "_spare", None)
    monkeypatch.setattr(executor, "_test_kernel", None)
    test = executor.test_kernel(True, Limits(), SETUP)
    try:
        assert zygote._shared is False
        folder, km = executor._student_kernel(test, True, Limits(), SETUP)
        assert "ipykernel_launcher" in " ".join(km.format_kernel_cmd())
        assert run(km, "print(6 * 7)").strip() == "42"
        executor._close_student(folder, km)
    finally:
        executor._close_spare()
        test.close()
