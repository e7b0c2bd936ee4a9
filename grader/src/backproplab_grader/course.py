"""Instructor commands for the homework (nbgrader), shared by all chapters.

``python -m backproplab_grader.course release --all`` regenerates ``exercises/`` (nbgrader's
release directory) from ``solutions/`` (its source directory) with
``nbgrader generate_assignment``, then the translated releases ``exercises/hwNN-<lang>/``
(``backproplab_grader.translate``: the English release translated with the book's page
catalogues and the tests catalogues of ``solutions/.locales/<lang>``; the same notebook,
cells, grade ids and points). ``make exercises`` runs exactly this, and the tests run it on
a copy of the repository to check that the committed ``exercises/`` is fresh.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "exercises"


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader subprocesses: this Python's ``bin`` first on PATH.

    nbgrader runs ``alembic`` and ``jupyter`` by name, which must be the ones of the virtual
    environment even when it is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def assignments(root: Path) -> list[str]:
    """The homework names: the folders of ``solutions/`` that hold a notebook."""
    source = Path(root) / SOURCE_DIRECTORY
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def release(root: Path, names: list[str]) -> dict[str, list]:
    """Run ``nbgrader generate_assignment`` for each homework in ``names`` under ``root``,
    then write its translations (``exercises/<name>-<lang>/`` for each language with a tests
    catalogue folder, ``translate.languages``). Returns, per translated release, the places
    left in English (``translate.Untranslated``).

    ``root`` must hold ``nbgrader_config.py`` and ``solutions/``. The gradebook that nbgrader
    insists on is a throwaway file: releasing records nothing an instructor needs.
    """
    from backproplab_grader.translate import languages, release_translation

    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{root} has no nbgrader_config.py; run this from the repository.")
    known = assignments(root)
    for name in names:
        if name not in known:
            raise ValueError(f"no homework {name!r} in {root / SOURCE_DIRECTORY}; "
                             f"the homework there: {known}.")
    with tempfile.TemporaryDirectory() as scratch:
        db_url = f"sqlite:///{Path(scratch) / 'release.db'}"
        for name in names:
            subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                 "--log-level=WARN", f"--CourseDirectory.db_url={db_url}"],
                cwd=root, env=nbgrader_env(), check=True)
    untranslated = {}
    for language in languages(root):
        for name in names:
            untranslated[f"{name}-{language}"] = release_translation(root, name, language)
    return untranslated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backproplab_grader.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="regenerate exercises/ from solutions/")
    rel.add_argument("names", nargs="*", help="homework names, e.g. hw01")
    rel.add_argument("--all", action="store_true", help="release every homework")
    rel.add_argument("--root", default=".", help="the repository (default: .)")
    args = parser.parse_args(argv)
    names = assignments(Path(args.root)) if args.all else args.names
    if not names:
        parser.error("name a homework (e.g. hw01) or pass --all")
    for name, missing in release(Path(args.root), names).items():
        if missing:
            print(f"{RELEASE_DIRECTORY}/{name}: {len(missing)} messages still in English "
                  f"(e.g. {missing[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
