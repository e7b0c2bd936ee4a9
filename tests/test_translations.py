"""The Indonesian edition's catalogues (issue 16, docs/i18n-design.md): finished pages have no
untranslated or fuzzy message, translations keep their message's numbers, references, code
and math, and the catalogues hold exactly the messages of the current English pages."""

import subprocess

import polib
import pytest
from i18n_tools import (
    book_pages,
    edition_differences,
    locale_status,
    markup_mismatches,
    markup_problems,
)
from repo_tools import ROOT, VENV_BIN, copy_worktree  # tests/ is on sys.path (pyproject)

LOCALES = ROOT / "locales"
MESSAGES = LOCALES / "id" / "LC_MESSAGES"


def test_every_page_is_translated_and_not_fuzzy():
    """Every page of the site has a catalogue with every message translated; a message whose
    English changed since (fuzzy, after `make pot`) fails until its translation is revisited."""
    status = {s.page: s for s in locale_status(LOCALES, "id")}
    pages = book_pages()
    assert len(pages) >= 16, pages
    missing = [page for page in pages if page not in status]
    assert not missing, f"no catalogue for {missing}: run `make pot`"
    unfinished = [f"{page}: {status[page].untranslated} untranslated, {status[page].fuzzy} "
                  "fuzzy (the English changed: revisit the translation, then remove '#, fuzzy')"
                  for page in pages if not status[page].complete]
    assert not unfinished, "\n".join(unfinished)


def test_translations_keep_numbers_references_code_and_math():
    broken = [f"{path.relative_to(MESSAGES)}: {msgid[:50]!r}...: {', '.join(problems)}"
              for path in sorted(MESSAGES.rglob("*.po"))
              for msgid, problems in markup_mismatches(path)]
    assert not broken, "translations that changed their message's markup:\n" + "\n".join(broken)


def test_markup_check_catches_a_lost_number_and_lost_math():
    english = "moves $J$ to {glue:text}`n3_J_nudged:.6f`, see {eq}`eq-nudge` and `nudge`"
    assert markup_problems(english, "menggeser $J$ ke {glue:text}`n3_J_nudged:.6f`, lihat "
                                    "{eq}`eq-nudge` dan `nudge`") == []
    assert markup_problems(english, "menggeser $J$ ke 9.006001, lihat {eq}`eq-nudge` dan "
                                    "`nudge`") == ["lacks {glue:text}`n3_J_nudged:.6f`"]
    assert markup_problems(english, "menggeser J ke {glue:text}`n3_J_nudged:.6f`, lihat "
                                    "{eq}`eq-nudge` dan `nudge`") == ["lacks $J$"]


def test_markup_check_lets_a_link_title_be_translated_but_not_its_target():
    english = "{doc}`Homework 6 <../exercises/hw06/hw06-frameworks>` asks"
    assert markup_problems(english, "{doc}`Tugas 6 <../exercises/hw06/hw06-frameworks>` meminta") == []
    assert markup_problems(english, "{doc}`Tugas 6 <../exercises/hw05/hw05-frameworks>` meminta") != []
    assert markup_problems(english, "{ref}`Tugas 6 <../exercises/hw06/hw06-frameworks>` meminta") != []
    assert markup_problems("see the {ref}`glossary`", "lihat {ref}`glosarium <glossary>`") == []
    assert markup_problems("see the {ref}`glossary`", "lihat {ref}`glosarium <students>`") != []


@pytest.mark.slow
def test_catalogues_hold_the_messages_of_the_current_english_pages(tmp_path):
    """Fails when an English paragraph changed and `make pot` was not run (its translation
    then becomes fuzzy and must be revisited) or a catalogue holds a message no page has."""
    repo = tmp_path / "repo"
    copy_worktree(ROOT, repo)
    run = {"cwd": repo, "capture_output": True, "text": True, "timeout": 600}
    made = subprocess.run([str(VENV_BIN / "jupyter-book"), "config", "sphinx", "."], **run)
    assert made.returncode == 0, made.stderr[-2000:]
    # Outputs are never messages: extraction needs no execution (nor the jupyter cache).
    built = subprocess.run([str(VENV_BIN / "sphinx-build"), "-q", "-b", "gettext",
                            "-D", "nb_execution_mode=off", "-D", "suppress_warnings=mystnb.glue",
                            ".", str(tmp_path / "pot")], **run)
    assert built.returncode == 0, built.stderr[-2000:]
    problems = []
    for pot in sorted((tmp_path / "pot").rglob("*.pot")):
        name = pot.relative_to(tmp_path / "pot").with_suffix(".po")
        po = MESSAGES / name
        english = {e.msgid for e in polib.pofile(str(pot))}
        held = ({e.msgid for e in polib.pofile(str(po)) if not e.obsolete}
                if po.is_file() else set())
        problems += [f"{name}: new or changed English, not in the catalogue: {m[:60]!r}"
                     for m in sorted(english - held)]
        problems += [f"{name}: message no longer in the English page: {m[:60]!r}"
                     for m in sorted(held - english)]
    assert not problems, "run `make pot` and revisit the fuzzy messages:\n" + "\n".join(
        problems[:30])


@pytest.mark.slow
def test_both_editions_build_and_show_the_same_numbers(site_html):
    """`make book` in a copy (the ``site_html`` fixture): both editions, warnings as errors;
    the Indonesian pages paste the English pages' glued values and carry a switch back to the
    English page."""
    assert not edition_differences(site_html, "id"), edition_differences(site_html, "id")
    page = (site_html / "id" / "book" / "01-derivatives.html").read_text()
    assert 'href="../../book/01-derivatives.html" class="btn btn-sm btn-language-switch"' in page
    assert '<html lang="id"' in page
