"""The one glossary (book/glossary.yml) and the tables made from it (issue 16)."""

import re
from pathlib import Path

import pytest
import yaml

from backproplab.sphinx_glossary import (
    GlossaryError,
    glossary_rows,
    load_glossary,
    markdown_table,
    sort_key,
    terms_rows,
)

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.yml"
TOC_PAGES = set(re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text()))


@pytest.fixture(scope="module")
def entries():
    return load_glossary(GLOSSARY)


def test_every_entry_names_pages_of_the_book(entries):
    pages = {page for entry in entries for page in entry["chapters"]}
    assert pages <= TOC_PAGES, f"pages in the glossary that the toc does not have: {pages - TOC_PAGES}"


def test_every_page_with_a_terms_table_has_terms_and_every_term_page_has_the_table(entries):
    pages = {page for entry in entries for page in entry["chapters"]}
    with_directive = {f"book/{p.stem}" for p in (ROOT / "book").glob("*.md")
                      if "```{terms-table}" in p.read_text(encoding="utf-8")}
    assert with_directive == pages
    for page in pages:
        header, rows = terms_rows(entries, page, "en")
        assert rows and header[:2] == ["English", "Bahasa Indonesia"]


def test_no_page_keeps_a_hand_written_terms_table():
    for page in (ROOT / "book").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert "| English | Bahasa Indonesia |" not in text, (
            f"{page.name} has a hand-written terms table: put its terms in book/glossary.yml")


def test_indonesian_edition_reads_indonesia_to_english(entries):
    header, rows = terms_rows(entries, "book/01-derivatives", "id")
    assert header == ["Bahasa Indonesia", "English", "di bab ini"]
    english = {entry["en"]: entry for entry in entries}
    assert rows[0] == [english["derivative"]["id"], "derivative", english["derivative"]["chapters"]["book/01-derivatives"]]


def test_glossary_tables_hold_every_term_once_in_order(entries):
    for by in ("en", "id"):
        header, rows = glossary_rows(entries, by, "en")
        assert len(rows) == len(entries)
        keys = [sort_key(row[0]) for row in rows]
        assert keys == sorted(keys)
    header, rows = glossary_rows(entries, "id", "id")
    derivative = next(row for row in rows if row[1] == "derivative")
    assert derivative[3] == "{doc}`Bab 1 </book/01-derivatives>`"


def test_a_pipe_in_a_cell_is_escaped():
    assert markdown_table(["a", "b"], [["x | y", "z"]])[-1] == r"| x \| y | z |"


@pytest.mark.parametrize(("text", "message"), [
    ("terms: [{en: a, id: b}]", "needs 'en', 'id' and 'chapters'"),
    ("terms: [{en: a, id: b, chapters: {}}]", "must map at least one page"),
    ("terms: [{en: a, id: b, chapters: {p: ''}, colour: red}]", "unknown field"),
    ("terms: [{en: a, id: b, chapters: {p: ''}}, {en: a, id: c, chapters: {q: ''}}]", "twice"),
    ("- a list", "a list 'terms'"),
])
def test_a_malformed_glossary_says_what_to_change(tmp_path, text, message):
    path = tmp_path / "glossary.yml"
    path.write_text(text)
    with pytest.raises(GlossaryError, match=message):
        load_glossary(path)


def test_the_glossary_is_plain_yaml_with_the_documented_fields():
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    assert {"en", "id", "chapters"} <= set(data["terms"][0])
