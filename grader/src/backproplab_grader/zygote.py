"""Student kernels forked from a warm process into a fresh sandbox (Linux only).

A new student kernel costs most of the CPU that grading one submission takes: a fresh Python
imports ipykernel and what the homework imports (NumPy, SymPy, the book's package: the
modules of ``c.SandboxedExecute.preload``) before the student's first line runs.
So each grading worker keeps one *zygote*: a Python process that has imported those once,
never runs student code and never reads course files. For each submission:

1. The worker starts bubblewrap exactly as for any sandboxed kernel
   (``sandbox.bwrap_command``), but with a small *holder* program where the kernel would be.
   The holder says it is ready (a file in the kernel's ipc folder), waits for the kernel to
   appear in its sandbox and exits when the kernel ends. So bubblewrap lives exactly as long
   as the kernel: jupyter_client sees bwrap as the kernel's process, and killing it ends
   everything in the sandbox, as before.
2. The zygote forks (``spawn``). The child enters the sandbox's namespaces with ``setns``
   (user, cgroup, ipc, uts, net, pid, mount), takes the sandbox's root and the student's
   folder, closes every file the zygote had open (stdin, stdout and stderr become
   ``/dev/null``), drops every capability (the bounding set too), sets ``no_new_privs``, the
   resource limits and the kernel's environment, and forks once more. That grandchild is
   inside the sandbox's process tree, starts a session of its own and becomes the kernel
   (ipykernel, with the connection file and arguments of the request). The child stays
   outside that tree only to wait for it, so that it is reaped when it ends.

What the kernel can see is what bubblewrap set up; what it inherits from the zygote is
memory made of imported modules, which is the same for every student. Each kernel is a
fork of the zygote, never of another student's kernel.

Run by ``ZygoteClient`` as ``python -m backproplab_grader.zygote MODULE ...``: it imports
the modules and says how many threads it runs (``{"ready": true, "threads": 1}``), then reads
one JSON request per line on stdin and answers one JSON line on stdout (``{"id": ..., "ok":
true}`` or ``{"id": ..., "error": "..."}``).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from backproplab_grader.sandbox_common import sandbox_env

# What a zygote imports unless the course names more (``c.SandboxedExecute.preload`` in
# nbgrader_config.py, which lists what its homework imports): the kernel and the grader's
# agent. Every module named must be importable without starting a thread.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
           "ipykernel.debugger", "IPython.display", "backproplab_grader.agent")
ZYGOTE_CWD = "/"
_SET_BY_PRELOAD: dict[str, str] = {}  # environment variables the preloaded modules set
NAMESPACES = ("user", "cgroup", "ipc", "uts", "net", "pid", "mnt")  # the order of nsenter
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class ZygoteError(RuntimeError):
    """The zygote could not start a kernel; the caller starts one the ordinary way."""


# ---- in the zygote --------------------------------------------------------------------

def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (``/proc/PID/task/*/children`` is optional)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _drop_capabilities(libc) -> None:
    """No capability left, none to regain: as bubblewrap's ``--cap-drop ALL``."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        _check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap}")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    _check(libc.capset(ctypes.byref(Header(LINUX_CAPABILITY_VERSION_3, 0)),
                       (Data * 2)()), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _enter(init: int, request: dict, status: int) -> None:
    """In the zygote's child: go into the sandbox of bwrap's ``init``, fork the kernel."""
    libc = _libc()
    if request.get("cgroup"):  # the sandbox's process limit (sandbox.ProcessCap), first
        fd = os.open(os.path.join(request["cgroup"], "cgroup.procs"), os.O_WRONLY)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
    root = os.open(f"/proc/{init}/root", os.O_RDONLY | os.O_DIRECTORY)
    fds = []
    for name in NAMESPACES:
        target = os.stat(f"/proc/{init}/ns/{name}")
        own = os.stat(f"/proc/self/ns/{name}")
        if (target.st_dev, target.st_ino) == (own.st_dev, own.st_ino):
            raise ZygoteError(f"the sandbox shares the grader's {name} namespace")
        fds.append((name, os.open(f"/proc/{init}/ns/{name}", os.O_RDONLY)))
    for name, fd in fds:
        _check(libc.setns(fd, 0), f"entering the {name} namespace")
        os.close(fd)
    os.fchdir(root)
    os.chroot(".")
    os.close(root)
    os.chdir(request["workdir"])
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, status)
    os.closerange(status + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _drop_capabilities(libc)
    for kind, value in request["limits"]:
        resource.setrlimit(kind, (value, value))
    os.environ.clear()
    os.environ.update(request["env"], PWD=request["workdir"])  # bwrap's --chdir sets PWD
    os.environ.update(_SET_BY_PRELOAD)  # as the modules would set them in a fresh kernel
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's is SIG_IGN
    kernel = os.fork()  # into the sandbox's process tree
    if kernel == 0:
        os.close(status)
        os.setsid()  # as bwrap's --new-session; and no signal to its group reaches this one
        _kernel(request)
    os.write(status, b"ok")
    os.close(status)
    # Stay the kernel's parent until it ends, so that it is reaped: were this process to
    # end first, the kernel would go to the init of the grader's process tree, not the
    # sandbox's (orphans go to the init of their parent's PID namespace).
    os.waitpid(kernel, 0)
    os._exit(0)


def _kernel(request: dict) -> None:
    """Become the student's kernel; never returns."""
    code = 1
    try:
        if "numpy" in sys.modules:  # a fresh process would have fresh global random state
            sys.modules["numpy"].random.seed()
        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"], *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    finally:
        os._exit(code)


def spawn(request: dict) -> None:
    """Fork a kernel into the sandbox of the bwrap process ``request["bwrap"]`` once its
    holder has written ``request["ready"]``."""
    deadline = time.monotonic() + request.get("wait", 60)
    ready = Path(request["ready"])
    while not ready.exists():
        if time.monotonic() > deadline or not Path(f"/proc/{request['bwrap']}").exists():
            raise ZygoteError("the sandbox did not start")
        time.sleep(0.002)
    inits = _children(request["bwrap"])
    if len(inits) != 1:
        raise ZygoteError(f"bwrap {request['bwrap']} has {len(inits)} children, not one")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read_end)
            _enter(inits[0], request, write_end)
        except BaseException as error:  # noqa: BLE001 - reported to the zygote
            os.write(write_end, f"{type(error).__name__}: {error}".encode()[:2000])
        os._exit(1)
    os.close(write_end)
    message = b""
    while chunk := os.read(read_end, 4096):
        message += chunk
    os.close(read_end)
    if message != b"ok":
        raise ZygoteError(message.decode(errors="replace") or "the forked child died")


def main(modules: list[str]) -> None:
    """Import ``modules``, then serve requests until stdin closes."""
    os.chdir(ZYGOTE_CWD)
    if sys.path and sys.path[0] in ("", ZYGOTE_CWD):  # as ipykernel_launcher does
        del sys.path[0]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    before = dict(os.environ)
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - a kernel then imports it itself
            print(f"zygote: could not preload {module}: {error}", file=sys.stderr)
    _SET_BY_PRELOAD.update({k: v for k, v in os.environ.items() if before.get(k) != v})
    # A fork copies only the forking thread: were a module to start threads, locks they
    # hold could stay locked in every kernel. The client refuses such a zygote.
    threads = len(os.listdir("/proc/self/task"))
    os.write(1, (json.dumps({"ready": True, "threads": threads}) + "\n").encode())
    for line in sys.stdin:
        request = json.loads(line)
        try:
            spawn(request)
            reply = {"id": request["id"], "ok": True}
        except Exception as error:  # noqa: BLE001 - the worker decides what to do
            reply = {"id": request["id"], "error": f"{type(error).__name__}: {error}"}
        os.write(1, (json.dumps(reply) + "\n").encode())


# ---- in the grading worker ------------------------------------------------------------

class ZygoteClient:
    """A worker's zygote: started once, asked for one kernel per submission."""

    def __init__(self, modules: list[str], env: dict[str, str]):
        def die_with_worker():
            _libc().prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)

        self.process = subprocess.Popen(
            [sys.executable, "-m", "backproplab_grader.zygote", *modules],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=ZYGOTE_CWD, env=env, close_fds=True, preexec_fn=die_with_worker)
        self.modules = list(modules)
        self.replies: dict[int, dict] = {}
        self.count = 0
        self._ready = False

    def _read(self, timeout: float) -> dict:
        stdout = self.process.stdout
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else b""
        if not line:
            raise ZygoteError("the zygote did not answer" if not ready else
                              f"the zygote ended ({self.process.poll()})")
        return json.loads(line)

    def request(self, **request) -> int:
        """Ask for a kernel; ``result(the number returned)`` says whether it started."""
        self.count += 1
        try:
            self.process.stdin.write((json.dumps({**request, "id": self.count}) + "\n").encode())
            self.process.stdin.flush()
        except OSError as error:
            raise ZygoteError(f"the zygote ended ({error})") from None
        return self.count

    def result(self, number: int, timeout: float = 120) -> None:
        """Wait for the answer to request ``number``; raises ``ZygoteError`` if it failed."""
        deadline = time.monotonic() + timeout
        if not self._ready:
            hello = self._read(timeout)
            if hello.get("threads") != 1:
                raise ZygoteError(f"the zygote runs {hello.get('threads')} threads after its "
                                  "imports; forking it would not be safe")
            self._ready = True
        while number not in self.replies:
            reply = self._read(max(deadline - time.monotonic(), 0))
            self.replies[reply["id"]] = reply
        reply = self.replies.pop(number)
        if "error" in reply:
            raise ZygoteError(reply["error"])

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


_shared: ZygoteClient | None | bool = None  # False once forking failed in this process


def shared(preload: tuple[str, ...]) -> ZygoteClient | None:
    """This process's zygote, started on first use; None when kernels are to be started
    the ordinary way (an empty ``preload``, or forking failed here before)."""
    global _shared
    if not preload or _shared is False:
        return None
    if _shared is not None and (not _shared.alive() or _shared.modules != list(preload)):
        _shared.close()
        _shared = None
    if _shared is None:
        import atexit
        import tempfile

        _shared = ZygoteClient(list(preload), sandbox_env(Path(tempfile.gettempdir())))
        atexit.register(_shared.close)
    return _shared


def give_up(why: str) -> None:
    """Forking does not work here: close the zygote; kernels start the ordinary way."""
    global _shared
    print(f"grader: forking kernels failed ({why}); starting each kernel anew", file=sys.stderr)
    if _shared:
        _shared.close()
    _shared = False


if __name__ == "__main__":
    main(sys.argv[1:])
