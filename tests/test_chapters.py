"""Every chapter runs top to bottom in a fresh kernel, and its prose quotes only computed numbers."""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]-*.md"))


@pytest.fixture(scope="module", params=CHAPTERS, ids=lambda p: p.stem)
def executed(request):
    """The chapter, executed in a fresh kernel with the book's folder as working directory."""
    path = request.param
    nb = jupytext.read(path)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return path, nb


def test_there_are_chapters():
    assert CHAPTERS, "no chapters found in book/"


def test_chapter_runs_without_errors(executed):
    path, nb = executed
    errors = [o for cell in nb.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"


def test_chapter_structure(executed):
    """The chapter template: goals, labelled equations, package code, widget, summary, terms, homework."""
    path, nb = executed
    text = path.read_text()
    assert ":class: tip" in text and "Goals" in text, "the chapter should open with its goals"
    assert re.search(r":label: eq-", text), "the chapter should have labelled equations"
    assert "```{literalinclude} ../src/backproplab/" in text, "show code from the package"
    assert "## Summary" in text
    assert re.search(r"## Terms: English – Bahasa Indonesia\n\n```{terms-table}\n```", text)
    assert re.search(r"\{doc\}`[^`]*<\.\./exercises/hw\d\d/", text), "link to the homework"
    widget_outputs = [o for cell in nb.cells if cell.cell_type == "code"
                      for o in cell.get("outputs", [])
                      if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widget_outputs, "the chapter should show a widget"
    # The website cannot run widgets: each needs a picture (the demos) or a text showing
    # its final state (progress bars), not ipywidgets' default text such as "VBox(...)".
    blank = [o for o in widget_outputs if "image/png" not in o["data"]
             and re.match(r"\w+\(", o["data"].get("text/plain", "("))]
    assert not blank, "every widget needs a static picture or text for the website"


def _prose(nb: nbformat.NotebookNode) -> str:
    """The markdown of a notebook without maths, code, roles, directives and link targets."""
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    patterns = [
        r"```.*?```",                  # directives and code blocks (math, literalinclude, ...)
        r":::.*?:::",                  # colon-fenced directives: only their prose is kept below
        r"\$\$.*?\$\$", r"\$[^$]*\$",  # maths
        r"\{[\w:-]+\}`[^`]*`",         # roles: glue, eq, doc, ref
        r"`[^`]*`",                    # inline code
        r"\]\([^)]*\)",                # link targets
    ]
    for pattern in patterns:
        text = re.sub(pattern, " ", text, flags=re.S)
    return re.sub(r"^\([\w-]+\)=$", " ", text, flags=re.M)  # labels


def _computed_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(str(output.get("data", {}).get("text/plain", "")))
            parts.append(str(output.get("data", {}).get("text/html", "")))
    return "\n".join(parts)


NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.]*\w)")


def test_prose_quotes_only_computed_numbers(executed):
    """Each number in the prose must be one a cell shows (as an input or a printed output).

    Numbers meant to be computed are glued (myst-nb's {glue:text} role), so they are not
    prose. Small counting words (0, 1, 2) are allowed.
    """
    path, nb = executed
    computed = set(NUMBER.findall(_computed_text(nb)))
    prose = NUMBER.findall(_prose(nb))
    missing = sorted({n for n in prose if n not in {"0", "1", "2"} and n not in computed})
    assert not missing, f"{path.name}: numbers in the prose that no cell shows: {missing}"
