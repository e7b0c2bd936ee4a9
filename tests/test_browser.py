"""Both editions of the website in headless Chromium (issue 16): every Indonesian page and a
few English ones show the language switch to the same page in the other edition, their
``<html lang>``, typeset math, their figures and widgets' pictures, and no console error; no
request leaves the machine (MathJax is served from the npm package, see scripts/screenshots.py).

Each Indonesian page's full-page screenshot is saved to ``_build/screenshots/`` of the built
copy and copied to /tmp/browser-shots/ (when writable) for a reviewer to look at.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from repo_tools import ROOT  # tests/ is on sys.path (pyproject)

pytestmark = pytest.mark.slow


def _load_screenshots():
    """scripts/screenshots.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


shots = _load_screenshots()

REVIEW_COPY = Path("/tmp/browser-shots")
ENGLISH_PAGES = ["book/index.html", "book/01-derivatives.html", "book/06-frameworks.html",
                 "book/glossary.html", "exercises/hw01/hw01-derivatives.html"]
CHAPTERS = [f"id/book/{name}.html" for name in (
    "01-derivatives", "02-chain-rule", "03-delta-formulas", "04-gradient-descent",
    "05-vanishing-exploding", "06-frameworks")]


@pytest.fixture(scope="module")
def browser(site_html):
    with shots.SiteBrowser(site_html, shots.vendor_mathjax(shots.VENDOR)) as session:
        yield session


def test_every_indonesian_page_has_the_switch_math_figures_and_no_error(site_html, browser):
    pages = shots.edition_pages(site_html)
    assert set(CHAPTERS) | {"id/book/index.html", "id/book/glossary.html"} <= set(pages), pages
    folder = site_html.parent / "screenshots"
    problems, looks = [], {}
    for page in pages:
        looks[page] = look = browser.look(page, folder / shots.screenshot_name(page))
        problems += [f"{page}: {problem}" for problem in shots.page_problems(site_html, look)]
    why_not = shots.copy_screenshots([look.screenshot for look in looks.values()], REVIEW_COPY)
    if why_not:
        warnings.warn(why_not, stacklevel=1)
    assert not problems, "problems a reader of the Indonesian edition sees:\n" + "\n".join(problems)
    # The checks looked at something: every chapter has typeset math and its figures,
    # every page was followed to its English twin.
    for page in CHAPTERS:
        assert looks[page].math >= 20 and len(looks[page].image_names()) >= 3, (
            f"{page}: {looks[page].math} formulas, {len(looks[page].images)} images")
    assert all(look.switched is not None for look in looks.values())
    assert all(look.screenshot.stat().st_size > 10_000 for look in looks.values())


def test_english_pages_have_the_switch_math_figures_and_no_error(site_html, browser):
    problems = []
    for page in ENGLISH_PAGES:
        look = browser.look(page)
        problems += [f"{page}: {problem}" for problem in shots.page_problems(site_html, look)]
        assert look.switched is not None and look.switched.lang == "id", page
    assert not problems, "problems a reader of the English edition sees:\n" + "\n".join(problems)


BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title>
<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<script src="https://example.org/tracker.js"></script>
</head><body>
<a class="btn-language-switch" href="../../book/elsewhere.html">English</a>
<p>A formula MathJax cannot read: <span class="math">\\(x^1^2\\)</span>.</p>
<p>Not math to MathJax: <span class="math">w</span>, and raw \\( left in the text.</p>
<img src="missing.png" alt="a figure that is not there">
<script>console.error("boom");</script>
</body></html>
"""
ENGLISH_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Broken (English)</title></head><body>
<img src="../_images/{png}"></body></html>
"""


def one_pixel_png() -> bytes:
    """A valid 1x1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)   # 1x1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def widget_notebook(path: Path, png: bytes) -> None:
    """An executed notebook with one widget output that carries ``png`` for the static site."""
    output = {"output_type": "display_data", "metadata": {}, "data": {
        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2,
                                                     "version_minor": 0},
        "image/png": base64.b64encode(png).decode("ascii"), "text/plain": "Demo()"}}
    cell = {"cell_type": "code", "source": "demo", "metadata": {}, "execution_count": 1,
            "outputs": [output]}
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))


def test_the_checks_catch_a_broken_page(tmp_path):
    """A page with every fault the checks look for: each one is reported."""
    site = tmp_path / "html"
    png = one_pixel_png()
    name = hashlib.sha256(png).hexdigest() + ".png"
    widget_notebook(tmp_path / "jupyter_execute" / "book" / "broken.ipynb", png)
    assert shots.widget_pngs(tmp_path / "jupyter_execute" / "book" / "broken.ipynb") == [name]
    (site / "_images").mkdir(parents=True)
    (site / "_images" / name).write_bytes(png)
    (site / "book").mkdir()
    (site / "book" / "broken.html").write_text(ENGLISH_PAGE.format(png=name))
    (site / "book" / "elsewhere.html").write_text(ENGLISH_PAGE.format(png=name))
    (site / "id" / "book").mkdir(parents=True)
    (site / "id" / "book" / "broken.html").write_text(BROKEN_PAGE)
    # The command line, in a process of its own (one Playwright per process: the `browser`
    # fixture may be open). It looks at the page, saves its screenshot, lists its problems.
    shown = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshots.py"), str(site),
                            str(tmp_path / "shots"), "--pages", "id/book/broken.html"],
                           capture_output=True, text=True, timeout=300)
    problems = shown.stdout
    assert shown.returncode == 1, (shown.returncode, shown.stdout, shown.stderr[-3000:])
    assert (tmp_path / "shots" / "id_book_broken.png").stat().st_size > 1000
    for expected in ['<html lang="en">, expected "id"',
                     "the language switch links to", "not to book/broken.html",
                     "MathJax errors:", "1 of 2 formulas not typeset", "raw TeX in the text",
                     "images that did not load: ['missing.png']",
                     f"figures of the English page missing here: ['{name}']",
                     f"the widget's picture {name} is not shown",
                     "console errors:", "boom",
                     "requests that left the machine (blocked): ['https://example.org/tracker.js']"]:
        assert expected in problems, f"{expected!r} not reported; reported:\n{problems}"
