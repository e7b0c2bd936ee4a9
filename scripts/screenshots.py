"""Look at the built website in headless Chromium, as a reader would: screenshots and problems.

    python scripts/screenshots.py _build/html /tmp/browser-shots        # every Indonesian page
    python scripts/screenshots.py _build/html shots --pages id/book/01-derivatives.html book/index.html

Serves the site folder on 127.0.0.1 (a thread), opens each page in Debian's Chromium
(``/usr/bin/chromium``, driven by Playwright; ``make system-deps`` installs it), waits for
MathJax, saves a full-page screenshot into the output folder and prints the page's problems
(exit 1 if any): the language switch (a.btn-language-switch) is missing or does not lead to
the same page in the other edition, ``<html lang>`` is not the edition's, a formula was not
typeset (or MathJax reports a TeX error, or raw ``\\(`` is left in the text), an image did
not load, a figure or a widget's picture of the English page is missing, a console error, or
a request that left the machine.

The pages load MathJax 3 from cdn.jsdelivr.net. The browser never goes there: those URLs are
answered from the npm package mathjax@3.2.2, fetched once with ``npm pack`` into a cache
folder (``_build/vendor/`` of the repository) and checked against its npm integrity hash.
Every other request outside the local server is blocked and reported.

tests/test_browser.py drives the same functions (``SiteBrowser``, ``page_problems``).
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import html
import http.server
import json
import mimetypes
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_build" / "vendor"
CHROMIUM = Path("/usr/bin/chromium")
# --disable-dev-shm-usage: a container's /dev/shm (64 MB in Docker) is too small for the
# screenshots of long pages.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}
MATHJAX_VERSION = "3.2.2"
# `npm view mathjax@3.2.2 dist.integrity`: the registry's hash of the package tarball.
MATHJAX_INTEGRITY = ("sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtR"
                     "ZM1vO+geW0OhGw==")
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
SWITCH = "a.btn-language-switch"
EDITION = "id"          # the Indonesian edition's folder in the site, and its <html lang>
PAGE_TIMEOUT_MS = 60_000

# Runs in the page once MathJax is done: what a reader sees of the math, images and switch.
LOOK_JS = """() => {
  const math = [...document.querySelectorAll("span.math, div.math")];
  const text = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => node.parentElement.closest(
      "pre, code, script, style, textarea, mjx-container, .highlight")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  while (walker.nextNode()) text.push(walker.currentNode.nodeValue);
  const raw = text.join(" ").match(/.{0,30}\\\\[(\\[].{0,30}/g) || [];
  const images = [...document.images].map((img) => ({
    src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0}));
  const link = document.querySelector("a.btn-language-switch");
  return {
    lang: document.documentElement.lang,
    title: document.title,
    math: math.length,
    unrendered: math.filter((m) => !m.querySelector("mjx-container"))
                    .map((m) => m.textContent.trim().slice(0, 60)),
    errors: [...document.querySelectorAll("mjx-merror")]
              .map((e) => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80)),
    raw: raw,
    images: images,
    switch: link ? link.href : null,
  };
}"""
MATHJAX_DONE_JS = """async () => {
  if (!document.querySelector("span.math, div.math")) return true;
  const started = Date.now();
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (Date.now() - started > 20000) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await MathJax.startup.promise;
  await document.fonts.ready;
  return true;
}"""


def sri(data: bytes) -> str:
    """The ``sha512-...`` subresource-integrity string of ``data`` (npm's ``dist.integrity``)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def vendor_mathjax(cache: Path = VENDOR) -> Path:
    """The folder of the npm package mathjax@3.2.2 (holding ``es5/``), unpacked in ``cache``.

    The first call runs ``npm pack mathjax@3.2.2`` (the npm registry); every call checks the
    tarball against ``MATHJAX_INTEGRITY`` before it is used.
    """
    tarball = cache / f"mathjax-{MATHJAX_VERSION}.tgz"
    package = cache / f"mathjax-{MATHJAX_VERSION}"
    cache.mkdir(parents=True, exist_ok=True)
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed once to fetch MathJax for the browser checks: "
                               "install Node.js and npm, or put mathjax-3.2.2.tgz (from "
                               f"`npm pack mathjax@{MATHJAX_VERSION}`) into {cache}.")
        packed = subprocess.run([npm, "pack", f"mathjax@{MATHJAX_VERSION}",
                                 "--pack-destination", str(cache)],
                                capture_output=True, text=True, timeout=300)
        if packed.returncode != 0 or not tarball.is_file():
            raise RuntimeError(f"`npm pack mathjax@{MATHJAX_VERSION}` failed (is the npm "
                               f"registry reachable?):\n{packed.stderr[-2000:]}")
    found = sri(tarball.read_bytes())
    if found != MATHJAX_INTEGRITY:
        tarball.unlink()
        shutil.rmtree(package, ignore_errors=True)
        raise RuntimeError(f"{tarball.name} has integrity {found}, npm says "
                           f"{MATHJAX_INTEGRITY}: the file was deleted; run again to fetch it.")
    if not (package / "es5" / "tex-mml-chtml.js").is_file():
        with tempfile.TemporaryDirectory(dir=cache) as unpacked:
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
            shutil.rmtree(package, ignore_errors=True)
            (Path(unpacked) / "package").rename(package)
    return package


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve the folder ``site`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Switched:
    """Where a page's language switch led: the URL, ``<html lang>`` and title found there."""

    url: str
    lang: str
    title: str


@dataclass
class PageLook:
    """What a reader sees of one page (``path`` relative to the site, e.g. ``id/book/x.html``)."""

    path: str
    url: str
    lang: str = ""
    title: str = ""
    math: int = 0                                        # span.math and div.math elements
    unrendered: list[str] = field(default_factory=list)  # those without an mjx-container
    math_errors: list[str] = field(default_factory=list)  # MathJax's TeX errors
    raw_tex: list[str] = field(default_factory=list)     # \( or \[ left in the text
    images: dict[str, bool] = field(default_factory=dict)  # image URL -> loaded
    switch: str | None = None                            # the switch's absolute URL
    switched: Switched | None = None                     # where following it led
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    typeset: bool = True                                 # MathJax finished in time
    screenshot: Path | None = None

    def image_names(self, loaded: bool = True) -> set[str]:
        """File names of the page's images that loaded (or, ``loaded=False``, did not)."""
        return {urlsplit(url).path.rsplit("/", 1)[-1]
                for url, ok in self.images.items() if ok == loaded}


def counterpart(path: str) -> str:
    """The same page in the other edition: ``id/book/x.html`` <-> ``book/x.html``."""
    prefix = EDITION + "/"
    return path[len(prefix):] if path.startswith(prefix) else prefix + path


def edition_pages(site: Path, edition: str = EDITION) -> list[str]:
    """Every html page of an edition (``""``: the English one), relative to the site,
    without the theme's ``_static`` files and the redirect pages (``index.html``)."""
    top = site / edition if edition else site
    pages = []
    for path in sorted(top.rglob("*.html")):
        relative = path.relative_to(site)
        if "_static" in relative.parts or (not edition and relative.parts[0] == EDITION):
            continue
        if 'http-equiv="Refresh"' in path.read_text(errors="ignore")[:2000]:
            continue
        pages.append(relative.as_posix())
    return pages


def html_title(page: Path) -> str:
    """The ``<title>`` of an html file as a browser shows it (entities resolved)."""
    found = re.search(r"<title>(.*?)</title>", page.read_text(), flags=re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def html_images(page: Path) -> set[str]:
    """File names of the pictures (``_images/``) an html file shows."""
    return set(re.findall(r'<img[^>]+src="[^"]*_images/([^"/]+)"', page.read_text()))


def widget_pngs(notebook: Path) -> list[str]:
    """File names (``<sha256>.png``, as myst-nb names them) of the pictures that the widgets
    of an executed notebook carry for the static site (an output with a widget view and a PNG).
    """
    if not notebook.is_file():
        return []
    names = []
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and "image/png" in data:
                png = base64.b64decode(data["image/png"])
                names.append(hashlib.sha256(png).hexdigest() + ".png")
    return names


def page_problems(site: Path, look: PageLook) -> list[str]:
    """What is wrong with a page as ``look`` saw it, one sentence each (empty: nothing).

    ``site`` is the built site (``_build/html``); widgets' pictures are looked up in the
    executed notebooks next to it (``_build/jupyter_execute``).
    """
    problems = []
    say = problems.append
    indonesian = look.path.startswith(EDITION + "/")
    lang = EDITION if indonesian else "en"
    other = counterpart(look.path)
    if look.lang != lang:
        say(f'<html lang="{look.lang}">, expected "{lang}"')
    if look.switch is None:
        say(f"no language switch ({SWITCH})")
    elif look.switch != urljoin(look.url, "/" + other):
        say(f"the language switch links to {look.switch}, not to {other}")
    elif look.switched is None:
        say("the language switch was not followed")
    else:
        expected_lang = "en" if indonesian else EDITION
        expected_title = html_title(site / other)
        if look.switched.url != look.switch:
            say(f"following the language switch led to {look.switched.url}")
        if look.switched.lang != expected_lang:
            say(f'the other edition\'s page has <html lang="{look.switched.lang}"')
        if look.switched.title != expected_title:
            say(f"the other edition's page is titled {look.switched.title!r}, "
                f"{other} is titled {expected_title!r}")
    if not look.typeset:
        say("MathJax did not finish typesetting (not loaded?)")
    if look.unrendered:
        say(f"{len(look.unrendered)} of {look.math} formulas not typeset, e.g. "
            f"{look.unrendered[:3]}")
    if look.math_errors:
        say(f"MathJax errors: {look.math_errors[:5]}")
    if look.raw_tex:
        say(f"raw TeX in the text: {look.raw_tex[:3]}")
    broken = sorted(look.image_names(loaded=False))
    if broken:
        say(f"images that did not load: {broken}")
    if indonesian:
        english = site / other
        missing = sorted(html_images(english) - look.image_names())
        if missing:
            say(f"figures of the English page missing here: {missing}")
        notebook = site.parent / "jupyter_execute" / Path(other).with_suffix(".ipynb")
        for png in widget_pngs(notebook):
            if png not in html_images(english):
                say(f"the English page lacks its widget's picture {png}")
            if png not in look.image_names():
                say(f"the widget's picture {png} is not shown")
    if look.console_errors:
        say(f"console errors: {look.console_errors[:5]}")
    if look.outside_requests:
        say(f"requests that left the machine (blocked): {sorted(set(look.outside_requests))}")
    return problems


class SiteBrowser:
    """One headless Chromium, one context and one tab on a served site folder.

    ``with SiteBrowser(site) as browser: look = browser.look("id/book/x.html", png)``.
    """

    def __init__(self, site: Path, mathjax: Path | None = None):
        self.site = Path(site)
        self.mathjax = mathjax if mathjax is not None else vendor_mathjax()
        self._current: PageLook | None = None

    def __enter__(self) -> SiteBrowser:
        from playwright.sync_api import sync_playwright

        if not CHROMIUM.is_file():
            raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium with "
                               "`make system-deps` (scripts/system-deps.sh).")
        self._serving = serve(self.site)
        self.base = self._serving.__enter__()
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = self._browser.new_context(viewport=VIEWPORT, service_workers="block")
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self._note("console_errors", str(error)))
        return self

    def __exit__(self, *exc) -> None:
        self._browser.close()
        self._playwright.stop()
        self._serving.__exit__(*exc)

    def _note(self, what: str, text: str) -> None:
        if self._current is not None:
            getattr(self._current, what).append(text)

    def _console(self, message) -> None:
        if message.type == "error":
            self._note("console_errors", message.text)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base):
            route.continue_()
        elif url.startswith(MATHJAX_CDN):
            self._fulfill_mathjax(route, urlsplit(url).path.split("/mathjax@3/", 1)[1])
        else:
            self._note("outside_requests", url)
            route.abort("blockedbyclient")

    def _fulfill_mathjax(self, route, relative: str) -> None:
        path = (self.mathjax / relative).resolve()
        if not path.is_file() or not path.is_relative_to(self.mathjax.resolve()):
            self._note("outside_requests", f"{MATHJAX_CDN}{relative} (not in mathjax@"
                                           f"{MATHJAX_VERSION})")
            route.fulfill(status=404, body="")
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=path.read_bytes(),
                      headers={"Content-Type": kind, "Access-Control-Allow-Origin": "*"})

    def look(self, path: str, screenshot: Path | None = None, follow_switch: bool = True
             ) -> PageLook:
        """Open ``path`` (relative to the site), wait for MathJax, look, save a full-page
        screenshot to ``screenshot`` if given, then follow the language switch once."""
        url = urljoin(self.base, path)
        look = self._current = PageLook(path=path, url=url)
        try:
            self.page.goto(url, wait_until="load")
            look.typeset = self.page.evaluate(MATHJAX_DONE_JS)
            seen = self.page.evaluate(LOOK_JS)
            look.lang, look.title, look.math = seen["lang"], seen["title"], seen["math"]
            look.unrendered, look.math_errors = seen["unrendered"], seen["errors"]
            look.raw_tex, look.switch = seen["raw"], seen["switch"]
            look.images = {image["src"]: image["loaded"] for image in seen["images"]}
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                self.page.screenshot(path=str(screenshot), full_page=True)
                look.screenshot = screenshot
            if follow_switch and look.switch is not None:
                with self.page.expect_navigation(wait_until="load"):
                    self.page.click(SWITCH)
                look.switched = Switched(
                    url=self.page.url, title=self.page.title(),
                    lang=self.page.evaluate("() => document.documentElement.lang"))
        finally:
            self._current = None
        return look


def screenshot_name(path: str) -> str:
    """``id/book/01-derivatives.html`` -> ``id_book_01-derivatives.png``."""
    return path.removesuffix(".html").replace("/", "_") + ".png"


def copy_screenshots(shots: list[Path], folder: Path) -> str | None:
    """Copy screenshots into ``folder``; returns why not (e.g. not writable) or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy2(shot, folder / shot.name)
    except OSError as error:
        return f"screenshots not copied to {folder}: {error}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("out", type=Path, help="folder for the screenshots")
    parser.add_argument("--pages", nargs="+", help="pages relative to the site "
                        "(default: every page of the Indonesian edition)")
    parser.add_argument("--cache", type=Path, default=VENDOR,
                        help=f"where mathjax@{MATHJAX_VERSION} is kept (default: {VENDOR})")
    args = parser.parse_args(argv)
    pages = args.pages or edition_pages(args.site)
    if not pages:
        print(f"{args.site}: no page of the edition {EDITION!r}", file=sys.stderr)
        return 1
    failed = 0
    with SiteBrowser(args.site, vendor_mathjax(args.cache)) as browser:
        for path in pages:
            look = browser.look(path, args.out / screenshot_name(path))
            problems = page_problems(args.site, look)
            failed += bool(problems)
            print(f"{path}: {len(problems) or 'no'} problems ({look.math} formulas, "
                  f"{len(look.images)} images) -> {look.screenshot}")
            for problem in problems:
                print(f"    {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
