"""Every book label the package cites (``eq-sgd``, ``sec-…``) is a label some page defines.

A docstring that points a reader to "equation ``eq-sgd-update``" when no chapter has that
equation sends them nowhere (issue 15). The package's sources (docstrings, comments and
messages alike) are scanned for label-shaped words, the book's pages for the labels they
define (``:label: eq-…`` under a math block, ``(sec-…)=`` before a heading, ``:name:`` of a
figure), and each citation must be among the definitions.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "backproplab"
BOOK = ROOT / "book"

CITED = re.compile(r"(?<![\w-])(?:eq|sec|ch|fig)-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
DEFINED = re.compile(r"^(?::label:|:name:)[ \t]+(\S+)[ \t]*$|^\(([\w-]+)\)=[ \t]*$", re.M)


def cited_labels(source_root: Path) -> dict[str, list[str]]:
    """Label -> the files (relative to ``source_root``) of the ``*.py`` files citing it."""
    cited: dict[str, list[str]] = {}
    for path in sorted(source_root.rglob("*.py")):
        for label in set(CITED.findall(path.read_text(encoding="utf-8"))):
            cited.setdefault(label, []).append(str(path.relative_to(source_root)))
    return cited


def defined_labels(book_root: Path) -> set[str]:
    """The labels the ``*.md`` pages under ``book_root`` define."""
    labels = set()
    for path in book_root.rglob("*.md"):
        for label, target in DEFINED.findall(path.read_text(encoding="utf-8")):
            labels.add(label or target)
    return labels


def undefined_citations(source_root: Path, book_root: Path) -> dict[str, list[str]]:
    defined = defined_labels(book_root)
    return {label: files for label, files in cited_labels(source_root).items()
            if label not in defined}


def test_the_scan_finds_citations_and_definitions():
    cited, defined = cited_labels(SOURCES), defined_labels(BOOK)
    # the delta formulas are cited in mlp.py and defined in chapter 3: the scan sees both
    assert "mlp.py" in cited["eq-delta-hidden"] and "eq-delta-hidden" in defined
    assert "ch-delta-formulas" in defined and "sec-error-vs-eps" in defined
    assert len(cited) >= 20, f"only {len(cited)} cited labels found: is the pattern broken?"


def test_a_citation_of_a_missing_label_is_caught(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "src" / "mlp.py").write_text(
        '"""The step (``eq-sgd-update``) and the loss (eq-loss)."""\n', encoding="utf-8")
    (tmp_path / "book" / "04.md").write_text(
        "```{math}\n:label: eq-sgd\nw \\leftarrow w\n```\n\n(eq-loss)=\n## Loss\n",
        encoding="utf-8")
    assert undefined_citations(tmp_path / "src", tmp_path / "book") == {
        "eq-sgd-update": ["mlp.py"]}


def test_every_label_the_package_cites_is_defined_in_the_book():
    missing = undefined_citations(SOURCES, BOOK)
    assert not missing, (
        "the package cites labels that no page in book/ defines (cite one that a page "
        "defines with ':label: …' or '(…)=', or define it): "
        + "; ".join(f"{label} in {', '.join(files)}" for label, files in sorted(missing.items())))
