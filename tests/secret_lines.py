"""Which homework lines must stay secret, and how to find them in what students see.

The secret lines are the lines inside the ``### BEGIN SOLUTION`` / ``### BEGIN HIDDEN TESTS``
blocks of the instructor notebooks in ``solutions/``. Anything a student can see (the
released ``exercises/``, the autograder's feedback, the website in ``_build/html``) must not
contain one. Tests get the helpers through the fixtures ``homework_secrets``, ``leaks_in``
and ``html_text``, defined here and imported by ``tests/conftest.py`` and
``grader/tests/conftest.py``. Nothing here imports nbgrader or the grader.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from repo_tools import ROOT  # tests/ is on sys.path (pyproject: pythonpath)

SOURCE_DIRECTORY = ROOT / "solutions"

# A block starts and ends with a marker line; the kind is the word after BEGIN.
SECRET_BLOCK = re.compile(
    r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*\n(.*?)^[ \t]*### END \1[ \t]*$",
    re.S | re.M)
# Shorter lines (``return grads``, ``w = w + 1``) are too common to mean a leak.
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class Secret:
    """One line a student must not see, and where it comes from."""

    line: str       # stripped
    kind: str       # "solution" or "hidden tests"
    notebook: str   # path of the source notebook, relative to the repository
    grade_id: str   # nbgrader grade_id of the cell it is in

    def __str__(self) -> str:
        return f"{self.notebook} [{self.grade_id}, {self.kind}]: {self.line}"


def notebook_secrets(path: Path) -> list[Secret]:
    """The secret lines of one instructor notebook.

    A line inside a solution or hidden-test block is secret when, stripped, it is at least
    ``MIN_SECRET_LENGTH`` characters long, is not a comment, and does not also occur in the
    part of the notebook that students get anyway (everything outside the blocks).
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    blocks, public = [], []
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
        for match in SECRET_BLOCK.finditer(cell.source):
            kind = match.group(1).lower()
            blocks.extend((kind, grade_id, line) for line in match.group(2).splitlines())
        public.append(SECRET_BLOCK.sub("", cell.source))
    public_text = "\n".join(public)
    path = path.resolve()
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    secrets = []
    for kind, grade_id, line in blocks:
        line = line.strip()
        if len(line) >= MIN_SECRET_LENGTH and not line.startswith("#") and line not in public_text:
            secrets.append(Secret(line, kind, name, grade_id))
    return list(dict.fromkeys(secrets))


def all_homework_secrets(source: Path = SOURCE_DIRECTORY) -> list[Secret]:
    """The secret lines of every instructor notebook under ``source`` (``solutions/``)."""
    return [s for path in sorted(source.glob("**/*.ipynb"))
            if ".ipynb_checkpoints" not in path.parts
            for s in notebook_secrets(path)]


def _forms(line: str) -> set[str]:
    """The ways ``line`` can be spelled in a file: as is, JSON-escaped, HTML-escaped."""
    return {
        line,
        json.dumps(line)[1:-1],
        json.dumps(line, ensure_ascii=False)[1:-1],
        html.escape(line, quote=False),
        html.escape(line, quote=True),
    }


def leaks_in(text: str, secrets: list[Secret]) -> list[Secret]:
    """The secrets that occur in ``text`` (a notebook file, an HTML page, ...), in any form.

    For HTML, pass the page's visible text too (``html_text``): syntax highlighting splits a
    code line into many ``<span>``s, so the line is not a substring of the raw HTML.
    """
    return [s for s in secrets if any(form in text for form in _forms(s.line))]


def html_text(page: str) -> str:
    """The text of an HTML page as a browser shows it, tags removed."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(page, "html.parser").get_text()


@pytest.fixture(scope="session")
def homework_secrets() -> list[Secret]:
    """Every secret line of ``solutions/`` (see ``notebook_secrets``); never empty."""
    secrets = all_homework_secrets()
    assert secrets, f"found no solution or hidden-test lines in {SOURCE_DIRECTORY}"
    return secrets


@pytest.fixture(name="leaks_in", scope="session")
def leaks_in_fixture():
    """The function ``leaks_in(text, secrets) -> list[Secret]``."""
    return leaks_in


@pytest.fixture(name="html_text", scope="session")
def html_text_fixture():
    """The function ``html_text(page) -> str``."""
    return html_text
