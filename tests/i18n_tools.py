"""How far the Indonesian edition is: messages per page, translated, fuzzy, untranslated;
and whether a translation kept its message's markup (roles, math, code, links).

    python tests/i18n_tools.py [--locale id] [--locales-dir locales]      (make i18n-status)

Reads the catalogues locales/<locale>/LC_MESSAGES/**/*.po (made by `make pot`, see
docs/i18n-design.md) and prints one line per page; exits 1 if a page of the site has no
catalogue or an untranslated or fuzzy message, or a translation lost markup.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PageStatus:
    page: str          # document name, e.g. "book/01-derivatives"
    messages: int      # msgids in the catalogue (obsolete ones not counted)
    translated: int    # translated and not fuzzy
    fuzzy: int         # translated once, English changed since: to be revisited
    untranslated: int

    @property
    def complete(self) -> bool:
        return self.translated == self.messages


def page_status(po_path: Path, messages_dir: Path) -> PageStatus:
    """Counts for one catalogue; ``messages_dir`` is its LC_MESSAGES folder."""
    catalogue = polib.pofile(str(po_path))
    entries = [entry for entry in catalogue if not entry.obsolete]
    fuzzy = sum(1 for entry in entries if "fuzzy" in entry.flags)
    translated = sum(1 for entry in entries if entry.translated())
    page = po_path.relative_to(messages_dir).with_suffix("").as_posix()
    return PageStatus(page, len(entries), translated, fuzzy,
                      len(entries) - translated - fuzzy)


def locale_status(locales_dir: Path, locale: str) -> list[PageStatus]:
    messages_dir = locales_dir / locale / "LC_MESSAGES"
    if not messages_dir.is_dir():
        raise FileNotFoundError(f"no catalogues in {messages_dir}: run `make pot` first "
                                "(docs/i18n-design.md)")
    return [page_status(path, messages_dir) for path in sorted(messages_dir.rglob("*.po"))]


def book_pages(root: Path = ROOT) -> list[str]:
    """The pages of the site: the root and every file of ``_toc.yml``."""
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^root:\s*(\S+)", toc, re.M) + re.findall(r"file:\s*(\S+)", toc)


# What a translation must carry over unchanged: roles with their targets ({glue:text}`key:fmt`,
# {eq}`label`, {ref}`label`, ...), inline code and link targets, as many times as the English
# has them; and every piece of inline math of the English (a translation may add some, e.g.
# name the variable a pronoun stands for).
ROLE_CODE_LINK = re.compile(r"\{[\w:-]+\}`[^`]*`|(?<![`}])`[^`]+`|\]\([^)]*\)")
MATH = re.compile(r"\$[^$]+\$")
# A role with a title, {doc}`Homework 6 <../exercises/...>`: its title is text to translate,
# its name and target must stay.
TITLED_ROLE = re.compile(r"^(\{[\w:-]+\}`)[^`<]*(<[^`>]+>`)$")


# A cross-reference without a title, {ref}`glossary`, may get one in a translation.
UNTITLED_XREF = re.compile(r"^(\{(?:ref|doc|numref|term|binder)\}`)([^`<]+)(`)$")


def markup_pieces(text: str) -> Counter:
    """The roles (titles left out), inline code and link targets of a message."""
    pieces = (TITLED_ROLE.sub(r"\1\2", piece) for piece in ROLE_CODE_LINK.findall(text))
    return Counter(UNTITLED_XREF.sub(r"\1<\2>\3", piece) for piece in pieces)


def markup_problems(msgid: str, msgstr: str) -> list[str]:
    """What a translation lost or added of its English message's roles, code, links and math
    (empty if nothing)."""
    source, target = markup_pieces(msgid), markup_pieces(msgstr)
    problems = [f"lacks {piece}" for piece in (source - target).elements()]
    problems += [f"adds {piece}" for piece in (target - source).elements()]
    lost_math = Counter(MATH.findall(msgid)) - Counter(MATH.findall(msgstr))
    problems += [f"lacks {piece}" for piece in lost_math.elements()]
    return problems


def markup_mismatches(po_path: Path) -> list[tuple[str, list[str]]]:
    """Translated messages of a catalogue whose msgstr lost (or added) a role, code or link,
    or lost a piece of math: (msgid, problems)."""
    found = []
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete or not entry.msgstr:
            continue
        if problems := markup_problems(entry.msgid, entry.msgstr):
            found.append((entry.msgid, problems))
    return found


def _plain(term: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*()]|\([^)]*\)", " ", term)).strip().lower()


def glossary_pairs(glossary: Path = ROOT / "book" / "glossary.yml") -> list[tuple[str, str]]:
    """(English, Indonesian) term pairs of the glossary, entries like 'layer, hidden layer'
    split into their parts (paired by position when both sides have as many parts)."""
    import yaml  # only the glossary report needs it

    pairs = []
    for entry in yaml.safe_load(glossary.read_text(encoding="utf-8"))["terms"]:
        english = [_plain(part) for part in re.sub(r"\([^)]*\)", "", entry["en"]).split(",")]
        indonesian = [_plain(part) for part in re.sub(r"\([^)]*\)", "", entry["id"]).split(",")]
        if len(english) != len(indonesian):
            english, indonesian = english[:1], indonesian[:1]
        pairs += [(en, id_) for en, id_ in zip(english, indonesian) if en and id_ and en != id_]
    return pairs


def glossary_report(po_path: Path, pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Translated messages whose English uses a glossary term while the translation has no
    word of the glossary's Indonesian for it: (msgid, English term, Indonesian term). For a
    reviewer, not a failure: Indonesian inflects (bobotnya) and rephrases."""
    found = []
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete or not entry.msgstr:
            continue
        english, translation = entry.msgid.lower(), entry.msgstr.lower()
        for en, id_ in pairs:
            if re.search(rf"\b{re.escape(en)}s?\b", english) and not any(
                    word in translation for word in id_.split() if len(word) >= 3):
                found.append((entry.msgid, en, id_))
    return found


PASTED = re.compile(r'<span class="pasted-text">(.*?)</span>', re.S)


def edition_differences(site: Path, subdir: str = "id") -> list[str]:
    """Pages of the edition in ``site/subdir`` whose glued numbers (``{glue:text}``) differ
    from the English page's, or that the English site lacks; empty if none. The values are
    compared as a multiset: a translation may name two numbers of a sentence in the other
    order, but none may be lost, added or changed."""
    differences = []
    for translated in sorted((site / subdir).rglob("*.html")):
        name = translated.relative_to(site / subdir)
        english = site / name
        if not english.is_file():
            differences.append(f"{name}: no English page")
            continue
        ours, theirs = (Counter(PASTED.findall(p.read_text())) for p in (translated, english))
        if ours != theirs:
            differences.append(f"{name}: glued values only here {sorted((ours - theirs).elements())[:5]}, "
                               f"only in English {sorted((theirs - ours).elements())[:5]}")
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", default="id")
    parser.add_argument("--locales-dir", type=Path, default=ROOT / "locales")
    parser.add_argument("--glossary", action="store_true",
                        help="also list translations that may not use the glossary's term")
    args = parser.parse_args(argv)
    statuses = locale_status(args.locales_dir, args.locale)
    print(f"{'page':40} {'messages':>8} {'done':>6} {'fuzzy':>6} {'todo':>6}")
    for s in statuses:
        print(f"{s.page:40} {s.messages:8d} {s.translated:6d} {s.fuzzy:6d} {s.untranslated:6d}")
    total = [sum(getattr(s, f) for s in statuses)
             for f in ("messages", "translated", "fuzzy", "untranslated")]
    print(f"{'total':40} {total[0]:8d} {total[1]:6d} {total[2]:6d} {total[3]:6d}")
    by_page = {s.page: s for s in statuses}
    unfinished = [p for p in book_pages() if p not in by_page or not by_page[p].complete]
    for page in unfinished:
        print(f"not finished (untranslated or fuzzy messages, or no catalogue): {page}",
              file=sys.stderr)
    messages_dir = args.locales_dir / args.locale / "LC_MESSAGES"
    if args.glossary:
        pairs = glossary_pairs()
        for path in sorted(messages_dir.rglob("*.po")):
            for msgid, en, id_ in glossary_report(path, pairs):
                print(f"glossary? {path.relative_to(messages_dir)}: {en!r} -> {id_!r}: {msgid[:60]!r}...")
    broken = [(path, found) for path in sorted(messages_dir.rglob("*.po"))
              if (found := markup_mismatches(path))]
    for path, found in broken:
        for msgid, problems in found:
            print(f"{path.name}: the translation of {msgid[:50]!r}... {', '.join(problems)}",
                  file=sys.stderr)
    return 1 if unfinished or broken else 0


if __name__ == "__main__":
    sys.exit(main())
