"""Fixtures of the tests in ``tests/``: the repository, the secret homework lines, the site.

The secret-line fixtures (``homework_secrets``, ``leaks_in``, ``html_text``) are defined in
``secret_lines.py`` and shared with ``grader/tests/conftest.py``; helpers that tests import
by name live in ``repo_tools.py`` and ``secret_lines.py``, never here (grader/tests/ has a
conftest.py of its own, and only one module can be ``conftest``). Nothing here imports
nbgrader or the grader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_tools import ROOT, build_site, copy_worktree  # tests/ is on sys.path (pyproject)
from secret_lines import (  # noqa: F401 (fixtures, found by pytest under these names)
    homework_secrets,
    html_text_fixture,
    leaks_in_fixture,
)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def site_html(tmp_path_factory) -> Path:
    """The website of a copy of the working tree, freshly built (cold) with ``-W``.

    A copy, as a clone (Binder's, CI's) would have it: building the repository itself would
    also read local, git-ignored debris, and would leave its cache behind.
    """
    base = tmp_path_factory.mktemp("site")
    copy_worktree(ROOT, base / "repo")
    result = build_site(base / "repo", base / "out")
    assert result.returncode == 0, (f"jupyter-book build failed ({result.returncode}):\n"
                                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return base / "out" / "_build" / "html"
