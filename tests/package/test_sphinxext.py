"""The {binder} role builds the same launch URL as the theme's launch buttons."""

import doctest

import pytest

from backproplab import sphinxext
from backproplab.sphinxext import binder_url

OPTIONS = {"repository_url": "https://github.com/org/book", "repository_branch": "main",
           "launch_buttons": {"binderhub_url": "https://mybinder.org/"}}


def test_binder_url_names_the_file_and_the_repository():
    assert binder_url(OPTIONS, "exercises/hw01/hw01-derivatives.ipynb") == (
        "https://mybinder.org/v2/gh/org/book/main"
        "?urlpath=lab/tree/exercises/hw01/hw01-derivatives.ipynb")


def test_binder_url_needs_a_github_repository():
    with pytest.raises(ValueError, match="repository.url"):
        binder_url({**OPTIONS, "repository_url": "https://example.org/book"}, "a.ipynb")


def test_docstring_examples_hold():
    """edition_path: the Indonesian edition's homework links open the Indonesian release."""
    assert doctest.testmod(sphinxext).failed == 0
