"""What students see of the autograder: the feedback preprocessor (nbgrader).

nbgrader's autograde puts the hidden tests back into each submission before running it, so
stock feedback would show their source, and a failing hidden assert's traceback would quote
it. ``HideHiddenTests`` (configured in ``nbgrader_config.py``) removes both: a test cell keeps
its visible part, its score, and the one-line message of its failure. A notebook of a
translated release (``backproplab_grader.translate``) was graded with its texts and test
messages in its language; the note that replaces the hidden tests is in that language too.
"""

from __future__ import annotations

import re
import textwrap

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from backproplab_grader.i18n import N_, language
from backproplab_grader.i18n import gettext as _
from backproplab_grader.translate import notebook_language

HIDDEN_TESTS = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)
HIDDEN_NOTE = N_("# (hidden tests ran here; their results are in the score and message below)\n")


def is_test_cell(cell) -> bool:
    """An autograder test cell: graded, but not a cell the student answers in."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution")


class HideHiddenTests(Preprocessor):
    """Strip hidden-test source and test-cell tracebacks from autograded notebooks."""

    # nbconvert preprocessors are off unless enabled, and nbgrader registers
    # GenerateFeedback.preprocessors without enabling them: this one is on by default.
    enabled = Bool(True, help="Hide hidden tests in feedback.").tag(config=True)

    def preprocess(self, nb, resources):
        # the notebook's language (its metadata), English for a notebook that says none
        with language(notebook_language(nb) or "en"):
            self._note = _(HIDDEN_NOTE)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            return cell, resources
        note = getattr(self, "_note", None) or _(HIDDEN_NOTE)
        cell.source = HIDDEN_TESTS.sub(lambda _: note, cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                output["traceback"] = [textwrap.fill(message, width=100)]
        return cell, resources
