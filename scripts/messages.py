"""Extract the messages of the package and of the grader, update their catalogues, compile.

    python scripts/messages.py            # extract, update the .pot and the .po, compile the .mo
    python scripts/messages.py --check    # change nothing; exit 1 and say what is out of date

Two gettext domains (issue 16), each with the same workflow:

- ``backproplab``: ``src/backproplab/**.py`` (but ``sphinx*.py``, the book's Sphinx
  extensions, which speak Sphinx's own gettext) → ``src/backproplab/locale/``
- ``backproplab_grader``: ``grader/src/backproplab_grader/**.py`` →
  ``grader/src/backproplab_grader/locale/``

For each domain: Babel extracts the messages marked with ``_``/``gettext``, ``N_`` and
``ngettext`` (translator comments start with ``TRANSLATORS:``) into ``<domain>.pot``;
each language's ``<lang>/LC_MESSAGES/<domain>.po`` is updated from it like ``msgmerge``
(a new message is untranslated; a changed English message keeps its old translation, marked
``#, fuzzy``, with the old English as ``#| msgid``, until a translator revisits it; messages
no longer in the sources are dropped); then the ``.mo`` that gettext reads at run time is
compiled from the ``.po`` (fuzzy and untranslated messages left out: they stay English).
Locations are file names without line numbers, so moving code does not touch a catalogue.

``--check`` reports, per catalogue, what a run would change (messages added to or gone from
the sources, a ``.mo`` that is not the ``.po`` compiled), untranslated and fuzzy messages,
translations that lost or added a ``{field}``, and calls of ``_`` with an f-string (which
can never be found in a catalogue). Babel (a Sphinx dependency) is needed here, never at
run time: the packages read the ``.mo`` with the standard library's ``gettext``.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import io
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("id",)
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)


@dataclass(frozen=True)
class Domain:
    """A gettext domain: its name, the package it is extracted from, its locale folder."""

    name: str
    package: Path     # relative to the repository

    def sources(self, root: Path) -> Path:
        return root / self.package

    def locale(self, root: Path) -> Path:
        return root / self.package / "locale"

    def pot(self, root: Path) -> Path:
        return self.locale(root) / f"{self.name}.pot"

    def po(self, root: Path, lang: str) -> Path:
        return self.locale(root) / lang / "LC_MESSAGES" / f"{self.name}.po"

    def mo(self, root: Path, lang: str) -> Path:
        return self.po(root, lang).with_suffix(".mo")


DOMAINS = (
    Domain("backproplab", Path("src/backproplab")),
    Domain("backproplab_grader", Path("grader/src/backproplab_grader")),
)


# ---- extraction ------------------------------------------------------------------------

def extract(domain: Domain, root: Path = ROOT) -> Catalog:
    """A fresh template of ``domain``'s messages, in the order of the sources."""
    template = Catalog(project=domain.name, version="0.1.0", fuzzy=False,
                       msgid_bugs_address="https://github.com/ (Backprop Lab, issue 16)",
                       copyright_holder="Backprop Lab")
    folder = domain.sources(root)
    for filename, lineno, message, comments, context in extract_from_dir(
            folder, method_map=[("**/sphinx*.py", "ignore"), ("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS, strip_comment_tags=True):
        template.add(message, None, [(f"{domain.package}/{filename}", lineno)],
                     auto_comments=comments, context=context)
    return template


def fstring_calls(domain: Domain, root: Path = ROOT) -> list[str]:
    """``file:line`` of every call of ``_``/``gettext``/``N_``/``ngettext`` whose message is
    not a plain string literal (an f-string or an expression cannot be in a catalogue, and
    ``_(variable)`` is allowed: it translates a message marked elsewhere with ``N_``)."""
    found = []
    for path in sorted(domain.sources(root).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in KEYWORDS and node.args
                    and isinstance(node.args[0], (ast.JoinedStr, ast.BinOp))):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


# ---- the catalogue files -----------------------------------------------------------------

def po_text(catalog: Catalog, *, previous: bool = True) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_lineno=False, ignore_obsolete=True,
             include_previous=previous, sort_output=False)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _without_dates(text: bytes) -> bytes:
    return b"\n".join(line for line in text.split(b"\n")
                      if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:')))


def _write_if_changed(path: Path, text: bytes) -> bool:
    """Write ``text`` unless the file has it already (dates in the header aside)."""
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return True


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def updated(domain: Domain, lang: str, template: Catalog, root: Path = ROOT) -> Catalog:
    """``lang``'s catalogue of ``domain`` brought up to date with ``template`` (msgmerge)."""
    path = domain.po(root, lang)
    if path.exists():
        catalog = read_catalog(path, lang)
    else:
        catalog = Catalog(locale=lang, domain=domain.name, project=domain.name,
                          version="0.1.0", fuzzy=False, copyright_holder="Backprop Lab")
        catalog.language_team = f"{lang} <{lang}@li.org>"
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False,
                   keep_user_comments=True)
    catalog.fuzzy = False  # the header: a fuzzy header would keep the whole .mo out
    return catalog


def run(root: Path = ROOT) -> list[str]:
    """Extract, update and compile every catalogue; returns the files written."""
    written = []
    for domain in (d for d in DOMAINS if d.sources(root).is_dir()):
        template = extract(domain, root)
        if _write_if_changed(domain.pot(root), po_text(template, previous=False)):
            written.append(domain.pot(root))
        for lang in LANGUAGES:
            catalog = updated(domain, lang, template, root)
            if _write_if_changed(domain.po(root, lang), po_text(catalog)):
                written.append(domain.po(root, lang))
            compiled = read_catalog(domain.po(root, lang), lang)
            if _write_if_changed(domain.mo(root, lang), mo_bytes(compiled)):
                written.append(domain.mo(root, lang))
    return [str(path.relative_to(root)) for path in written]


# ---- the check ------------------------------------------------------------------------------

def fields(text: str) -> list[str]:
    """The ``{field}``s of a message, with their conversion and format, sorted
    (``"{n} of {m:.2g}"`` → ``["{m:.2g}", "{n}"]``); ``["<unbalanced braces>"]`` when the
    text is not a valid format string. LaTeX's ``\\text{...}`` (words in a formula, which a
    translation translates) is not a field; other LaTeX braces must stay as they are."""
    try:
        parsed = list(string.Formatter().parse(re.sub(r"\\text\{[^{}]*\}", "", text)))
    except ValueError:
        return ["<unbalanced braces>"]
    return sorted("{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
                  for _, name, spec, conv in parsed if name is not None)


def message_ids(catalog: Catalog) -> set:
    """The messages of a catalogue: msgid, or (singular, plural), with the context."""
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id))
            for m in catalog if m.id}


def problems(domain: Domain, lang: str, root: Path = ROOT) -> list[str]:
    """What is out of date or unfinished in ``lang``'s catalogue of ``domain``."""
    found = [f"{where}: _() of an f-string or an expression; use _('... {{name}} ...')"
             f".format(name=...)" for where in fstring_calls(domain, root)]
    path = domain.po(root, lang)
    if not path.exists():
        return found + [f"{path.relative_to(root)} is missing: run python scripts/messages.py"]
    catalog = read_catalog(path, lang)
    fresh = message_ids(extract(domain, root))
    have = message_ids(catalog)
    rel = path.relative_to(root)
    found += [f"{rel}: not in the catalogue (new or changed in the sources; run python "
              f"scripts/messages.py, then translate): {msgid!r}" for _, msgid in sorted(
                  fresh - have, key=str)]
    found += [f"{rel}: no longer in the sources (run python scripts/messages.py): {msgid!r}"
              for _, msgid in sorted(have - fresh, key=str)]
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = ([message.string] if isinstance(message.string, str)
                   else list(message.string))
        if message.fuzzy:
            found.append(f"{rel}: fuzzy (the English changed; revisit the translation): "
                         f"{ids[0]!r}")
        elif not all(strings):
            found.append(f"{rel}: untranslated: {ids[0]!r}")
        elif any(fields(s) != fields(ids[-1 if i or len(strings) == 1 else 0])
                 for i, s in enumerate(strings)):
            found.append(f"{rel}: the translation's fields {fields(strings[0])} are not the "
                         f"message's {fields(ids[0])}: {ids[0]!r}")
    mo = domain.mo(root, lang)
    if not mo.exists() or compiled_catalog(mo) != expected_mo_catalog(catalog):
        found.append(f"{mo.relative_to(root)} is not {rel} compiled: run python "
                     "scripts/messages.py")
    return found


def compiled_catalog(mo: Path) -> dict:
    """What gettext reads from a ``.mo``: {msgid or (msgid, n): msgstr}, header left out."""
    with open(mo, "rb") as f:
        table = dict(gettext.GNUTranslations(f)._catalog)
    table.pop("", None)
    return table


def expected_mo_catalog(catalog: Catalog) -> dict:
    """What the ``.mo`` of ``catalog`` must hold: its translated, non-fuzzy messages."""
    table = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):
            if message.string:
                table[message.id] = message.string
        elif all(message.string):
            for n, text in enumerate(message.string):
                table[(message.id[0], n)] = text
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if anything is out of date or unfinished")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the repository (default: this script's)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.check:
        found = [p for domain in DOMAINS if domain.sources(root).is_dir() for lang in LANGUAGES
                 for p in problems(domain, lang, root)]
        print("\n".join(found) if found else "every catalogue is up to date and translated")
        return 1 if found else 0
    for path in run(root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
