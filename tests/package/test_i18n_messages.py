"""The package's messages in Indonesian (issue 16): the catalogue is complete and current,
and a student who sets ``BACKPROPLAB_LANG=id`` reads Indonesian while English stays the
default.

The catalogue is ``src/backproplab/locale/id/LC_MESSAGES/backproplab.po`` with its compiled
``.mo``; ``scripts/messages.py`` extracts, updates and compiles it (see there). The tests:
every message is translated and none is fuzzy; every translation keeps its message's
``{fields}``; the ``.mo`` is the ``.po`` compiled; the catalogue holds exactly the messages
of the current sources (a fresh extraction), so that changing an English message fails
until its translation is revisited; and real errors and readouts come out in Indonesian in
a fresh process with ``BACKPROPLAB_LANG=id``, in English without it.
"""

from __future__ import annotations

import gettext
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import polib
import pytest

from backproplab import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "backproplab"
PO = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "backproplab.po"
MO = PO.with_suffix(".mo")
SCRIPT = ROOT / "scripts" / "messages.py"


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


def _english(entry: polib.POEntry) -> str:
    return entry.msgid_plural or entry.msgid


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


# ---- the catalogue --------------------------------------------------------------------------

def test_the_catalogue_has_the_messages_students_read(catalogue):
    files = {path.split("/", 2)[-1] for entry in catalogue for path, _ in entry.occurrences}
    for module in ("validation.py", "checks.py", "gradcheck.py", "training.py", "mlp.py",
                   "rnn.py", "deepnets.py", "variants.py", "homework/hw03.py",
                   "widgets/gradient_descent.py", "widgets/chain_rule.py"):
        assert module in files, f"no message of {module} in the catalogue"
    assert len(catalogue) > 400


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [e.msgid for e in catalogue if not e.obsolete and not all(_translations(e))]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (English changed, translation not revisited): " \
                      f"{fuzzy[:5]}"
    assert not catalogue.obsolete_entries()
    assert catalogue.metadata["Language"] == "id"
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=1;")


def test_every_translation_keeps_the_fields_of_its_message(catalogue):
    lost = [(e.msgid, text) for e in catalogue for text in _translations(e)
            if fields(text) != fields(_english(e))]
    assert not lost, "translations whose {fields} differ from the English:\n" + "\n".join(
        f"{m!r}\n  -> {t!r}" for m, t in lost[:5])


def test_the_field_check_can_fail():
    assert fields("{n} of {m:.2g} is {x!r}") == ["{m:.2g}", "{n}", "{x!r}"]
    assert fields("{n} dari {m:.3g}") != fields("{n} of {m:.2g}")
    assert fields(r"f(z) = z \text{ for } z > 0") == fields(r"f(z) = z \text{ untuk } z > 0")


def test_the_mo_file_is_the_po_file_compiled(catalogue):
    with open(MO, "rb") as f:
        compiled = dict(gettext.GNUTranslations(f)._catalog)
    compiled.pop("", None)
    expected = {}
    for entry in catalogue:
        if entry.msgid_plural:
            expected.update({(entry.msgid, int(n)): text
                             for n, text in entry.msgstr_plural.items()})
        else:
            expected[entry.msgid] = entry.msgstr
    assert compiled == expected, "the .mo is stale: run python scripts/messages.py"


def _check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--root", str(root)],
                          capture_output=True, text=True, timeout=300)


def test_the_catalogue_holds_exactly_the_messages_of_the_sources():
    """A fresh extraction (Babel) of the current sources against the catalogue; also no
    ``_()`` of an f-string. Fails when an English message changed and the catalogue was not
    updated; after ``python scripts/messages.py`` the changed message is fuzzy or
    untranslated and the tests above fail until it is translated again."""
    result = _check(ROOT)
    ours = [line for line in result.stdout.splitlines()
            if line.startswith(("src/backproplab", "scripts"))]
    assert not ours, "\n".join(ours)


def test_a_changed_english_message_fails_until_its_translation_is_revisited(tmp_path):
    copy = tmp_path / "repo" / "src" / "backproplab"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert _check(tmp_path / "repo").returncode == 0  # the copy is current
    module = copy / "deepnets.py"
    old = '"dropout must be in [0, 1); got {dropout!r}."'
    assert old in module.read_text()
    module.write_text(module.read_text().replace(old, '"dropout must lie in [0, 1); got '
                                                      '{dropout!r}."'))
    stale = _check(tmp_path / "repo")
    assert stale.returncode == 1
    assert "not in the catalogue" in stale.stdout and "dropout must lie in" in stale.stdout
    assert "no longer in the sources" in stale.stdout and "dropout must be in" in stale.stdout
    update = subprocess.run([sys.executable, str(SCRIPT), "--root", str(tmp_path / "repo")],
                            capture_output=True, text=True, timeout=300)
    assert update.returncode == 0, update.stderr
    revisit = _check(tmp_path / "repo")
    assert revisit.returncode == 1
    flagged = [line for line in revisit.stdout.splitlines() if "dropout must lie in" in line]
    assert flagged and ("fuzzy" in flagged[0] or "untranslated" in flagged[0]), revisit.stdout


# ---- choosing the language -----------------------------------------------------------------

@pytest.fixture
def english(monkeypatch):
    """No language chosen by a call or by the environment (both restored afterwards)."""
    monkeypatch.delenv(i18n.ENVIRONMENT_VARIABLE, raising=False)
    with i18n.language(None):
        yield


def test_english_is_the_default_and_needs_no_catalogue(english):
    assert i18n.get_language() == "en"
    assert i18n.gettext("the batch is empty: {name} has no rows.") == \
        "the batch is empty: {name} has no rows."
    assert i18n.ngettext("layer {numbers}, {arrays}", "layers {numbers}, {arrays}", 2) == \
        "layers {numbers}, {arrays}"


def test_indonesian_is_available_and_chosen_by_a_call_after_import(english):
    assert "id" in i18n.available_languages()
    from backproplab.validation import rows_array

    with pytest.raises(ValueError, match=r"^the batch is empty: X has no rows\.$"):
        rows_array(np.zeros((0, 2)), "X", "(batch, features)")
    assert i18n.set_language("id") == "id"
    try:
        with pytest.raises(ValueError, match=r"^batch kosong: X tidak memiliki baris\.$"):
            rows_array(np.zeros((0, 2)), "X", "(batch, features)")
    finally:
        i18n.set_language(None)
    assert i18n.get_language() == "en"


def test_the_context_manager_restores_the_previous_language(english):
    with i18n.language("id") as chosen:
        assert chosen == "id" and i18n.get_language() == "id"
        with i18n.language("en"):
            assert i18n.gettext("Likely causes:") == "Likely causes:"
        assert i18n.gettext("Likely causes:") == "Kemungkinan penyebab:"
    assert i18n.get_language() == "en"
    with pytest.raises(RuntimeError), i18n.language("id"):
        raise RuntimeError("an error inside the block")
    assert i18n.get_language() == "en"


@pytest.mark.parametrize("value", ["id", "ID", "id_ID.UTF-8", "id-ID", " id "])
def test_the_environment_chooses_the_language(english, monkeypatch, value):
    monkeypatch.setenv(i18n.ENVIRONMENT_VARIABLE, value)
    assert i18n.get_language() == "id"
    assert i18n.gettext("Likely causes:") == "Kemungkinan penyebab:"
    assert i18n.set_language("en") == "en"  # a call wins over the environment
    assert i18n.gettext("Likely causes:") == "Likely causes:"


def test_an_unknown_language_falls_back_to_english_with_one_warning(english, monkeypatch):
    monkeypatch.setenv(i18n.ENVIRONMENT_VARIABLE, "xx_YY")
    i18n._CHOICE.warned.discard("xx")
    with pytest.warns(i18n.UnknownLanguageWarning) as caught:
        assert i18n.get_language() == "en"
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "\n" not in message and "BACKPROPLAB_LANG='xx_YY'" in message and "en, id" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert i18n.gettext("Likely causes:") == "Likely causes:"  # warned once only
    i18n._CHOICE.warned.discard("zz")
    with pytest.warns(i18n.UnknownLanguageWarning, match=r"set_language\('zz'\)"):
        assert i18n.set_language("zz") == "en"


# ---- real messages in a fresh process -----------------------------------------------------

PROGRAM = r"""
import warnings
import numpy as np
from backproplab import gradcheck, mlp
from backproplab.widgets.gradient_descent import OptimizerLab

rng = np.random.default_rng(0)
params = mlp.init_params([3, 4, 2], rng)
X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
_, grads = mlp.loss_and_gradients(params, X, y, "tanh", "identity", "mse")
grads[0]["W"] = grads[0]["W"][:, :3]                      # a gradient of the wrong shape
print(gradcheck.check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                                loss="mse"))
try:
    gradcheck.relative_error(np.zeros(3), np.zeros(4))
except ValueError as error:
    print(error)
lab = OptimizerLab(variants=("SGD",), surface="quadratic", lr=0.05, n_steps=40)
lab.lr.value = 10 ** 0.5                                  # diverges
print(lab.readout.value)
print(lab.surface.label, "|", lab.batch_size.options[0][0], "|", lab.n_steps.description)
"""


def _run(language: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != i18n.ENVIRONMENT_VARIABLE}
    if language is not None:
        env[i18n.ENVIRONMENT_VARIABLE] = language
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                            text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_student_with_backproplab_lang_id_reads_indonesian():
    pytest.importorskip("ipywidgets")
    out = _run("id")
    assert "Pemeriksaan gradien gagal: 1 dari 4 larik gradien tidak sesuai dengan beda " \
           "pusat" in out
    assert "lapisan 1 (masukan → tersembunyi), dW: bentuk (3, 3), padahal harus (3, 4) " \
           "seperti W." in out
    assert "sebuah gradien tidak memiliki bentuk parameternya (pada lapisan 1, dW)." in out
    assert "larik berbentuk (3,) dan (4,) tidak dapat dibandingkan." in out
    assert re.search(r"SGD divergen pada langkah \d+: kerugian naik dari", out)
    assert "Turunkan laju pembelajaran." in out
    assert "kuadratik | semua (batch) | langkah" in out
    assert "Gradient check" not in out and "diverged" not in out


def test_without_it_the_same_messages_are_english():
    pytest.importorskip("ipywidgets")
    out = _run(None)
    assert "Gradient check failed: 1 of 4 gradient arrays disagree with central " \
           "differences" in out
    assert "layer 1 (input → hidden), dW: shape (3, 3), but it must be (3, 4) like W." in out
    assert "cannot compare arrays of shapes (3,) and (4,)." in out
    assert re.search(r"SGD diverged at step \d+: the loss grew from", out)
    assert "quadratic | all (batch) | steps" in out
    assert _run("en") == out
