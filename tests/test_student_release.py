"""The student repository of ``book/instructors.md``: the files its ``git archive`` command
copies hold no solution or hidden-test line, and still hold what ``make book`` needs."""

from __future__ import annotations

import re
import shlex
import subprocess

from repo_tools import ROOT  # tests/ is on sys.path (pyproject: pythonpath)
from secret_lines import all_homework_secrets, leaks_in

PAGE = ROOT / "book" / "instructors.md"


def release_pathspecs() -> list[str]:
    """The pathspecs after ``git archive HEAD --`` in the instructor page's release recipe."""
    match = re.search(r"^git archive HEAD -- (.*?)\\?\n", PAGE.read_text(), re.M)
    assert match, "book/instructors.md no longer shows the `git archive HEAD -- ...` command"
    return shlex.split(match.group(1))


def released_files() -> list[str]:
    """The tracked files that command would copy into the student repository."""
    result = subprocess.run(["git", "ls-files", "-z", "--", *release_pathspecs()], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return [name for name in result.stdout.split("\0") if name]


def package_lines() -> set[str]:
    """The stripped lines of the book's package: public (the chapters show it, students
    install it), so a hidden test that shares a line with it, e.g. a variant's forward
    code, gives nothing away."""
    return {line.strip() for path in (ROOT / "src" / "backproplab").rglob("*.py")
            for line in path.read_text().splitlines()}


def test_the_release_recipe_excludes_every_folder_with_solution_code():
    specs = release_pathspecs()
    assert specs[0] == "." and ":!solutions" in specs
    public = package_lines()
    secrets = [s for s in all_homework_secrets() if s.line not in public]
    leaking = []
    for name in released_files():
        path = ROOT / name
        if not path.is_file():
            continue
        found = leaks_in(path.read_text(errors="ignore"), secrets)
        if found:
            leaking.append(f"{name}: {found[0]}")
    assert not leaking, ("the student repository recipe in book/instructors.md would publish "
                         "solution lines; exclude these files' folders:\n" + "\n".join(leaking))


def test_the_release_keeps_what_make_book_needs():
    files = set(released_files())
    needed = {"Makefile", "pyproject.toml", "requirements.txt", "grader/pyproject.toml",
              "_config.yml", "_toc.yml", "exercises/hw01/hw01-derivatives.ipynb"}
    assert needed <= files, f"the student repository would miss {sorted(needed - files)}"
    assert not [f for f in files if f.startswith(("solutions/", "tests/", "grader/tests/"))]
