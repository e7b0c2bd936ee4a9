"""A Sphinx role for one-click Binder links, used by the book's pages (all chapters).

``{binder}`Open homework 1 in Binder <exercises/hw01/hw01-derivatives.ipynb>``` becomes a
link that launches that file of the repository in JupyterLab on Binder. The link is built
from the same settings as the launch buttons (``repository.url``, ``repository.branch`` and
``launch_buttons.binderhub_url`` in ``_config.yml``), so there is one place to change them.
Enabled in ``_config.yml`` under ``sphinx.extra_extensions``.

In an edition in another language (Sphinx's ``language``, e.g. the Indonesian edition built
with ``language=id``), a link to a homework ``exercises/hwNN/<file>`` opens that homework's
release in the same language, ``exercises/hwNN-<language>/<file>``, where the repository has
it (``edition_path``).
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes

TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<path>[^<>]+)>$", re.S)


def binder_url(theme_options: dict, path: str) -> str:
    """The Binder URL that opens ``path`` (relative to the repository root) in JupyterLab."""
    repo_url = theme_options.get("repository_url", "").rstrip("/")
    binderhub = theme_options.get("launch_buttons", {}).get("binderhub_url", "").rstrip("/")
    branch = theme_options.get("repository_branch") or "main"
    match = re.match(r"https://github\.com/([^/]+)/([^/]+)$", repo_url)
    if not (binderhub and match):
        raise ValueError("set repository.url (a GitHub repository) and "
                         "launch_buttons.binderhub_url in _config.yml for Binder links")
    org, repo = match.groups()
    return f"{binderhub}/v2/gh/{org}/{repo}/{branch}?urlpath=lab/tree/{path.lstrip('/')}"


def edition_path(path: str, language: str | None, root: Path) -> str:
    """``path``, or its homework release in ``language`` if ``root`` has one.

    >>> import tempfile; root = Path(tempfile.mkdtemp())
    >>> (root / "exercises/hw01-id").mkdir(parents=True); (root / "exercises/hw01-id/a.ipynb").touch()
    >>> edition_path("exercises/hw01/a.ipynb", "id", root), edition_path("exercises/hw01/a.ipynb", "en", root)
    ('exercises/hw01-id/a.ipynb', 'exercises/hw01/a.ipynb')
    >>> edition_path("exercises/hw02/b.ipynb", "id", root)
    'exercises/hw02/b.ipynb'
    """
    match = re.match(r"^(exercises/hw\d+)/([^/]+)$", path)
    if not match or not language or language == "en":
        return path
    translated = f"{match[1]}-{language}/{match[2]}"
    return translated if (root / translated).is_file() else path


def binder_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    match = TARGET.match(text)
    label, path = (match["text"], match["path"]) if match else ("Open in Binder", text)
    path = edition_path(path, env.config.language, Path(env.srcdir))
    if not (Path(env.srcdir) / path).is_file():
        message = inliner.reporter.error(f"binder role: no file {path!r} in the repository",
                                         line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    try:
        url = binder_url(env.config.html_theme_options, path)
    except ValueError as error:
        message = inliner.reporter.error(f"binder role: {error}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    node = nodes.reference(rawtext, label, refuri=url, classes=["binder-link"])
    return [node], []


def setup(app):
    app.add_role("binder", binder_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
