"""Where the repository is, and a copy of it as a fresh clone would hold it.

Imported by name by the tests of ``tests/`` and ``grader/tests/`` (pytest puts ``tests/``
on ``sys.path``: ``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SITE_BUILD_TIMEOUT = 900  # seconds for a cold `jupyter-book build`


def copy_worktree(root: Path, destination: Path) -> None:
    """Copy what a fresh clone would hold: tracked and untracked-but-not-ignored files,
    as they are in the working tree (uncommitted edits included)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"],
                            cwd=root, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = root / name
        if source.is_file():  # tracked files deleted in the working tree are skipped
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build_site(repo: Path, out: Path) -> subprocess.CompletedProcess:
    """``jupyter-book build`` of ``repo`` into ``out`` with warnings as errors (as make book)."""
    command = [str(VENV_BIN / "jupyter-book"), "build", str(repo), "--path-output", str(out),
               "-W", "-n", "--keep-going"]
    env = {**os.environ, "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])}
    return subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=SITE_BUILD_TIMEOUT)


