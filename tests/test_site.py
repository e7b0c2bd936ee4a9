"""The website: builds with warnings as errors, shows computed results, hides the solutions."""

import re

import pytest
from repo_tools import ROOT, build_site, copy_worktree  # tests/ is on sys.path

pytestmark = pytest.mark.slow


def test_no_solution_or_hidden_test_reaches_the_site(site_html, homework_secrets, leaks_in,
                                                     html_text):
    # Every file of the site, both editions: the Indonesian one is the folder id/.
    pages = sorted(site_html.rglob("*"))
    assert any(p.suffix == ".html" for p in pages)
    assert any(p.suffix == ".html" and p.relative_to(site_html).parts[0] == "id"
               for p in pages), "no Indonesian page (id/) in the site: its leaks go unchecked"
    problems = []
    for path in pages:
        if not path.is_file() or path.suffix not in {".html", ".ipynb", ".md", ".txt", ".js",
                                                     ".json", ".py"}:
            continue
        text = path.read_text(errors="ignore")
        if path.suffix == ".html":
            text += "\n" + html_text(text)
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
            if marker in text:
                problems.append(f"{path.relative_to(site_html)}: {marker}")
        problems += [f"{path.relative_to(site_html)}: {s}" for s in leaks_in(text, homework_secrets)]
    assert not problems, "solutions reach the website:\n" + "\n".join(problems[:20])
    assert not [p for p in pages if "solutions" in p.relative_to(site_html).parts], \
        "files from solutions/ were copied into the site"


def test_chapter_page_shows_computed_results(site_html):
    page = (site_html / "book" / "01-derivatives.html").read_text()
    assert len(re.findall(r'<img[^>]+src="[^"]*_images/[^"]+\.png"', page)) >= 3, \
        "the chapter should show its computed figures (two plots and the widget's picture)"
    # Values glued into the prose by cells, e.g. J(3.001) = 9.006001.
    assert re.search(r"9\.006001", page) and re.search(r"4\.004001", page)
    assert "Traceback" not in page


def test_homework_page_is_shown_but_not_executed(site_html):
    page = (site_html / "exercises" / "hw01" / "hw01-derivatives.html").read_text()
    assert "raise NotImplementedError()" in re.sub(r"<[^>]+>", "", page)
    assert not re.search(r"<div class=\"cell_output", page), \
        "the homework notebook was executed for the website"


def test_a_failing_cell_fails_the_build(tmp_path):
    copy_worktree(ROOT, tmp_path / "repo")
    chapter = tmp_path / "repo" / "book" / "01-derivatives.md"
    chapter.write_text(chapter.read_text() + "\n```{code-cell} ipython3\n1 / 0\n```\n")
    result = build_site(tmp_path / "repo", tmp_path / "out")
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr


def test_every_glued_number_shows_on_the_page(site_html):
    """Each {glue:text} in a chapter's prose becomes a non-empty value on its page."""
    for chapter in sorted((ROOT / "book").glob("[0-9][0-9]-*.md")):
        roles = len(re.findall(r"\{glue:text\}`[^`]+`", chapter.read_text()))
        page = (site_html / "book" / f"{chapter.stem}.html").read_text()
        shown = re.findall(r'<span class="pasted-text">([^<]*)</span>', page)
        assert len(shown) == roles, f"{chapter.name}: {roles} glued values, {len(shown)} shown"
        assert all(value.strip() for value in shown), f"{chapter.name}: an empty glued value"


# Lines TensorFlow, absl and Keras print on import or during fit; none may reach a page.
FRAMEWORK_LOG_PATTERNS = [
    r"\b[IWE]\d{4} \d\d:\d\d:\d\d",           # absl / glog line prefix, e.g. "I0000 00:00:..."
    r"oneDNN custom operations",
    r"cpu_feature_guard",
    r"This TensorFlow binary is optimized",
    r"TF_ENABLE_ONEDNN_OPTS",
    r"Unable to register cu(DNN|FFT|BLAS)",
    r"All log messages before absl",
    r"computation placer already registered",
    r"\d+/\d+ ━━━",                           # Keras 3's progress bar (fit/predict, verbose=1)
    r"\d+/\d+ \[=+",                            # the older Keras progress bar
    r"Traceback",
]


def test_frameworks_page_shows_both_models_and_no_framework_log_lines(site_html, html_text):
    page = (site_html / "book" / "06-frameworks.html").read_text()
    text = html_text(page)
    found = [pattern for pattern in FRAMEWORK_LOG_PATTERNS if re.search(pattern, text)]
    assert not found, f"log lines of TensorFlow/Keras reach chapter 6's page: {found}"
    # Both models' curves and the gradient figures are pictures computed at build time.
    assert len(re.findall(r'<img[^>]+src="[^"]*_images/[^"]+\.png"', page)) >= 4
    # The page names the backend that ran the Keras model, and prints predictions for new
    # sentences with probabilities from both models.
    assert re.search(r"Keras backend: tensorflow", text), "the page should print Keras' backend"
    assert len(re.findall(r"P\(positive\) = 0\.\d\d", text)) >= 4, \
        "both models' predictions on new sentences should be printed with probabilities"
