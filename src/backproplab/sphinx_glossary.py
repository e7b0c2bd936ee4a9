"""The book's glossary, English <-> Bahasa Indonesia, and the tables made from it (issue 16).

One file, ``book/glossary.yml`` (the config value ``glossary_file``, relative to the source
folder), lists every term once: its English, its Indonesian (the course notes' words where
they have one), how the notes write it where that differs, and on which pages it is used.
Two directives make tables from it, in the language of the edition being built:

- ``{terms-table}`` — the terms of the current page (English → Indonesia in the English
  edition, Indonesia → English in the Indonesian one), with what each term is on the page
  (math, a code name, an equation reference);
- ``{glossary-table}`` with argument ``en`` or ``id`` — the whole glossary sorted by the
  English or by the Indonesian term, with the notes' words and links to the pages.

The tables are generated in both editions from the same entries, so their cells are not
messages of the catalogues (``translatable = False``): nothing is translated twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

HEADERS = {
    "en": {"en": "English", "id": "Bahasa Indonesia", "where": "in this chapter",
           "notes": "course notes", "pages": "pages"},
    "id": {"en": "English", "id": "Bahasa Indonesia", "where": "di bab ini",
           "notes": "catatan kuliah", "pages": "halaman"},
}
PAGE_LABELS = {
    "en": {"book/students": "students", "book/instructors": "lecturers"},
    "id": {"book/students": "mahasiswa", "book/instructors": "dosen"},
}
CHAPTER_WORD = {"en": "Ch.", "id": "Bab"}
FIELDS = {"en", "id", "notes", "chapters"}


class GlossaryError(ValueError):
    """The glossary file is malformed; the message says which entry and what to change."""


def load_glossary(path: Path) -> list[dict]:
    """The entries of the glossary file at ``path``, checked: each has ``en``, ``id`` and a
    ``chapters`` mapping (page -> MyST text), no English term twice, no unknown field."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        raise GlossaryError(f"{path}: expected a mapping with a list 'terms'")
    seen = set()
    for number, entry in enumerate(data["terms"], start=1):
        where = f"{path}, entry {number}"
        if not isinstance(entry, dict) or not {"en", "id", "chapters"} <= set(entry):
            raise GlossaryError(f"{where}: every entry needs 'en', 'id' and 'chapters'")
        if unknown := set(entry) - FIELDS:
            raise GlossaryError(f"{where} ({entry['en']!r}): unknown field(s) {sorted(unknown)}; "
                                f"the fields are {sorted(FIELDS)}")
        if not isinstance(entry["chapters"], dict) or not entry["chapters"]:
            raise GlossaryError(f"{where} ({entry['en']!r}): 'chapters' must map at least one "
                                "page (e.g. book/01-derivatives) to what the term is there")
        if entry["en"] in seen:
            raise GlossaryError(f"{where}: {entry['en']!r} is in the glossary twice; merge the "
                                "two entries (their 'chapters' together)")
        seen.add(entry["en"])
    return data["terms"]


def sort_key(term: str) -> str:
    """``term`` without markup and brackets, case-folded: '*epoch* (x)' sorts as 'epoch x'."""
    return re.sub(r"[*()]", "", term).strip().casefold()


def chapter_label(docname: str, language: str) -> str:
    """How the glossary page names a page: 'Ch. 3' / 'Bab 3', or 'students' / 'mahasiswa'."""
    if match := re.match(r"book/(\d+)-", docname):
        return f"{CHAPTER_WORD[language]} {int(match.group(1))}"
    return PAGE_LABELS[language].get(docname, docname.rsplit("/", 1)[-1])


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A MyST (GitHub-style) table; a '|' inside a cell is escaped."""
    def line(cells):
        return "| " + " | ".join(cell.replace("|", r"\|") for cell in cells) + " |"
    return [line(header), "|" + "---|" * len(header), *(line(row) for row in rows)]


def terms_rows(entries: list[dict], docname: str, language: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of ``docname``'s terms table in ``language``'s edition."""
    head = HEADERS[language]
    mine = [entry for entry in entries if docname in entry["chapters"]]
    first, second = ("en", "id") if language == "en" else ("id", "en")
    with_where = any(entry["chapters"][docname] for entry in mine)
    header = [head[first], head[second]] + ([head["where"]] if with_where else [])
    rows = [[entry[first], entry[second]] + ([entry["chapters"][docname]] if with_where else [])
            for entry in mine]
    return header, rows


def glossary_rows(entries: list[dict], by: str, language: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the whole glossary sorted by the ``by`` ('en' or 'id') term."""
    head = HEADERS[language]
    other = "id" if by == "en" else "en"
    header = [head[by], head[other], head["notes"], head["pages"]]
    rows = []
    for entry in sorted(entries, key=lambda entry: sort_key(entry[by])):
        pages = ", ".join(f"{{doc}}`{chapter_label(page, language)} </{page}>`"
                          for page in entry["chapters"])
        rows.append([entry[by], entry[other], entry.get("notes", ""), pages])
    return header, rows


def not_translatable(node: nodes.Node) -> None:
    """Keep every text element under ``node`` out of the catalogues."""
    for element in node.findall(nodes.TextElement):
        element["translatable"] = False


class GlossaryDirective(SphinxDirective):
    """Shared: read the glossary (a dependency of the page) and render a MyST table."""

    def entries(self) -> list[dict]:
        path = Path(self.env.srcdir) / self.config.glossary_file
        self.env.note_dependency(str(path))
        try:
            return load_glossary(path)
        except (OSError, GlossaryError) as error:
            raise self.error(f"glossary: {error}") from error

    def table(self, header: list[str], rows: list[list[str]], classes: list[str]):
        container = nodes.container(classes=classes)
        lines = markdown_table(header, rows)
        self.state.nested_parse(StringList(lines, source=self.config.glossary_file),
                                self.content_offset, container)
        not_translatable(container)
        return [container]

    @property
    def language(self) -> str:
        language = self.config.language or "en"
        return language if language in HEADERS else "en"


class TermsTable(GlossaryDirective):
    """``{terms-table}``: this page's terms from the glossary."""

    has_content = False

    def run(self):
        docname = self.env.docname
        header, rows = terms_rows(self.entries(), docname, self.language)
        if not rows:
            raise self.error(f"the glossary ({self.config.glossary_file}) has no term for page "
                             f"{docname}: add the page to the 'chapters' of its terms")
        return self.table(header, rows, ["terms-table"])


class GlossaryTable(GlossaryDirective):
    """``{glossary-table} en`` or ``{glossary-table} id``: the whole glossary."""

    required_arguments = 1
    has_content = False

    def run(self):
        by = self.arguments[0]
        if by not in ("en", "id"):
            raise self.error(f"glossary-table: sort by 'en' or 'id', not {by!r}")
        header, rows = glossary_rows(self.entries(), by, self.language)
        return self.table(header, rows, ["glossary-table"])


def setup(app):
    app.add_config_value("glossary_file", "book/glossary.yml", "env", types=[str])
    app.add_directive("terms-table", TermsTable)
    app.add_directive("glossary-table", GlossaryTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
