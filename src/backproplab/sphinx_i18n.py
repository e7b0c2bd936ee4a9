"""The book's two editions, English and Bahasa Indonesia, from one source (issue 16).

A Sphinx extension, enabled in ``_config.yml`` under ``sphinx.extra_extensions``. The English
MyST pages stay the only source; Sphinx's gettext catalogues (``locales/id/LC_MESSAGES``)
hold the Indonesian paragraphs, and the Indonesian edition is the same build with
``language = "id"``, written into ``_build/html/id/``. This extension adds what Sphinx and
the theme do not do on their own:

- a language switch in the header of every page, linking to the same page in the other
  edition (``edition_url``, the template ``templates/language-switch.html``), and
  ``<link rel="alternate" hreflang=...>`` tags;
- display equations, and paragraphs (table cells) of only math, code and references, are
  not messages: code, equations and computed numbers are the same
  objects in both editions, so they never enter a catalogue (``UntranslatableMath``);
- the captions of the toctrees that ``_toc.yml`` inserts (sphinx-external-toc, after
  Sphinx's Locale transform has run) are translated too (``TranslateInsertedToctrees``);
- ``{glue:text}`` in a translated paragraph: Sphinx parses a translation as a document of its
  own, which has no notebook and so no glue data; the role then pastes the value the page's
  notebook glued (``TranslatedPasteTextRole``), so numbers are the English page's numbers.

Configuration (``sphinx.config`` in ``_config.yml``): ``i18n_editions``, a list of
``[language, label, subdirectory]``, e.g. ``[["en", "English", ""], ["id", "Indonesia", "id"]]``.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from docutils import nodes
from myst_nb.ext.glue.roles import PasteTextRole
from myst_nb.ext.glue.utils import PendingGlueReferenceError, create_pending_glue_ref
from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
SWITCH_TEMPLATE = "language-switch.html"
DEFAULT_EDITIONS = [["en", "English", ""], ["id", "Indonesia", "id"]]
TITLES = {"en": "Read this page in English", "id": "Baca halaman ini dalam bahasa Indonesia"}


def edition_url(pagename: str, suffix: str, here: str, there: str) -> str:
    """The relative URL, from page ``pagename`` of the edition in subdirectory ``here``, of
    the same page in the edition in subdirectory ``there`` ('' is the site's root).

    >>> edition_url("book/01-derivatives", ".html", "", "id")
    '../id/book/01-derivatives.html'
    >>> edition_url("book/01-derivatives", ".html", "id", "")
    '../../book/01-derivatives.html'
    """
    depth = pagename.count("/") + len([part for part in here.split("/") if part])
    there_prefix = "".join(f"{part}/" for part in there.split("/") if part)
    return "../" * depth + there_prefix + pagename + suffix


def has_words(paragraph: nodes.Element) -> bool:
    """Whether a paragraph has text outside math, code and references (a table cell such as
    ``$w$``, `` `sp.diff` `` or ``{eq}`eq-derivative``` has none)."""
    skipped = (nodes.math, nodes.literal, addnodes.pending_xref, nodes.reference)

    def words(node: nodes.Node) -> str:
        if isinstance(node, skipped):
            return ""
        if isinstance(node, nodes.Text):
            return str(node)
        return "".join(words(child) for child in node.children)

    return any(character.isalpha() for character in words(paragraph))


class UntranslatableMath(SphinxTransform):
    """Display equations, and paragraphs of nothing but math, code and references, stay out
    of the catalogues (this runs before Sphinx's Locale transform, priority 20)."""

    default_priority = 10

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.math_block):
            node["translatable"] = False
        for node in self.document.findall(nodes.paragraph):
            if not has_words(node):
                node["translatable"] = False


class TranslateInsertedToctrees(SphinxTransform):
    """Translate captions of toctrees inserted from ``_toc.yml``.

    sphinx-external-toc inserts them at priority 100, after Sphinx's Locale transform (20),
    so their captions ("Chapters", ...) are extracted into the root page's catalogue by the
    gettext builder but never replaced; this does the replacement, with the same catalogue.
    """

    default_priority = 110

    def apply(self, **kwargs) -> None:
        if not self.config.language or self.config.language == "en":
            return
        toctrees = list(self.document.findall(addnodes.toctree))
        if not toctrees:
            return
        dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for toctree in toctrees:
            caption = toctree.get("caption")
            if caption and catalog.gettext(caption) != caption:
                toctree.preserve_original_messages()
                toctree.apply_translated_message(caption, catalog.gettext(caption))


class TranslatedPasteTextRole(PasteTextRole):
    """``{glue:text}`` that also works inside a translated paragraph.

    A translation (msgstr) is parsed without the page's notebook, so it has no glue data; a
    key without ``path::`` then refers to the current page's notebook, resolved after reading
    from the glue data myst-nb saved for it (as ``path::key`` would be).
    """

    def run(self):
        if "nb_renderer" in self.document or "::" in self.text:
            return super().run()
        env = self.document.settings.env
        key, _, fmt_spec = self.text.rpartition(":") if ":" in self.text else (self.text, "", "")
        try:
            ref = create_pending_glue_ref(
                self.document, self.source, self.line,
                "/" + str(env.doc2path(env.docname, base=False)), key,
                inline=True, gtype="text", fmt_spec=fmt_spec or "s")
        except PendingGlueReferenceError as error:
            message = self.document.reporter.warning(
                f"glue:text in a translation: {error}", line=self.line)
            return [], [message]
        return [ref], []


def add_templates(app, config) -> None:
    """Put the switch template on the template path and into the article header."""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    options = config.html_theme_options
    header_end = options.get("article_header_end", ["article-header-buttons.html"])
    if isinstance(header_end, str):
        header_end = [item.strip() for item in header_end.split(",") if item.strip()]
    if SWITCH_TEMPLATE not in header_end:
        options["article_header_end"] = [SWITCH_TEMPLATE, *header_end]


def add_language_switch(app, pagename, templatename, context, doctree) -> None:
    """Links to ``pagename`` in the other editions: the switch and hreflang tags."""
    editions = app.config.i18n_editions
    language = app.config.language or "en"
    here = next((sub for code, _, sub in editions if code == language), None)
    if here is None:
        raise ValueError(f"language {language!r} is not one of i18n_editions "
                         f"{[code for code, _, _ in editions]}: add it to sphinx.config "
                         "i18n_editions in _config.yml")
    suffix = app.builder.get_target_uri(pagename)[len(pagename):] or ".html"
    switch = []
    for code, label, there in editions:
        if code == language:
            continue
        url = edition_url(pagename, suffix, here, there)
        switch.append({"language": code, "label": label, "url": url,
                       "title": TITLES.get(code, label)})
        context["metatags"] = (context.get("metatags", "")
                               + f'\n<link rel="alternate" hreflang="{code}" href="{url}">')
    context["language_switch"] = switch


def setup(app):
    # TranslatedPasteTextRole builds on myst-nb's glue internals (PasteTextRole, the
    # document's "nb_renderer", create_pending_glue_ref): checked with myst-nb 1.4.
    if not version("myst-nb").startswith("1."):
        raise RuntimeError(f"backproplab.sphinx_i18n was written for myst-nb 1.x, found "
                           f"{version('myst-nb')}: check TranslatedPasteTextRole against its "
                           "glue roles, then update this check")
    app.add_config_value("i18n_editions", DEFAULT_EDITIONS, "html", types=[list])
    app.add_transform(UntranslatableMath)
    app.add_transform(TranslateInsertedToctrees)
    app.add_role_to_domain("glue", "text", TranslatedPasteTextRole(), override=True)
    app.connect("config-inited", add_templates)
    app.add_css_file("language-switch.css")
    app.connect("html-page-context", add_language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
