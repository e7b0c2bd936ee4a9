"""Translating homework (``backproplab_grader.translate``, issue 16), without kernels.

A pseudo-translation of every message (each word and field moved, quotes, backslashes and
braces added) is applied to every code cell of every instructor notebook: the code around
the literals must stay byte for byte, the literals must read back as the translation, and
the cell must still parse. Markdown blocks are found as Sphinx's gettext makes them
messages, so that the book's page catalogues translate the released notebooks.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import nbformat
import polib
import pytest

from backproplab_grader.translate import (
    Catalogue,
    Catalogues,
    code_messages,
    extract,
    fields,
    homework_catalogue_path,
    literal_runs,
    markdown_blocks,
    normalise,
    notebook_language,
    split_language,
    translate_code,
    translate_markdown,
    translate_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("hw*/*.ipynb"))
RELEASED = sorted((ROOT / "exercises").glob("hw??/*.ipynb"))
PAGE_CATALOGUES = ROOT / "locales" / "id" / "LC_MESSAGES" / "exercises"


def pseudo(message: str, is_f: bool) -> str:
    """A 'translation' that reverses the order of words and fields and adds characters
    that need escaping (quotes, a backslash, a newline, a brace)."""
    if is_f:
        atoms = re.findall(r"\{(?:[^{}]|\{[^{}]*\})*\}(?!\})|\{\{|\}\}|[^\s{}]+", message)
        brace = "{{x}}"
    else:
        atoms, brace = message.split(), "{x}"
    return f"«ID» 'q' \"qq\" \\ {brace} \n " + " ".join(reversed(atoms))


def pseudo_catalogue(sources: list[str]) -> Catalogue:
    translations = {}
    for source in sources:
        for run in code_messages(source):
            translations[run.text] = pseudo(run.text, run.is_f)
    return Catalogue(translations, frozenset(translations))


def masked(source: str) -> str:
    """``source`` with every string literal replaced by a placeholder."""
    out, position = [], 0
    for run in literal_runs(source):
        for literal in run.literals:
            out.append(source[position:literal.start] + "<literal>")
            position = literal.end
    return "".join(out) + source[position:]


def code_cells() -> list[tuple[str, str]]:
    return [(f"{path.parent.name}:{cell.get('id')}", cell.source) for path in SOLUTIONS
            for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def test_there_are_messages_to_translate():
    counts = {path.parent.name: sum(len(code_messages(c.source)) for c in nbformat.read(
        path, as_version=4).cells if c.cell_type == "code") for path in SOLUTIONS}
    assert len(counts) == 6 and all(n >= 15 for n in counts.values()), counts


def test_translation_changes_only_the_literals_and_reads_back():
    cells = code_cells()
    catalogue = pseudo_catalogue([source for _, source in cells])
    changed = 0
    for where, source in cells:
        new, missing = translate_code(source, catalogue)
        assert not missing, (where, missing)
        ast.parse(new)  # still Python
        assert masked(new) == masked(source), f"{where}: code outside literals changed"
        english = [run for run in literal_runs(source) if run.is_message]
        translated = [run for run in literal_runs(new) if run.is_message]
        assert [len(r.literals) for r in translated] == [len(r.literals) for r in english]
        for before, after in zip(english, translated):
            assert after.text == pseudo(before.text, before.is_f), where
            assert fields(after.text) == fields(before.text) if before.is_f else True
        changed += new != source
    assert changed >= 30


def test_plain_literal_values_are_the_translation():
    source = 'assert ok, (\n    "first half, "  # a comment\n    "second half.")\n'
    catalogue = Catalogue({"first half, second half.": 'erste "Hälfte", \\ zweite Hälfte.'})
    new, missing = translate_code(source, catalogue)
    assert not missing
    tree = ast.parse(new)
    assert tree.body[0].msg.value == 'erste "Hälfte", \\ zweite Hälfte.'
    assert "# a comment\n" in new and new.count("\n") == source.count("\n")


def test_fstring_fields_survive_and_may_move():
    source = 'x, y = 1, 2\nmessage = f"x is {x!r} and " f"y is {y:.2f}."\n'
    catalogue = Catalogue({"x is {x!r} and y is {y:.2f}.": "y bernilai {y:.2f}, x {x!r}."})
    new, missing = translate_code(source, catalogue)
    assert not missing
    namespace = {}
    exec(new, namespace)  # noqa: S102 - our own test code
    assert namespace["message"] == "y bernilai 2.00, x 1."


@pytest.mark.parametrize("translation, reason", [
    ("Pada w = {w}, J naik.", "lacks {'up' if d > 0 else 'down'}"),
    ("Pada w = {w_probe}, J {'naik' if d > 0 else 'turun'}.", "adds {'naik' if d > 0 else 'turun'}"),
    ("Pada w = {w_probe}, J {'up' if d > 0 else 'down'} {w_probe}.", "adds {w_probe}"),
    ("Pada w = {w_probe}, J } {'up' if d > 0 else 'down'}.", "a single '}'"),
])
def test_translation_that_changes_the_fields_is_refused(translation, reason):
    source = ('assert d * g > 0, (\n    f"At w = {w_probe}, J goes {\'up\' if d > 0 else \'down\'}"\n'
              '    " when w grows.")\n')
    english = "At w = {w_probe}, J goes {'up' if d > 0 else 'down'} when w grows."
    assert [run.text for run in code_messages(source)] == [english]
    new, missing = translate_code(source, Catalogue({english: translation}, frozenset([english])))
    assert new == source, "a refused translation must leave the English code as it is"
    assert len(missing) == 1 and missing[0][0] == english
    assert reason in missing[0][1]


def test_which_literals_are_messages():
    source = (
        'w, u = sp.symbols("w u alpha c")\n'
        'f = sp.lambdify(w, expr, "math")\n'
        'def helper(v):\n'
        '    """Given code: what helper does, for the student."""\n'
        '    return {"W": 1, "b": 2}["W"]\n'
        'assert ok, f"grads[{name!r}]"\n'
        'assert ok, ", ".join(names) + " (the others agree)"\n'
        '### BEGIN SOLUTION\n'
        'answer = "a sentence of the solution"\n'
        '### END SOLUTION\n'
        '### BEGIN HIDDEN TESTS\n'
        'def _reference(v):\n'
        '    """A docstring no student sees."""\n'
        'assert ok, "a hidden message the feedback shows"\n'
        '### END HIDDEN TESTS\n')
    assert [run.text for run in code_messages(source)] == [
        "Given code: what helper does, for the student.", " (the others agree)",
        "a hidden message the feedback shows"]


def test_untranslated_and_unknown_messages_are_reported():
    source = 'assert a, "first message here"\nassert b, "second message here"\n'
    catalogue = Catalogue({}, frozenset(["first message here"]))
    new, missing = translate_code(source, catalogue)
    assert new == source
    assert missing == [("first message here", "untranslated"),
                       ("second message here", "not in the catalogue")]


def test_markdown_blocks_keep_their_markers():
    source = ("## 1. A question (3 points)\n\nA paragraph that\nwraps twice\nand ends.\n\n"
              "1. First item that\n   wraps.\n2. Second item.\n\n- A bullet.\n\n"
              "> A quote that\n> wraps.\n\n```python\nprint('no message')\n```\n\n"
              "| symbol | stands for |\n|---|---|\n| `W` | the weights |\n\n$$\nx^2\n$$\n"
              "Text after (question\n5) is one paragraph.")
    english = ["1. A question (3 points)", "A paragraph that wraps twice and ends.",
               "First item that wraps.", "Second item.", "A bullet.", "A quote that wraps.",
               "symbol", "stands for", "the weights", "Text after (question 5) is one paragraph."]
    blocks = [normalise(b.text) for b in markdown_blocks(source) if b.has_words]
    assert blocks == english
    catalogue = Catalogue({m: f"ID[{m}]" for m in english if m != "Second item."},
                          frozenset(english))
    new, missing = translate_markdown(source, catalogue)
    assert missing == [("Second item.", "untranslated")]
    assert "1. ID[First item that wraps.]\n2. Second item." in new
    assert "> ID[A quote that wraps.]\n\n```python\nprint('no message')\n```" in new
    assert "| `W` | ID[the weights] |" in new and "$$\nx^2\n$$" in new
    assert new.startswith("## ID[1. A question (3 points)]\n\nID[A paragraph that wraps")


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_page_catalogue_messages_are_blocks_of_the_released_notebook(path):
    """The page catalogue (Sphinx gettext) and ``markdown_blocks`` cut the notebook alike:
    every message whose text is in the notebook is one of its blocks. (A message that is
    nowhere in the notebook is a stale catalogue, which `make pot` updates and
    tests/test_translations.py checks.)"""
    catalogue = PAGE_CATALOGUES / path.parent.name / f"{path.stem}.po"
    messages = {normalise(e.msgid) for e in polib.pofile(str(catalogue)) if not e.obsolete}
    cells = [c.source for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "markdown"]
    blocks = {normalise(b.text) for source in cells for b in markdown_blocks(source)}
    text = normalise(" ".join(cells))
    present = {m for m in messages if m in text}
    assert len(present) >= 0.8 * len(messages)
    assert not present - blocks, sorted(present - blocks)[:5]


def test_translate_notebook_keeps_ids_points_and_updates_checksums():
    from nbgrader.utils import compute_checksum

    path = ROOT / "exercises" / "hw01" / "hw01-derivatives.ipynb"
    nb = nbformat.read(path, as_version=4)
    markdown = {normalise(b.text): f"ID {normalise(b.text)}" for cell in nb.cells
                if cell.cell_type == "markdown" for b in markdown_blocks(cell.source)}
    code = pseudo_catalogue([c.source for c in nb.cells if c.cell_type == "code"])
    catalogues = Catalogues(Catalogue(markdown, frozenset(markdown)), code)
    translated, missing = translate_notebook(nb, catalogues, "id")
    assert not missing
    assert notebook_language(translated) == "id" and notebook_language(nb) is None
    assert [c.get("id") for c in translated.cells] == [c.get("id") for c in nb.cells]
    for old, new in zip(nb.cells, translated.cells):
        meta_old, meta_new = old.metadata.get("nbgrader", {}), new.metadata.get("nbgrader", {})
        assert {k: v for k, v in meta_old.items() if k != "checksum"} == \
            {k: v for k, v in meta_new.items() if k != "checksum"}
        if "checksum" in meta_new:
            assert meta_new["checksum"] == compute_checksum(new)
        if old.cell_type == "markdown" and old.source.strip():
            assert new.source != old.source
    assert nbformat.validate(translated) is None


def test_split_language():
    assert split_language("hw01-id") == ("hw01", "id")
    assert split_language("hw01") == ("hw01", None)
    assert split_language("final-exam") == ("final-exam", None)
    assert split_language("hw02-pt_BR") == ("hw02", "pt_BR")


def test_extract_keeps_translations_and_marks_changed_ones_fuzzy(tmp_path):
    (tmp_path / "solutions" / "hw01").mkdir(parents=True)
    source = ROOT / "solutions" / "hw01" / "hw01-derivatives.ipynb"
    target = tmp_path / "solutions" / "hw01" / source.name
    target.write_bytes(source.read_bytes())
    (po_path,) = extract(tmp_path, "id")
    assert po_path == homework_catalogue_path(tmp_path, "hw01", "id")
    po = polib.pofile(str(po_path))
    hidden = "best_eps is not where your formula's error is smallest."
    assert "hidden test" in po.find(hidden).comment
    po.find(hidden).msgstr = "best_eps bukan tempat galat rumus Anda paling kecil."
    po.save()
    before = po_path.read_text(encoding="utf-8")
    extract(tmp_path, "id")
    assert po_path.read_text(encoding="utf-8") == before, "a second extract changes nothing"
    nb = nbformat.read(target, as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace(hidden, hidden.replace("smallest", "the smallest"))
    nbformat.write(nb, target)
    extract(tmp_path, "id")
    entry = polib.pofile(str(po_path)).find(hidden.replace("smallest", "the smallest"))
    assert entry.msgstr.startswith("best_eps bukan") and "fuzzy" in entry.flags
    assert entry.previous_msgid == hidden
    catalogue = Catalogue.read(po_path)
    assert hidden.replace("smallest", "the smallest") not in catalogue.translations


def test_tokenize_agrees_on_every_cell():
    """Every code cell of the homework tokenizes (else its literals would stay English)."""
    for _where, source in code_cells():
        list(tokenize.generate_tokens(io.StringIO(source).readline))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_repository_catalogues_translate_and_keep_markup(path):
    """The tests catalogue of each homework: no translation is refused (changed f-string
    fields), and each keeps its message's code, math and links (tests/i18n_tools.py)."""
    from i18n_tools import markup_problems  # tests/ is on sys.path (pyproject: pythonpath)

    catalogue_path = homework_catalogue_path(ROOT, path.parent.name, "id")
    catalogue = Catalogue.read(catalogue_path)
    refused = [(text, why) for cell in nbformat.read(path, as_version=4).cells
               if cell.cell_type == "code"
               for text, why in translate_code(cell.source, catalogue)[1]
               if why.startswith("changes the fields")]
    assert not refused, refused
    broken = [(e.msgid[:50], problems) for e in polib.pofile(str(catalogue_path))
              if e.msgstr and not e.obsolete and (problems := markup_problems(e.msgid, e.msgstr))]
    assert not broken, broken


def test_repository_tests_catalogues_are_current_and_complete(tmp_path):
    """The homework's tests catalogues hold exactly the messages of the current solutions,
    every one translated and none fuzzy: a test message edited in solutions/ without
    `make pot` and a revisited translation fails here."""
    import shutil

    from backproplab_grader.translate import extract, homework_catalogue_path

    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    extract(tmp_path, "id")
    for fresh in sorted((tmp_path / "solutions" / ".locales").rglob("*.po")):
        name = fresh.stem
        ours = polib.pofile(str(homework_catalogue_path(ROOT, name, "id")))
        theirs = polib.pofile(str(fresh))
        current = {e.msgid for e in ours if not e.obsolete}
        assert current == {e.msgid for e in theirs if not e.obsolete}, (
            f"{name}: the tests catalogue is not the solutions' messages: run `make pot`")
        unfinished = [e.msgid[:60] for e in ours if not e.obsolete and (not e.msgstr or e.fuzzy)]
        assert not unfinished, f"{name}: untranslated or fuzzy: {unfinished}"
