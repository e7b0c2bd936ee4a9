"""Fixtures of the grader's tests (helpers that tests import by name are in other modules:
``repo_tools``, ``secret_lines`` and ``homework_tools`` of ``tests/``, ``pgserver`` and
``grader_testlib`` here)."""

from __future__ import annotations

import os

import pytest
from secret_lines import (  # noqa: F401 (fixtures, found by pytest under these names)
    homework_secrets,
    html_text_fixture,
    leaks_in_fixture,
)


@pytest.fixture(scope="module")
def postgres_url():
    """The SQLAlchemy URL of an empty database on a throwaway PostgreSQL server (pgserver.py),
    ``postgresql+psycopg://postgres@127.0.0.1:<port>/gradebook``; one server per test module
    (about a second to start), so that no module sees another's gradebook.

    Without PostgreSQL's programs the tests that use it are skipped, or fail when ``CI`` is set.
    """
    from pgserver import PostgresMissing, find_postgres, temporary_postgres

    try:
        bin_dir = find_postgres()
    except PostgresMissing as missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(str(missing))
    with temporary_postgres(bin_dir) as url:
        yield url
