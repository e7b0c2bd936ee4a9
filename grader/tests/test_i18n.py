"""The notes the grader writes for students, in Indonesian (issue 16).

``backproplab_grader.i18n`` has its own gettext domain and catalogue,
``src/backproplab_grader/locale/id/LC_MESSAGES/backproplab_grader.po`` (and the compiled
``.mo``), made by the repository's ``scripts/messages.py``. Checked here: every note is
translated and none is fuzzy, translations keep their ``{fields}``, the ``.mo`` is fresh, the
catalogue holds exactly the notes of the current sources, the API is the book package's,
and the notes a student reads come out in Indonesian inside ``language("id")`` — with the
pieces the executor cuts its one-line report from (``", but"``, ``"an earlier cell"``) found
in the Indonesian sentences too.
"""

from __future__ import annotations

import gettext
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from backproplab_grader import i18n
from backproplab_grader.executor import Identity

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "grader" / "src" / "backproplab_grader"
PO = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "backproplab_grader.po"
MO = PO.with_suffix(".mo")


def _messages_script():
    """scripts/messages.py as a module (scripts/ is not a package): one ``fields`` for the
    script's --check and these tests."""
    spec = importlib.util.spec_from_file_location("messages_script", ROOT / "scripts" / "messages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fields = _messages_script().fields


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


@pytest.fixture
def english(monkeypatch):
    monkeypatch.delenv(i18n.ENVIRONMENT_VARIABLE, raising=False)
    with i18n.language(None):
        yield


def test_every_note_is_translated_and_none_is_fuzzy(catalogue):
    assert len(catalogue) >= 30
    assert not [e.msgid for e in catalogue if not e.msgstr]
    assert not [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert not catalogue.obsolete_entries()
    files = {path.rsplit("/", 1)[-1] for e in catalogue for path, _ in e.occurrences}
    assert {"executor.py", "cli.py", "feedback.py"} <= files


def test_every_translation_keeps_its_fields(catalogue):
    lost = [(e.msgid, e.msgstr) for e in catalogue if fields(e.msgstr) != fields(e.msgid)]
    assert not lost, lost[:5]


def test_the_mo_file_is_the_po_file_compiled(catalogue):
    with open(MO, "rb") as f:
        compiled = dict(gettext.GNUTranslations(f)._catalog)
    compiled.pop("", None)
    assert compiled == {e.msgid: e.msgstr for e in catalogue}, \
        "the .mo is stale: run python scripts/messages.py"


def test_the_catalogue_holds_exactly_the_notes_of_the_sources():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "messages.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    ours = [line for line in result.stdout.splitlines() if line.startswith("grader/")]
    assert not ours, "\n".join(ours)


def test_the_api_is_the_book_packages():
    package = pytest.importorskip("backproplab.i18n")
    for name in package.__all__:
        if name in ("DOMAIN", "LOCALE_DIR"):
            continue
        ours, theirs = getattr(i18n, name), getattr(package, name)
        if callable(theirs) and not isinstance(theirs, type):
            assert inspect.signature(ours) == inspect.signature(theirs), name
    assert i18n.DOMAIN == "backproplab_grader" and package.DOMAIN == "backproplab"
    assert i18n.ENVIRONMENT_VARIABLE == package.ENVIRONMENT_VARIABLE


def test_english_by_default_indonesian_in_the_block(english):
    problem = Identity("STUDENT_ID", "a1234567").problem("b7654321")
    assert problem.startswith("this notebook was made for STUDENT_ID = 'b7654321', but it was "
                              "submitted by 'a1234567'.")
    with i18n.language("id"):
        assert i18n.get_language() == "id"
        problem = Identity("STUDENT_ID", "a1234567").problem(None)
    assert problem.startswith("STUDENT_ID belum diisi di notebook ini, tetapi dikumpulkan oleh "
                              "'a1234567'.")
    assert "setiap tes di notebook ini bernilai 0" in problem
    assert i18n.get_language() == "en"


def test_the_pieces_the_executor_cuts_its_report_from_are_in_the_indonesian_sentences():
    """``execute`` shortens a note for the report by splitting at ``_(", but")`` and ``" ("``
    and replacing ``_("an earlier cell")`` by ``_("this cell")``: the translations must
    contain those pieces where the English does."""
    _ = i18n.gettext
    with i18n.language("id"):
        refusal = Identity("STUDENT_ID", "a1").problem("b2")
        assert refusal.split(_(", but"))[0] == "notebook ini dibuat untuk STUDENT_ID = 'b2'"
        dead = _("your notebook's kernel stopped in an earlier cell "
                 "(exit, os._exit, a crash, or too much memory)")
        timeout = _("an earlier cell ran longer than the {timeout:g} s a cell may take, so the "
                    "grader stopped your kernel").format(timeout=120)
        short = [text.split(" (")[0].replace(_("an earlier cell"), _("this cell"))
                 .replace(_("in an earlier cell"), _("here")) for text in (dead, timeout)]
    assert short[0] == "kernel notebook Anda berhenti di sel ini"
    assert short[1].startswith("sel ini berjalan lebih lama dari 120 s")


def test_the_hidden_tests_note_is_translated_like_the_feedback_writes_it():
    from backproplab_grader import feedback

    with i18n.language("id"):
        note = i18n.gettext(feedback.HIDDEN_NOTE)
    assert note.startswith("# (tes tersembunyi dijalankan di sini")
    assert note.endswith("\n") and note.count("\n") == 1
    known = getattr(feedback, "HIDDEN_NOTES", {}).get("id")
    assert known in (None, note), "feedback.HIDDEN_NOTES['id'] and the catalogue disagree"


def test_an_unknown_language_is_english_with_a_warning(english, monkeypatch):
    monkeypatch.setenv(i18n.ENVIRONMENT_VARIABLE, "qq")
    i18n._CHOICE.warned.discard("qq")
    with pytest.warns(i18n.UnknownLanguageWarning, match="BACKPROPLAB_LANG='qq'"):
        assert i18n.get_language() == "en"
    assert i18n.gettext("here") == "here"
