"""What the sandbox (``sandbox``) and the zygote (``zygote``) share, below both of them.

- ``installed_paths`` and ``environment_paths``: the Python environment a sandboxed kernel
  may read (editable installs included, found from the ``.pth`` files: the grader names no
  package of the course);
- ``sandbox_env``: the whole environment (variables) of a sandboxed kernel;
- ``HOLDER``: bubblewrap's program while a kernel is forked into its sandbox by the zygote.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

# The holder: bubblewrap's program while the kernel is forked into its sandbox. It marks
# itself ready (``argv[1]``), waits for the first other process (the kernel), then for its
# end. ``python -S -I`` starts in a few milliseconds.
HOLDER = """\
import os, select, sys, time
me = os.getpid()
open(sys.argv[1], "w").close()
deadline = time.monotonic() + float(sys.argv[2])
while True:
    others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
    if others:
        break
    if time.monotonic() > deadline:
        sys.exit(3)
    time.sleep(0.003)
try:
    select.select([os.pidfd_open(min(others))], [], [])
except ProcessLookupError:
    pass
"""


def installed_paths() -> list[Path]:
    """Folders that the environment's ``.pth`` files put on ``sys.path``: where editable
    installs (``pip install -e``, e.g. the book's package and this grader) live, outside
    ``sys.prefix``. Lines that are code (``import ...``) or missing folders are skipped."""
    found = []
    for folder in {*site.getsitepackages(), site.getusersitepackages()}:
        for pth in sorted(Path(folder).glob("*.pth")):
            try:
                lines = pth.read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                path = (Path(folder) / line).resolve()
                if path.is_dir() and not path.is_relative_to(Path(sys.prefix).resolve()):
                    found.append(path)
    return sorted(set(found))


def environment_paths() -> list[Path]:
    """What a kernel's Python needs to read: its environment, the base interpreter and the
    folders of editable installs (``installed_paths``)."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), *installed_paths()}
    return sorted(paths)


def sandbox_env(workdir: Path) -> dict[str, str]:
    """The whole environment of a sandboxed kernel (bwrap starts from an empty one)."""
    return {"HOME": str(workdir), "TMPDIR": "/tmp",
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8", "MPLCONFIGDIR": "/tmp/matplotlib",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime", "IPYTHONDIR": "/tmp/ipython",
            # The kernel is not pid 1 here, but its parent (bwrap's init) is: without this,
            # ipykernel would take that for "my parent has exited" and stop at once.
            "JPY_PARENT_PID": "1"}
