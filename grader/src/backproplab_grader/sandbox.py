"""Kernels in a box: a Jupyter kernel that sees only its own folder (bubblewrap + limits).

The autograder (``backproplab_grader``) runs a student's code in such a kernel. bubblewrap
(``bwrap``, Debian package ``bubblewrap``) gives the kernel a filesystem of its own: the
operating system and the Python environment read-only, an empty ``/tmp``, and one writable
working folder; the course (``solutions/``, the gradebook, other students' files) does not
exist in it. It also has no network and its own process tree. Resource limits (setrlimit)
cap memory, CPU time, file size and open files, so that a loop or an allocation that never
ends kills the kernel instead of the grader. A pids cgroup (``ProcessCap``) caps the number of
processes and threads of the whole sandbox, so that a fork bomb fails inside it instead of
taking the grading machine down (``RLIMIT_NPROC`` would not: it does not bind root, and the
grader runs as root).

The kernel talks to the grader over ZeroMQ *ipc* sockets (files in a folder shared with the
sandbox), since it has no network to listen on.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import KernelManager

from backproplab_grader.sandbox_common import HOLDER, environment_paths, sandbox_env

BWRAP = "bwrap"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (setrlimit, applied before bwrap starts)."""

    memory_bytes: int = 3 * 2**30      # address space: a runaway allocation fails
    cpu_seconds: int = 900             # CPU time of the whole kernel: a busy loop ends
    file_bytes: int = 64 * 2**20       # largest file it may write
    open_files: int = 256
    processes: int = 256               # processes and threads of the whole sandbox (ProcessCap)

    def pairs(self) -> list[tuple[int, int]]:
        """(setrlimit resource, value) pairs."""
        return [(resource.RLIMIT_AS, self.memory_bytes), (resource.RLIMIT_CPU, self.cpu_seconds),
                (resource.RLIMIT_FSIZE, self.file_bytes), (resource.RLIMIT_NOFILE, self.open_files),
                (resource.RLIMIT_CORE, 0)]

    def apply(self) -> None:
        """Set the limits on the current process (called in the child before exec)."""
        for kind, value in self.pairs():
            resource.setrlimit(kind, (value, value))


CGROUP_ROOT = Path("/sys/fs/cgroup")


class ProcessCap:
    """A pids cgroup holding one sandbox: at most ``limit`` processes and threads in it.

    The grader creates one per kernel under its own pids cgroup (cgroup v1's ``pids``
    hierarchy, or cgroup v2 where the pids controller is on), the kernel's launcher joins
    it before it starts bubblewrap (or the zygote's child joins it before it enters the
    sandbox), and everything the kernel starts is counted in it. A fork beyond the limit
    fails with ``EAGAIN`` inside the sandbox; ``hits`` counts such refusals. ``remove``
    kills what is left and deletes the cgroup.
    """

    def __init__(self, path: Path, limit: int):
        self.path, self.limit = path, limit

    @staticmethod
    def parent() -> Path | None:
        """This process's pids cgroup folder, where new cgroups can be made; else None."""
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, controllers, where = line.split(":", 2)
            folder = None
            if "pids" in controllers.split(","):
                folder = CGROUP_ROOT / "pids" / where.lstrip("/")
            elif controllers == "" and "pids" in _read(CGROUP_ROOT / "cgroup.controllers").split():
                folder = CGROUP_ROOT / where.lstrip("/")
            if folder is not None and os.access(folder, os.W_OK):
                return folder
        return None

    @classmethod
    def create(cls, limit: int) -> ProcessCap | None:
        """A new capped cgroup, or None where this machine gives the grader none."""
        parent = cls.parent()
        if parent is None:
            return None
        path = parent / f"backproplab-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(limit))
        except OSError:
            if path.exists():
                path.rmdir()
            return None
        return cls(path, limit)

    def join(self, pid: int = 0) -> None:
        """Move process ``pid`` (0: the caller) into the cgroup; its children follow."""
        fd = os.open(self.path / "cgroup.procs", os.O_WRONLY)
        try:
            os.write(fd, str(pid or os.getpid()).encode())
        finally:
            os.close(fd)

    def hits(self) -> int:
        """How many forks the limit has refused so far."""
        for line in _read(self.path / "pids.events").splitlines():
            if line.startswith("max "):
                return int(line.split()[1])
        return 0

    def remove(self, timeout: float = 10) -> None:
        """Kill every process left in the cgroup, then delete it."""
        deadline = time.monotonic() + timeout
        while self.path.exists():
            pids = [int(p) for p in _read(self.path / "cgroup.procs").split()]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.path.rmdir()
                return
            except OSError:  # busy until the killed processes are gone
                if time.monotonic() > deadline:
                    return
                time.sleep(0.02)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


_warned_no_cap = False


def process_cap(limit: int) -> ProcessCap | None:
    """``ProcessCap.create(limit)``; where there is none, say once what that means."""
    global _warned_no_cap
    cap = ProcessCap.create(limit)
    if cap is None and not _warned_no_cap:
        _warned_no_cap = True
        print("grader: no writable pids cgroup here, so the number of processes in a sandbox "
              "is not limited (a fork bomb in a submission could exhaust this machine); run "
              "the grader as root on a machine with cgroups to limit it.", file=sys.stderr)
    return cap


def bwrap_available() -> str | None:
    """None when bubblewrap runs here, else a sentence saying why not and what to do."""
    if shutil.which(BWRAP) is None:
        return ("bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: "
                "`apt-get install bubblewrap`, or `make system-deps`), or pass --no-sandbox "
                "to grade without a sandbox (only for submissions you trust).")
    import subprocess

    probe = subprocess.run([BWRAP, "--ro-bind", "/", "/", "--unshare-all", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return (f"bubblewrap is installed but cannot create a sandbox here: "
                f"{probe.stderr.strip() or probe.returncode}. Run the grader where user "
                "namespaces are allowed, or pass --no-sandbox (only for trusted submissions).")
    return None


def bwrap_command(workdir: Path, *, shared: list[Path] = (), readable: list[Path] = ()) -> list[str]:
    """The bwrap prefix: the system and Python read-only, ``workdir`` writable (as the
    current directory), ``shared`` folders writable at their own paths (the ipc sockets),
    ``readable`` folders read-only; nothing else of the host's files."""
    cmd = [BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
           "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for system in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"):
        if os.path.exists(system):
            cmd += ["--ro-bind", system, system]
    for path in [*environment_paths(), *readable]:
        cmd += ["--ro-bind", str(path), str(path)]
    for path in shared:
        cmd += ["--bind", str(path), str(path)]
    cmd += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    for name, value in sandbox_env(workdir).items():
        cmd += ["--setenv", name, value]
    return [*cmd, "--"]


class BoxedKernelManager(KernelManager):
    """A KernelManager whose kernel runs under bwrap with resource limits, or, with
    ``sandbox=False``, as a plain process with the same limits and settings.

    With a ``zygote`` (``backproplab_grader.zygote.ZygoteClient``) and the sandbox on, bwrap
    runs a holder and the kernel is forked into its sandbox by the zygote; call
    ``wait_started`` before using it: it raises ``ZygoteError`` if that failed."""

    def __init__(self, workdir: Path, *, sandbox: bool = True, limits: Limits = Limits(),
                 shared: list[Path] = (), readable: list[Path] = (),
                 extra_arguments: list[str] = (), zygote=None, **kwargs):
        workdir = Path(workdir).resolve()
        ipc = workdir.parent / (workdir.name + ".ipc")
        ipc.mkdir(exist_ok=True)
        super().__init__(transport="ipc", ip=str(ipc / "kernel"),
                         connection_file=str(ipc / "connection.json"), **kwargs)
        self.workdir, self.sandbox, self.limits = workdir, sandbox, limits
        self.shared = [ipc, *map(Path, shared)]
        self.readable = list(map(Path, readable))
        self.kernel_arguments = ["--HistoryManager.enabled=False", *extra_arguments]
        self.zygote = zygote if sandbox else None
        self.holder_ready = ipc / "holder-ready"
        self._request = None
        self.cap: ProcessCap | None = None

    def format_kernel_cmd(self, extra_arguments=None):
        if self.zygote is not None:
            return [*bwrap_command(self.workdir, shared=self.shared, readable=self.readable),
                    sys.executable, "-S", "-I", "-c", HOLDER, str(self.holder_ready), "120"]
        cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
               *self.kernel_arguments]
        if self.sandbox:
            cmd = bwrap_command(self.workdir, shared=self.shared, readable=self.readable) + cmd
        return cmd

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        limits = self.limits
        kw["cwd"] = str(self.workdir)
        # Nothing of the grader's environment (paths, tokens, database passwords) reaches
        # student code: the kernel gets a handful of variables made here.
        given = kw.get("env") or {}
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
               "LANG": "C.UTF-8", "HOME": str(self.workdir), "TMPDIR": "/tmp",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        env.update({k: v for k, v in given.items() if k.startswith("JPY_")})
        if not self.sandbox:
            env["TMPDIR"] = env["HOME"]
        kw["env"] = env
        self._release_cap()
        cap = self.cap = process_cap(limits.processes)

        def before_exec():
            if cap is not None:
                cap.join()
            limits.apply()

        kw["preexec_fn"] = before_exec
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.zygote is not None:
            self._request = self.zygote.request(bwrap=self.provisioner.process.pid, ready=str(self.holder_ready),
                                workdir=str(self.workdir), connection_file=self.connection_file,
                                argv=self.kernel_arguments, env=sandbox_env(self.workdir),
                                limits=limits.pairs(), cgroup=str(cap.path) if cap else "")

    def cap_hits(self) -> int:
        """How many of the kernel's forks the process limit refused (0 without a cap)."""
        return self.cap.hits() if self.cap is not None else 0

    def _release_cap(self) -> None:
        if self.cap is not None:
            self.cap.remove()
            self.cap = None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        self._release_cap()

    def cleanup_resources(self, restart: bool = False) -> None:
        super().cleanup_resources(restart=restart)
        self._release_cap()

    def wait_started(self, timeout: float = 120) -> None:
        """For a forked kernel: wait until the zygote has forked it (or says it could not)."""
        if self._request is not None:
            number, self._request = self._request, None
            self.zygote.result(number, timeout)
