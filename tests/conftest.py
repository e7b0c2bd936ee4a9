"""Fixtures of the tests in ``tests/``: the repository, the secret homework lines, the site.

The secret-line fixtures (``homework_secrets``, ``leaks_in``, ``html_text``) are defined in
``secret_lines.py`` and shared with ``grader/tests/conftest.py``; helpers that tests import
by name live in ``repo_tools.py`` and ``secret_lines.py``, never here (grader/tests/ has a
conftest.py of its own, and only one module can be ``conftest``). Nothing here imports
nbgrader or the grader.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from repo_tools import ROOT, VENV_BIN, copy_worktree  # tests/ is on sys.path (pyproject)
from secret_lines import (  # noqa: F401 (fixtures, found by pytest under these names)
    homework_secrets,
    html_text_fixture,
    leaks_in_fixture,
)

BOOK_TIMEOUT = 1800  # seconds for a cold `make book`: both editions, every chapter executed


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def site_html(tmp_path_factory) -> Path:
    """The website of a copy of the working tree, both editions freshly built (cold) with
    ``make book`` (``-W``): the English site, the Indonesian edition in its ``id/`` folder.

    A copy, as a clone (Binder's, CI's) would have it: building the repository itself would
    also read local, git-ignored debris, and would leave its cache behind. The copy uses this
    virtual environment as it is (``-o``: never reinstalls into it). Next to the site, in
    ``<copy>/_build``: the executed notebooks (``jupyter_execute/``) and the browser test's
    screenshots (``screenshots/``).
    """
    repo = tmp_path_factory.mktemp("site") / "repo"
    copy_worktree(ROOT, repo)
    venv = VENV_BIN.parent
    result = subprocess.run(["make", "book", f"VENV={venv}", "-o", str(venv / ".installed")],
                            cwd=repo, capture_output=True, text=True, timeout=BOOK_TIMEOUT)
    assert result.returncode == 0, (f"make book failed ({result.returncode}):\n"
                                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return repo / "_build" / "html"
