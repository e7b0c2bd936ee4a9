"""How long `make book` takes, cold and cached, and what an edit costs.

Copies the repository as a clone would hold it (tracked and untracked-but-not-ignored files,
uncommitted edits included, plus everything in ``exercises/``) into a temporary directory and
builds it four times there with the venv's ``jupyter-book build . -W -n --keep-going``:

1. cold: no ``_build`` (so no jupyter-cache either);
2. cached: again, nothing changed;
3. prose edit: one sentence appended to a markdown paragraph of ``book/01-derivatives.md``;
4. code edit: one statement appended to a code cell of the same chapter.

For each build it prints the wall time, how many notebooks were executed and how many pages
Sphinx re-read, then the ratios of each rebuild to the cold build.

Run: .venv/bin/python benchmarks/build_times.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
CHAPTER = "book/01-derivatives.md"
FLAGS = ["-W", "-n", "--keep-going"]  # as in the Makefile's JB_FLAGS
PROSE_SENTENCE = " This sentence was appended by benchmarks/build_times.py."
CODE_STATEMENT = "benchmark_edit = 1  # appended by benchmarks/build_times.py"


def copy_repository(root: Path, destination: Path) -> None:
    """Copy what a clone of ``root`` would hold, as it is in the working tree, and
    ``exercises/``. Local debris (``_build``, ``.venv``, ``.pytest_cache``) stays behind."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"],
                            cwd=root, capture_output=True, check=True).stdout.decode()
    names = set(filter(None, listed.split("\0")))
    names |= {p.relative_to(root).as_posix() for p in (root / "exercises").rglob("*")
              if p.is_file() and ".ipynb_checkpoints" not in p.parts}
    for name in sorted(names):
        if (root / name).is_file():  # tracked files deleted in the working tree are skipped
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, destination / name)


def cache_records(book: Path) -> dict[int, float]:
    """The jupyter-cache records of a book's build: primary key -> execution seconds.

    Executions are counted from the cache database rather than from the build log: myst-nb
    (execution_mode "cache") adds a record exactly when it has executed a notebook
    successfully, under a new primary key even when it replaces a record of the same code, and
    adds none when it reuses one. Its log lines ("Executed notebook in ...") are informational
    and their wording may change; they are counted too, as a cross-check.
    """
    path = book / "_build" / ".jupyter_cache"
    if not path.exists():
        return {}
    return {r.pk: r.data.get("execution_seconds", float("nan"))
            for r in get_cache(str(path)).list_cache_records()}


def build(book: Path, name: str) -> dict:
    """Build ``book`` once; its time, executions and re-read pages."""
    before = cache_records(book)
    start = time.perf_counter()
    result = subprocess.run([str(JUPYTER_BOOK), "build", ".", *FLAGS], cwd=book,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    after = cache_records(book)
    new = [pk for pk in after if pk not in before]
    env = re.search(r"updating environment: .*?(\d+) added, (\d+) changed, (\d+) removed", log)
    return {
        "build": name,
        "seconds": seconds,
        "executed": len(new),
        "executed_log": len(re.findall(r"Executed notebook in", log)),
        "execution_seconds": sum(after[pk] for pk in new),
        "reread": int(env[1]) + int(env[2]) if env else 0,
        "returncode": result.returncode,
        "log": log,
    }


def append_to_first_paragraph(path: Path, sentence: str) -> None:
    """Append ``sentence`` to the first prose paragraph after the chapter's title."""
    lines = path.read_text().splitlines(keepends=True)
    title = next(i for i, line in enumerate(lines) if line.startswith("# "))
    start = next(i for i in range(title + 1, len(lines)) if lines[i].strip())
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    if lines[start].startswith(("```", ":::", "$$", "|", "-", "(")):
        raise SystemExit(f"{path}: the text after the title is not a plain paragraph; "
                         "update append_to_first_paragraph")
    lines[end - 1] = lines[end - 1].rstrip("\n") + sentence + "\n"
    path.write_text("".join(lines))


def append_to_first_code_cell(path: Path, statement: str) -> None:
    """Append ``statement`` as the last line of the first shown ``{code-cell}``."""
    text = path.read_text()
    cell = re.compile(r"^```\{code-cell\}[^\n]*\n(?!:tags:.*remove)(.*?)^```[ \t]*$",
                      re.S | re.M).search(text)
    if cell is None:
        raise SystemExit(f"{path} has no code cell to edit")
    end = cell.end(1)
    path.write_text(text[:end] + statement + "\n" + text[end:])


def main() -> int:
    if not JUPYTER_BOOK.exists():
        print(f"no jupyter-book next to {sys.executable}; run this with the venv's python "
              "(.venv/bin/python benchmarks/build_times.py)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="build-times-") as tmp:
        book = Path(tmp) / "repo"
        copy_repository(ROOT, book)
        chapter = book / CHAPTER
        runs = [build(book, "cold (no _build)"), build(book, "cached, nothing changed")]
        append_to_first_paragraph(chapter, PROSE_SENTENCE)
        runs.append(build(book, "prose edit in chapter 1"))
        append_to_first_code_cell(chapter, CODE_STATEMENT)
        runs.append(build(book, "code edit in chapter 1"))

    print(f"jupyter-book build . {' '.join(FLAGS)}   (copy of {ROOT}; one run each)\n")
    print(f"{'build':26} {'seconds':>8} {'notebooks executed':>19} {'(log)':>6} "
          f"{'execution s':>12} {'pages re-read':>14} {'exit':>5}")
    for run in runs:
        print(f"{run['build']:26} {run['seconds']:8.2f} {run['executed']:19d} "
              f"{run['executed_log']:6d} {run['execution_seconds']:12.2f} {run['reread']:14d} "
              f"{run['returncode']:5d}")
    cold = runs[0]["seconds"]
    print()
    for run in runs[1:]:
        print(f"{run['build']:26} / cold = {run['seconds'] / cold:.2f}")
    for run in runs:
        if run["executed"] != run["executed_log"]:
            print(f"note: {run['build']}: the cache database shows {run['executed']} "
                  f"executions, the log {run['executed_log']}")
        if run["returncode"] != 0:
            print(f"\nwarning: the build '{run['build']}' failed ({run['returncode']}); "
                  f"its time is not that of a good build. End of its log:\n"
                  f"{run['log'][-2000:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
