"""How far the Indonesian edition is: messages per page, translated, fuzzy, untranslated.

    python scripts/i18n_status.py [--locale id] [--locales-dir locales]

Reads the catalogues locales/<locale>/LC_MESSAGES/**/*.po (made by `make pot`, see
docs/i18n-design.md) and prints one line per page; exits 1 if a page listed in
locales/<locale>/complete.txt has an untranslated or fuzzy message.
"""

from __future__ import annotations

import argparse
import sys
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


def complete_pages(locales_dir: Path, locale: str) -> list[str]:
    """The pages declared finished in locales/<locale>/complete.txt (one per line, # comments)."""
    listing = locales_dir / locale / "complete.txt"
    if not listing.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in listing.read_text().splitlines())
    return [line for line in lines if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", default="id")
    parser.add_argument("--locales-dir", type=Path, default=ROOT / "locales")
    args = parser.parse_args(argv)
    statuses = locale_status(args.locales_dir, args.locale)
    print(f"{'page':40} {'messages':>8} {'done':>6} {'fuzzy':>6} {'todo':>6}")
    for s in statuses:
        print(f"{s.page:40} {s.messages:8d} {s.translated:6d} {s.fuzzy:6d} {s.untranslated:6d}")
    total = [sum(getattr(s, f) for s in statuses)
             for f in ("messages", "translated", "fuzzy", "untranslated")]
    print(f"{'total':40} {total[0]:8d} {total[1]:6d} {total[2]:6d} {total[3]:6d}")
    by_page = {s.page: s for s in statuses}
    unfinished = [p for p in complete_pages(args.locales_dir, args.locale)
                  if p not in by_page or not by_page[p].complete]
    for page in unfinished:
        print(f"declared complete but not: {page}", file=sys.stderr)
    return 1 if unfinished else 0


if __name__ == "__main__":
    sys.exit(main())
