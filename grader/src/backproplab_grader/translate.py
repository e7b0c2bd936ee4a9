"""Homework in another language (issue 16): the released notebooks, the test messages and
the written answers' rubrics, translated from gettext catalogues.

A translated homework is the English one with other words and the same code: the grader
grades both with the same hidden tests and the same points. Two kinds of catalogue:

- the **page catalogue** of the released notebook, kept by the book's Sphinx workflow
  (``locales/<lang>/LC_MESSAGES/exercises/hwNN/<notebook>.po``): one message per markdown
  block (paragraph, heading, list item, table cell), its line breaks joined;
- the **tests catalogue** of the homework, written by ``extract`` from the instructor
  notebooks (``solutions/.locales/<lang>/LC_MESSAGES/homework-tests/hwNN.po``): the string
  literals of the code cells that a student reads (assert messages of visible *and* hidden
  tests, hints, printed explanations, docstrings of the given code) and the blocks of the
  written answers' model answers and rubrics. It lives under ``solutions/``: it holds the
  hidden tests' messages and the model answers, and ``solutions/`` is what never reaches
  the release, the website or the student repository (a dot folder: nbgrader's formgrader
  lists every other folder of ``solutions/`` as an assignment).

A run of implicitly concatenated literals is one message. An f-string's message keeps its
``{...}`` fields verbatim; a translation must have exactly the same fields (in any order),
else it is refused and the English stays. Code is rewritten token by token (``tokenize``):
everything but the literals stays byte for byte, and a run keeps its number of literals,
so that line numbers do not move. English stays wherever a translation is missing; every
such place is returned as an ``Untranslated``.

    python -m backproplab_grader.translate extract [--root .] [--language id]
    python -m backproplab_grader.translate status [--root .] [--language id]

(``course release`` writes the translated releases, ``exercises/hwNN-<lang>/``.)
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import io
import re
import sys
import tokenize
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "exercises"
LOCALE_DIRECTORY = "locales"          # the book's catalogues: <root>/locales/<lang>/LC_MESSAGES
TESTS_LOCALE_DIRECTORY = ".locales"   # <root>/solutions/.locales/<lang>/LC_MESSAGES/homework-tests
TESTS_DOMAIN = "homework-tests"
METADATA_KEY = "backproplab"          # notebook metadata {"backproplab": {"language": "id"}}
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")

SECRET_BLOCK = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*$(.*?)"
                          r"^[ \t]*### END \1[ \t]*$", re.S | re.M)
WORD = re.compile(r"[^\W\d_]{2,}")
# Literals given to these calls are code, not words for a reader (sp.symbols("w u c")).
CODE_ARGUMENT_CALLS = frozenset({"symbols", "Symbol", "einsum", "import_module", "getattr",
                                 "setattr", "hasattr", "lambdify", "compile", "exec", "eval"})


# ---- catalogues -------------------------------------------------------------------------

def normalise(text: str) -> str:
    """A markdown message as catalogues key it: whitespace runs as one space."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Catalogue:
    """English -> translation (translated, not fuzzy), and every English message the
    catalogue knows (translated or not)."""

    translations: Mapping[str, str] = field(default_factory=dict)
    known: frozenset = frozenset()

    @classmethod
    def read(cls, *paths: Path, markdown: bool = False) -> Catalogue:
        """The messages of the ``.po`` files in ``paths`` that exist (later files win);
        ``markdown``: keys whitespace-normalised."""
        key = normalise if markdown else (lambda text: text)
        translations, known = {}, set()
        for path in paths:
            if not Path(path).is_file():
                continue
            for entry in _read_po(str(path), Path(path).stat().st_mtime_ns):
                if entry.obsolete:
                    continue
                known.add(key(entry.msgid))
                if entry.msgstr and "fuzzy" not in entry.flags:
                    translations[key(entry.msgid)] = entry.msgstr
        return cls(translations, frozenset(known))

    def __or__(self, other: Catalogue) -> Catalogue:
        return Catalogue({**self.translations, **other.translations}, self.known | other.known)


@lru_cache(maxsize=64)
def _read_po(path: str, mtime_ns: int):
    """A parsed ``.po`` file (cached while the file is unchanged: graders read it per
    submission)."""
    import polib

    return tuple(polib.pofile(path))


@dataclass(frozen=True)
class Catalogues:
    """What translates one homework notebook: markdown blocks and code literals."""

    markdown: Catalogue = Catalogue()
    code: Catalogue = Catalogue()

    @classmethod
    def for_notebook(cls, root: Path, homework: str, notebook: str, language: str) -> Catalogues:
        """The page catalogue of ``exercises/<homework>/<notebook>`` and the tests
        catalogue of ``homework`` (its rubric blocks translate markdown too)."""
        root = Path(root)
        tests = homework_catalogue_path(root, homework, language)
        page = (root / LOCALE_DIRECTORY / language / "LC_MESSAGES" / RELEASE_DIRECTORY
                / homework / f"{notebook}.po")
        return cls(Catalogue.read(page, tests, markdown=True), Catalogue.read(tests))


def homework_catalogue_path(root: Path, homework: str, language: str) -> Path:
    """``<root>/solutions/.locales/<language>/LC_MESSAGES/homework-tests/<homework>.po``."""
    return (Path(root) / SOURCE_DIRECTORY / TESTS_LOCALE_DIRECTORY / language / "LC_MESSAGES"
            / TESTS_DOMAIN / f"{homework}.po")


def check_language(language: str) -> str:
    """``language`` if it is a language code (``id``, ``pt_BR``), else ValueError."""
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise ValueError(f"{language!r} is not a language code such as 'id' or 'pt_BR'.")
    return language


def notebook_language(nb) -> str | None:
    """The language a notebook says it is in (``metadata.backproplab.language``), or None
    (English). Anything that is not a language code counts as None."""
    meta = nb.get("metadata", {}).get(METADATA_KEY, {})
    language = meta.get("language") if isinstance(meta, Mapping) else None
    return language if isinstance(language, str) and LANGUAGE.match(language) \
        and language != "en" else None


def split_language(name: str) -> tuple[str, str | None]:
    """``"hw01-id"`` -> ``("hw01", "id")``; a name without a language suffix -> (name, None)."""
    base, _, suffix = name.rpartition("-")
    if base and LANGUAGE.match(suffix):
        return base, suffix
    return name, None


# ---- what a reader reads: untranslated places -------------------------------------------

@dataclass(frozen=True)
class Untranslated:
    """A message that stayed English, where, and why."""

    cell: str      # grade_id, else the cell id
    kind: str      # "markdown" or "code"
    message: str   # the English text (a code message: the literal's text, fields verbatim)
    reason: str    # "untranslated", "not in the catalogue" or "changes the fields: ..."

    def __str__(self) -> str:
        return f"{self.cell} ({self.kind}, {self.reason}): {self.message[:80]}"


# ---- string literals in code ------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    """One string token: where it is, how it is spelt, and its text as parts
    ``("text", str)`` (decoded) and ``("field", "{...}")`` (an f-string's field, verbatim)."""

    start: int
    end: int
    prefix: str
    quote: str
    parts: tuple

    @property
    def is_f(self) -> bool:
        return "f" in self.prefix.lower()

    def template(self, escape_braces: bool) -> str:
        return "".join(text if kind == "field" else
                       (text.replace("{", "{{").replace("}", "}}") if escape_braces else text)
                       for kind, text in self.parts)


@dataclass(frozen=True)
class Run:
    """Implicitly concatenated literals: one message."""

    literals: tuple[Literal, ...]
    docstring: bool     # an expression statement of its own (a docstring)
    region: str         # "", "solution" or "hidden tests": the nbgrader block it is in
    code_argument: bool  # the argument of a call such as sp.symbols(...)

    @property
    def is_f(self) -> bool:
        return any(lit.is_f for lit in self.literals)

    @property
    def text(self) -> str:
        """The message: the literals' texts joined; in an f-string run, fields verbatim
        and literal braces doubled (``{{``), as in the code."""
        return "".join(lit.template(self.is_f) for lit in self.literals)

    @property
    def is_message(self) -> bool:
        """Words a reader reads: a run with a space and a word, not solution code, not a
        hidden test's docstring (never shown), not code given to ``symbols`` and the like."""
        words = re.sub(r"\{[^{}]*\}", "", self.text) if self.is_f else self.text
        return (self.region != "solution" and not self.code_argument
                and not (self.docstring and self.region == "hidden tests")
                and any(c.isspace() for c in words.strip()) and bool(WORD.search(words)))


def _field_end(body: str, start: int) -> int:
    """The index of the ``}`` that closes the field opened at ``body[start] == "{"``."""
    depth, i = 0, start
    while i < len(body):
        c = body[i]
        if c in "'\"":
            close = body.find(c, i + 1)
            if close < 0:
                raise ValueError("unterminated string in an f-string field")
            i = close + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                if c != "}":
                    raise ValueError("unbalanced brackets in an f-string field")
                return i
        i += 1
    raise ValueError("an f-string field is not closed")


def split_template(template: str) -> list[tuple[str, str]]:
    """An f-string message (``{{`` for a brace, ``{...}`` a field) as parts."""
    parts, text, i = [], "", 0
    while i < len(template):
        c = template[i]
        if template.startswith("{{", i) or template.startswith("}}", i):
            text, i = text + c, i + 2
        elif c == "{":
            end = _field_end(template, i)
            if text:
                parts.append(("text", text))
            parts.append(("field", template[i:end + 1]))
            text, i = "", end + 1
        elif c == "}":
            raise ValueError("a single '}' outside a field (write '}}' for a brace)")
        else:
            text, i = text + c, i + 1
    if text:
        parts.append(("text", text))
    return parts


STRING_PREFIX = re.compile(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")")


def _parse_literal(token: str, start: int, end: int) -> Literal | None:
    """A STRING token (a whole f-string included) as a ``Literal``; None for bytes."""
    match = STRING_PREFIX.match(token)
    prefix, quote = match.group(1), match.group(2)
    if "b" in prefix.lower():
        return None
    body = token[len(prefix) + len(quote):len(token) - len(quote)]
    raw = "r" in prefix.lower()
    if "f" not in prefix.lower():
        return Literal(start, end, prefix, quote, (("text", ast.literal_eval(token)),))
    parts, pending, i = [], "", 0

    def flush() -> None:
        nonlocal pending
        if pending:
            parts.append(("text", ast.literal_eval(("r" if raw else "") + quote + pending + quote)))
        pending = ""

    while i < len(body):
        c = body[i]
        if body.startswith("{{", i) or body.startswith("}}", i):
            pending, i = pending + c, i + 2
        elif c == "{":
            close = _field_end(body, i)
            flush()
            parts.append(("field", body[i:close + 1]))
            i = close + 1
        elif c == "\\" and not raw:
            pending, i = pending + body[i:i + 2], i + 2
        else:
            pending, i = pending + c, i + 1
    flush()
    return Literal(start, end, prefix, quote, tuple(parts))


def _regions(source: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) offsets of the nbgrader blocks of a cell."""
    return [(m.start(), m.end(), m.group(1).lower()) for m in SECRET_BLOCK.finditer(source)]


def literal_runs(source: str) -> list[Run]:
    """The runs of string literals of a code cell, in order (empty if it does not tokenize:
    IPython syntax, or broken code)."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(position: tuple[int, int]) -> int:
        return offsets[position[0] - 1] + position[1]

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    regions = _regions(source)
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    # Whole literals, each with the index of its first and last token.
    whole: list[tuple[int, int, Literal | None]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == tokenize.STRING:
            start, end = at(token.start), at(token.end)
            whole.append((i, i, _safe_literal(source[start:end], start, end)))
        elif fstring_start is not None and token.type == fstring_start:
            depth, j = 1, i + 1
            while depth:
                depth += {fstring_start: 1, fstring_end: -1}.get(tokens[j].type, 0)
                j += 1
            start, end = at(token.start), at(tokens[j - 1].end)
            whole.append((i, j - 1, _safe_literal(source[start:end], start, end)))
            i = j
            continue
        i += 1
    runs: list[Run] = []
    group: list[tuple[int, int, Literal | None]] = []
    glue = {tokenize.NL, tokenize.COMMENT}

    def close_group() -> None:
        if group and all(lit is not None for _, _, lit in group):
            first, last = group[0][0], group[-1][1]
            before = _significant(tokens, first, -1)
            after = _significant(tokens, last, +1)
            docstring = (before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT,
                                                           tokenize.DEDENT)) \
                and (after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER))
            called = _significant(tokens, _index(tokens, before), -1) if before else None
            code_argument = bool(before is not None and before.string == "("
                                 and called is not None and called.type == tokenize.NAME
                                 and called.string in CODE_ARGUMENT_CALLS)
            start = group[0][2].start
            region = next((kind for a, b, kind in regions if a <= start < b), "")
            runs.append(Run(tuple(lit for _, _, lit in group), docstring, region,
                            code_argument))
        group.clear()

    for item in whole:
        if group and not all(t.type in glue for t in tokens[group[-1][1] + 1:item[0]]):
            close_group()
        group.append(item)
    close_group()
    return runs


def _safe_literal(token: str, start: int, end: int) -> Literal | None:
    try:
        return _parse_literal(token, start, end)
    except (ValueError, SyntaxError):
        return None


def _index(tokens, token) -> int:
    return next(i for i, t in enumerate(tokens) if t is token)


def _significant(tokens, index: int, step: int):
    """The nearest token before (``step`` -1) or after (+1) ``index`` that is not a line
    break inside brackets or a comment; None at either end."""
    i = index + step
    while 0 <= i < len(tokens):
        if tokens[i].type not in (tokenize.NL, tokenize.COMMENT):
            return tokens[i]
        i += step
    return None


def fields(template: str) -> Counter:
    """The ``{...}`` fields of an f-string message."""
    return Counter(text for kind, text in split_template(template) if kind == "field")


def _atoms(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Parts cut into words (each with its trailing spaces) and fields."""
    atoms = []
    for kind, text in parts:
        if kind == "field":
            atoms.append((kind, text))
        else:
            atoms.extend(("text", word) for word in re.findall(r"[^ ]+ *| +", text))
    return atoms


def _pieces(parts: list[tuple[str, str]], weights: list[int]) -> list[list[tuple[str, str]]]:
    """Cut a message into ``len(weights)`` pieces, at spaces, with lengths roughly in the
    proportion of ``weights`` (the English literals' lengths)."""
    atoms = _atoms(parts)
    if len(weights) == 1:
        return [atoms]
    ends = [0]
    for atom in atoms:
        ends.append(ends[-1] + len(atom[1]))
    allowed = [b for b in range(1, len(atoms)) if atoms[b - 1][0] == "text"
               and atoms[b - 1][1].endswith(" ")]
    total, weight_total = ends[-1], max(sum(weights), 1)
    cuts, previous, cumulative = [], 0, 0
    for weight in weights[:-1]:
        cumulative += weight
        target = total * cumulative / weight_total
        options = [b for b in allowed if b >= previous] or [previous]
        best = min(options, key=lambda b: abs(ends[b] - target))
        if abs(ends[previous] - target) < abs(ends[best] - target):
            best = previous
        cuts.append(best)
        previous = best
    bounds = [0, *cuts, len(atoms)]
    return [atoms[a:b] for a, b in zip(bounds, bounds[1:])]


def _escape(text: str, quote: str) -> str:
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == quote[0]:
            out.append("\\" + c)
        elif c == "\n" and len(quote) == 3:
            out.append(c)
        elif c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif ord(c) < 32 or ord(c) == 127:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return "".join(out)


def _spell(piece: list[tuple[str, str]], literal: Literal) -> str:
    """A piece of a translated message as a literal in the style of ``literal``."""
    has_field = any(kind == "field" for kind, _ in piece)
    quote = literal.quote
    field_text = "".join(text for kind, text in piece if kind == "field")
    if quote[0] in field_text:
        other = "'" if quote[0] == '"' else '"'
        if other not in field_text:
            quote = other * len(quote)
    prefix = "".join(c for c in literal.prefix if c.lower() not in "rf")
    if has_field:
        prefix += "f"
    body = []
    for kind, text in piece:
        if kind == "field":
            body.append(text)
        else:
            text = _escape(text, quote)
            body.append(text.replace("{", "{{").replace("}", "}}") if has_field else text)
    return prefix + quote + "".join(body) + quote


def translate_run(run: Run, translation: str) -> list[str]:
    """The literals of ``run`` spelt with ``translation`` (one per English literal);
    ValueError if an f-string translation changes the fields."""
    if run.is_f:
        english, translated = fields(run.text), fields(translation)
        if english != translated:
            lost = sorted((english - translated).elements())
            added = sorted((translated - english).elements())
            raise ValueError("changes the fields: " + ", ".join(
                [f"lacks {f}" for f in lost] + [f"adds {f}" for f in added]))
        parts = split_template(translation)
    else:
        parts = [("text", translation)]
    weights = [len(lit.template(run.is_f)) for lit in run.literals]
    pieces = _pieces(parts, weights)
    return [_spell(piece, lit) for piece, lit in zip(pieces, run.literals)]


def translate_code(source: str, catalogue: Catalogue) -> tuple[str, list[tuple[str, str]]]:
    """``source`` with the messages among its literals translated; and (message, reason)
    for every message that stayed English."""
    out, missing, position = [], [], 0
    for run in literal_runs(source):
        if not run.is_message:
            continue
        text = run.text
        translation = catalogue.translations.get(text)
        if translation is None:
            missing.append((text, "untranslated" if text in catalogue.known
                            else "not in the catalogue"))
            continue
        try:
            spelt = translate_run(run, translation)
        except ValueError as refused:
            missing.append((text, str(refused)))
            continue
        for literal, new in zip(run.literals, spelt):
            out.append(source[position:literal.start])
            out.append(new)
            position = literal.end
    out.append(source[position:])
    return "".join(out), missing


def code_messages(source: str) -> list[Run]:
    """The runs of a code cell that are messages (see ``Run.is_message``)."""
    return [run for run in literal_runs(source) if run.is_message]


# ---- markdown blocks --------------------------------------------------------------------

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
HEADING = re.compile(r"^([ \t]{0,3}#{1,6}[ \t]+)(.*?)[ \t]*$")
ITEM = re.compile(r"^([ \t]*(?:[-*+]|(\d{1,9})[.)])[ \t]+)(\S.*)$")
QUOTE = re.compile(r"^([ \t]*>[ \t]?)(.*)$")
TABLE_ROW = re.compile(r"^[ \t]*\|")
TABLE_RULE = re.compile(r"^[\s|:-]+$")
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*$")
NOT_WORDS = re.compile(r"\$[^$]*\$|`[^`]*`|\{[\w:-]+\}`[^`]*`|\[[^\]]*\]\([^)]*\)")


@dataclass
class Block:
    """A message of a markdown cell: lines ``first``..``last``, the marker before the text
    (``## ``, ``1. ``, ``> ``), the text; for a table cell, ``cell`` is its text in the row."""

    first: int
    last: int
    prefix: str
    text: str
    cell: bool = False

    @property
    def has_words(self) -> bool:
        """Text to translate (not only math, code, roles or links: those are no message)."""
        return bool(WORD.search(NOT_WORDS.sub(" ", self.text)))


def markdown_blocks(source: str) -> list[Block]:
    """The blocks of a markdown cell as Sphinx's gettext makes them messages: paragraphs,
    headings, list items, block quotes and table cells. Fenced code, ``$$`` math and
    nbgrader's ``### BEGIN/END SOLUTION`` lines are no blocks."""
    lines = source.split("\n")
    blocks: list[Block] = []
    current: Block | None = None
    i = 0

    def close() -> None:
        nonlocal current
        if current is not None:
            blocks.append(current)
        current = None

    while i < len(lines):
        line = lines[i]
        if fence := FENCE.match(line):
            close()
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence.group(1)):
                i += 1
            i += 1
            continue
        if line.strip() == "$$":
            close()
            i += 1
            while i < len(lines) and lines[i].strip() != "$$":
                i += 1
            i += 1
            continue
        if not line.strip() or MARKER.match(line):
            close()
        elif TABLE_ROW.match(line):
            close()
            if not TABLE_RULE.match(line):
                blocks.extend(Block(i, i, "", cell.strip(), cell=True)
                              for cell in line.strip().strip("|").split("|") if cell.strip())
        elif heading := HEADING.match(line):
            close()
            blocks.append(Block(i, i, heading.group(1), heading.group(2)))
        elif (item := ITEM.match(line)) and not (current is not None and (
                (current.prefix == "" and item.group(2) and item.group(2) != "1")
                or current.text.count("$") % 2)):
            # (an ordered item interrupts a paragraph only when it starts at 1; a line of
            # inline math that starts with "+ " or "- " goes on, unlike in CommonMark)
            close()
            current = Block(i, i, item.group(1), item.group(3))
        elif quote := QUOTE.match(line):
            if current is not None and current.prefix.strip().startswith(">"):
                current.last, current.text = i, current.text + "\n" + quote.group(2)
            else:
                close()
                current = Block(i, i, quote.group(1), quote.group(2))
        elif current is not None:
            current.last, current.text = i, current.text + "\n" + line.strip()
        else:
            current = Block(i, i, "", line.strip())
        i += 1
    close()
    return blocks


def translate_markdown(source: str, catalogue: Catalogue) -> tuple[str, list[tuple[str, str]]]:
    """``source`` with each block found in ``catalogue`` replaced by its translation (on
    one line, after the block's marker); and (message, reason) for the blocks left."""
    lines = source.split("\n")
    missing, replace = [], {}
    for block in markdown_blocks(source):
        if not block.has_words:
            continue
        key = normalise(block.text)
        translation = catalogue.translations.get(key)
        if translation is None:
            missing.append((key, "untranslated" if key in catalogue.known
                            else "not in the catalogue"))
            continue
        translation = normalise(translation)
        if block.cell:
            row = replace.get(block.first, lines[block.first])
            replace[block.first] = row.replace(block.text, translation.replace("|", "\\|"), 1)
        else:
            replace[block.first] = block.prefix + translation
            for line in range(block.first + 1, block.last + 1):
                replace[line] = None
    out = [replace.get(i, line) for i, line in enumerate(lines)]
    return "\n".join(line for line in out if line is not None), missing


# ---- notebooks --------------------------------------------------------------------------

def _cell_name(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id", "?")


# Appended to a translated release's setup cell (see translate_notebook).
SET_LANGUAGE = ("\n\n# {comment}\n"
                "from backproplab.i18n import set_language\n"
                "set_language({language!r});")  # ";": IPython shows no Out[] for it
SET_LANGUAGE_COMMENT = {"id": "pesan-pesan dari paket backproplab dalam bahasa Indonesia"}


def translate_notebook(nb, catalogues: Catalogues, language: str):
    """A translated copy of ``nb`` and the ``Untranslated`` places (English kept there).

    Markdown cells are translated block by block, code cells literal by literal; cell ids,
    nbgrader metadata and points stay, nbgrader's checksum of a cell whose text changed is
    that of the new text (so that an untouched answer cell is "no response" in both
    languages, and ``nbgrader validate`` accepts the locked cells). The notebook's metadata
    says ``{"backproplab": {"language": language}}``, and its setup cell (grade id
    ``setup``) ends by choosing that language for the package's own messages
    (``backproplab.i18n.set_language``), so that a student running the notebook on Binder or
    at home reads the package's errors and checks in it too (the grader sets
    ``BACKPROPLAB_LANG`` in its kernels)."""
    from nbgrader.utils import compute_checksum

    check_language(language)
    translated = copy.deepcopy(nb)
    untranslated: list[Untranslated] = []
    for cell in translated.cells:
        if cell.cell_type == "markdown":
            new, missing = translate_markdown(cell.source, catalogues.markdown)
            kind = "markdown"
        elif cell.cell_type == "code":
            new, missing = translate_code(cell.source, catalogues.code)
            kind = "code"
        else:
            continue
        untranslated.extend(Untranslated(_cell_name(cell), kind, text, why)
                            for text, why in missing)
        if kind == "code" and _cell_name(cell) == "setup" and language != "en":
            comment = SET_LANGUAGE_COMMENT.get(language, "the package's messages in this language")
            new = new.rstrip("\n") + SET_LANGUAGE.format(comment=comment, language=language)
        if new != cell.source:
            cell.source = new
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta and "checksum" in meta:
                meta["checksum"] = compute_checksum(cell)
    translated.metadata[METADATA_KEY] = {**translated.metadata.get(METADATA_KEY, {}),
                                         "language": language}
    return translated, untranslated


def release_translation(root: Path, homework: str, language: str) -> list[Untranslated]:
    """Write ``exercises/<homework>-<language>/`` from ``exercises/<homework>/`` (same file
    names; other files copied as they are); the places left in English."""
    import shutil

    check_language(language)
    root = Path(root)
    english = root / RELEASE_DIRECTORY / homework
    target = root / RELEASE_DIRECTORY / f"{homework}-{language}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    untranslated = []
    for path in sorted(english.rglob("*")):
        if not path.is_file() or ".ipynb_checkpoints" in path.parts:
            continue
        out = target / path.relative_to(english)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".ipynb":
            shutil.copy2(path, out)
            continue
        nb = nbformat.read(path, as_version=4)
        catalogues = Catalogues.for_notebook(root, homework, path.stem, language)
        translated, missing = translate_notebook(nb, catalogues, language)
        nbformat.write(translated, out)
        untranslated.extend(missing)
    return untranslated


def languages(root: Path) -> list[str]:
    """The languages the homework is released in besides English: those with a tests
    catalogue folder under ``solutions/.locales``."""
    folder = Path(root) / SOURCE_DIRECTORY / TESTS_LOCALE_DIRECTORY
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if LANGUAGE.match(p.name) and (p / "LC_MESSAGES" / TESTS_DOMAIN).is_dir())


# ---- extraction -------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    text: str
    where: str          # "<notebook path>:<grade_id>"
    note: str           # for the translator


def notebook_messages(path: Path, root: Path) -> list[Message]:
    """The tests catalogue's messages of one instructor notebook, in cell order: code
    messages (visible and hidden tests, given code) and the blocks of written answers
    (model answers and rubrics)."""
    nb = nbformat.read(path, as_version=4)
    where_file = path.resolve().relative_to(Path(root).resolve()).as_posix() \
        if path.resolve().is_relative_to(Path(root).resolve()) else path.name
    found = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        where = f"{where_file}:{_cell_name(cell)}"
        if cell.cell_type == "code":
            for run in code_messages(cell.source):
                notes = []
                if run.region == "hidden tests":
                    notes.append("hidden test: the student reads it in the feedback when "
                                 "the test fails")
                if run.docstring:
                    notes.append("docstring")
                if run.is_f and fields(run.text):
                    notes.append("keep every {...} field exactly as it is (you may move it); "
                                 "a literal brace is written {{ or }}")
                found.append(Message(run.text, where, "; ".join(notes)))
        elif cell.cell_type == "markdown" and meta.get("solution"):
            found.extend(Message(normalise(block.text), where,
                                 "written answer: model answer and rubric (for graders)")
                         for block in markdown_blocks(cell.source) if block.has_words)
    return found


def extract(root: Path, language: str = "id", homework: list[str] | None = None) -> list[Path]:
    """Write or update the tests catalogue of every homework (``solutions/hwNN``): new
    messages empty, a changed message's old translation kept as fuzzy (not used until a
    translator checks it), messages no longer in the notebooks obsolete. Returns the files
    written."""
    import polib

    check_language(language)
    root = Path(root)
    source = root / SOURCE_DIRECTORY
    names = homework or sorted(p.name for p in source.iterdir()
                               if p.is_dir() and any(p.glob("*.ipynb")))
    written = []
    for name in names:
        messages: dict[str, list[Message]] = {}
        for path in sorted((source / name).glob("*.ipynb")):
            for message in notebook_messages(path, root):
                messages.setdefault(message.text, []).append(message)
        target = homework_catalogue_path(root, name, language)
        old = polib.pofile(str(target)) if target.is_file() else None
        po = polib.POFile(wrapwidth=78)
        po.metadata = {
            "Project-Id-Version": f"Backprop Lab homework {name}: test messages and rubrics",
            "Language": language, "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "8bit"}
        po.header = (f"Messages of {name}'s tests and written-answer rubrics (issue 16).\n"
                     "Written by `python -m backproplab_grader.translate extract` (make pot)\n"
                     "from solutions/; it holds hidden tests' messages and model answers:\n"
                     "never publish it.")
        previous = {e.msgid: e for e in old if not e.obsolete} if old else {}
        obsolete_before = [e for e in old if e.obsolete] if old else []
        for text, found in messages.items():
            entry = polib.POEntry(msgid=text, msgstr="",
                                  occurrences=[tuple(m.where.rsplit(":", 1)) for m in found],
                                  comment=next((m.note for m in found if m.note), ""))
            if text in previous:
                entry.msgstr = previous[text].msgstr
                entry.flags = list(previous[text].flags)
                entry.previous_msgid = previous[text].previous_msgid
            po.append(entry)
        gone = [e for e in previous.values() if e.msgid not in messages]
        for entry in po:
            if entry.msgstr:
                continue
            close = difflib.get_close_matches(entry.msgid, [e.msgid for e in gone
                                                            if e.msgstr], n=1, cutoff=0.8)
            if close:
                before = next(e for e in gone if e.msgid == close[0])
                entry.msgstr, entry.previous_msgid = before.msgstr, before.msgid
                entry.flags = ["fuzzy"]
        for entry in gone + obsolete_before:
            if entry.msgstr and not any(e.msgid == entry.msgid for e in po):
                entry.obsolete = True
                po.append(entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = str(po)  # as polib's save() writes it
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def status(root: Path, language: str = "id") -> Iterator[tuple[str, int, int, int]]:
    """(homework, messages, translated, fuzzy) of each tests catalogue."""
    import polib

    folder = homework_catalogue_path(root, "x", language).parent
    for path in sorted(folder.glob("*.po")):
        entries = [e for e in polib.pofile(str(path)) if not e.obsolete]
        yield (path.stem, len(entries), sum(1 for e in entries if e.translated()),
               sum(1 for e in entries if "fuzzy" in e.flags))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backproplab_grader.translate",
                                     description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help in [("extract", "write/update the tests catalogues from solutions/"),
                       ("status", "messages per tests catalogue: translated, fuzzy, to do")]:
        sub = commands.add_parser(name, help=help)
        sub.add_argument("homework", nargs="*", help="homework names (default: all)")
        sub.add_argument("--root", type=Path, default=Path("."), help="the repository")
        sub.add_argument("--language", default="id")
    args = parser.parse_args(argv)
    if args.command == "extract":
        for path in extract(args.root, args.language, args.homework or None):
            print(f"updated {path}")
        return 0
    print(f"{'homework':10} {'messages':>8} {'done':>6} {'fuzzy':>6} {'todo':>6}")
    for name, total, done, fuzzy in status(args.root, args.language):
        print(f"{name:10} {total:8d} {done:6d} {fuzzy:6d} {total - done - fuzzy:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
