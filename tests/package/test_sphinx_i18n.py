"""The language switch links a page to the same page in the other edition (issue 16)."""

import doctest

import pytest

from backproplab import sphinx_i18n
from backproplab.sphinx_i18n import edition_url


@pytest.mark.parametrize(("pagename", "here", "there", "url"), [
    ("book/01-derivatives", "", "id", "../id/book/01-derivatives.html"),
    ("book/01-derivatives", "id", "", "../../book/01-derivatives.html"),
    ("exercises/hw01/hw01-derivatives", "", "id", "../../id/exercises/hw01/hw01-derivatives.html"),
    ("index", "", "id", "id/index.html"),
    ("index", "id", "", "../index.html"),
    ("book/index", "editions/id", "", "../../../book/index.html"),
])
def test_edition_url_reaches_the_same_page_in_the_other_edition(pagename, here, there, url):
    assert edition_url(pagename, ".html", here, there) == url


def test_docstring_examples_hold():
    assert doctest.testmod(sphinx_i18n).failed == 0
