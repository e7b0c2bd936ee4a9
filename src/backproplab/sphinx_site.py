"""What the browser test (tests/test_browser.py) found wrong on every page, fixed at build time.

Enabled in ``_config.yml`` under ``sphinx.extra_extensions`` (both editions read it).

- Sphinx 7.4 writes an inline script that an extension adds after the builder started twice,
  once with filename None and once with '' (sphinx-doc/sphinx#13402, fixed upstream; jupyter-book
  1 keeps Sphinx 7): sphinx-thebe's ``const THEBE_JS_URL`` then fails in the browser with
  "Identifier 'THEBE_JS_URL' has already been declared". ``drop_repeated_scripts`` writes
  each script once.
- pydata-sphinx-theme logs "Got invalid theme mode: ." on a reader's first page when no
  ``default_mode`` is set: ``default_color_mode`` sets "auto" (follow the reader's system).
"""

from __future__ import annotations


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context``: keep the first of scripts equal up to None/'' as file name."""
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    # A new list: the builder's own list is restored after each page.
    context["script_files"] = scripts


def default_color_mode(app, config) -> None:
    """``config-inited``: the theme's starting color mode, unless _config.yml sets one."""
    config.html_context.setdefault("default_mode", "auto")


def setup(app):
    app.connect("config-inited", default_color_mode)
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
