"""The package's messages in the reader's language (issue 16): gettext, English by default.

Not tied to a chapter, at the bottom of the package (it imports only the standard library).
What a student reads from the package — errors with advice, a widget's labels and readouts,
``gradcheck``'s diagnoses, the homework checks' feedback — is looked up here *when it is
raised or shown*, never at import, so a language chosen after ``import backproplab`` counts:

- ``set_language("id")`` chooses Indonesian, ``set_language(None)`` goes back to the
  environment; ``with language("id"): ...`` chooses it for a block (and restores the
  previous choice, also after an error); ``get_language()`` says which language is in
  effect;
- without a choice, the environment variable ``BACKPROPLAB_LANG`` decides (``id``,
  ``id_ID.UTF-8`` and ``ID`` all mean Indonesian); unset or empty means English;
- a language without a catalogue falls back to English with one ``UnknownLanguageWarning``
  (a line naming the languages there are), once per language asked for.

In the package's modules ``gettext`` is imported as ``_`` and wraps a message with named
fields, ``_("X has {n} rows").format(n=...)`` (a field keeps its conversion and format,
``{value!r}``, ``{error:.2g}``); ``N_`` marks a message that is stored first (a module-level
table such as ``gradcheck.MISTAKES``) and translated with ``_(text)`` where it is shown;
``ngettext(singular, plural, n)`` chooses by a count. English text is the msgid itself, so
English output does not depend on any catalogue.

The catalogue is ``locale/id/LC_MESSAGES/backproplab.po`` with its compiled ``.mo`` (the
file gettext reads), both generated and checked by ``scripts/messages.py``; see
``tests/package/test_i18n_messages.py``.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

DOMAIN = "backproplab"
"""The gettext domain: the catalogues are ``locale/<language>/LC_MESSAGES/backproplab.mo``."""

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
"""Where the catalogues are (package data)."""

ENVIRONMENT_VARIABLE = "BACKPROPLAB_LANG"
"""The environment variable that chooses the language when no call has chosen one."""

DEFAULT_LANGUAGE = "en"
"""The language of the source (the msgids): English, needs no catalogue."""


class UnknownLanguageWarning(UserWarning):
    """A language was asked for that has no catalogue; English is used instead."""


class _Choice:
    """The language chosen by a call (None: the environment decides) and the languages
    already warned about, and the last value of the environment variable with the language
    it resolved to; one instance, ``_CHOICE``, holds the package's state."""

    def __init__(self) -> None:
        self.language: str | None = None
        self.warned: set[str] = set()
        self.environment: tuple[str, str] = ("", DEFAULT_LANGUAGE)  # the last value seen


_CHOICE = _Choice()


@cache
def available_languages() -> tuple[str, ...]:
    """English and every language with a compiled catalogue, such as ``("en", "id")``."""
    found = sorted(path.parent.parent.name
                   for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (DEFAULT_LANGUAGE, *found)


def normalise_language(value) -> str:
    """``"id_ID.UTF-8"``, ``"id-ID"``, ``" ID "`` → ``"id"``: the language part, lower case."""
    return re.split(r"[-_.@]", str(value).strip(), maxsplit=1)[0].lower()


def _resolve(value, source: str) -> str:
    """``value`` as a language with a catalogue, or English with a warning (once);
    ``source`` names where ``value`` came from, for the warning (``{!r}`` is ``value``)."""
    language = normalise_language(value)
    if not language:
        return DEFAULT_LANGUAGE
    available = available_languages()
    if language in available:
        return language
    if language not in _CHOICE.warned:
        _CHOICE.warned.add(language)
        warnings.warn(
            f"{source.format(value)}: {DOMAIN} has no messages in that language (it has "
            f"{', '.join(available)}), so they stay in English.", UnknownLanguageWarning,
            stacklevel=3)
    return DEFAULT_LANGUAGE


def set_language(lang: str | None) -> str:
    """Choose the language of the package's messages (``"id"``, ``"en"``); ``None`` lets
    ``BACKPROPLAB_LANG`` decide again. Returns the language now in effect (English for a
    language without a catalogue, after a warning)."""
    _CHOICE.language = None if lang is None else _resolve(lang, "set_language({!r})")
    return get_language()


def get_language() -> str:
    """The language in effect: the one chosen by a call, else ``BACKPROPLAB_LANG``'s,
    else English."""
    if _CHOICE.language is not None:
        return _CHOICE.language
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    seen, resolved = _CHOICE.environment
    if value != seen:  # resolved once per value: a message costs a dictionary look-up
        resolved = _resolve(value, ENVIRONMENT_VARIABLE + "={!r}")
        _CHOICE.environment = (value, resolved)
    return resolved


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """``with language("id"): ...``: the package speaks ``lang`` inside the block (yields
    the language in effect); the previous choice comes back afterwards."""
    previous = _CHOICE.language
    try:
        yield set_language(lang)
    finally:
        _CHOICE.language = previous


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def gettext(message: str) -> str:
    """``message`` in the language in effect (the English ``message`` itself when there is
    no translation). Imported as ``_`` by the package's modules."""
    lang = get_language()
    return message if lang == DEFAULT_LANGUAGE else _translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` for the count ``n``, in the language in effect."""
    lang = get_language()
    if lang == DEFAULT_LANGUAGE:
        return singular if n == 1 else plural
    return _translations(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (it is translated where it
    is shown, with ``gettext``): for tables of messages built at import."""
    return message


__all__ = [
    "DEFAULT_LANGUAGE", "DOMAIN", "ENVIRONMENT_VARIABLE", "LOCALE_DIR", "N_",
    "UnknownLanguageWarning", "available_languages", "get_language", "gettext", "language",
    "ngettext", "normalise_language", "set_language",
]
