"""Per-student variants of the homework: each student's numbers, drawn from their id.

Used by every homework (``solutions/hwNN``), not by a chapter. A homework notebook asks for
the student's id once, in the answer cell that sets ``STUDENT_ID``, and the next cell builds
that student's variant with ``backproplab.homework.hwNN.variant(STUDENT_ID)``: the shapes,
inputs, constants and choices (which activation, which loss) of their questions. Two
students get different numbers, so answers cannot be swapped; the same id always gives the
same numbers, on Binder, locally and in the grader, which recomputes the expected results
from the id nbgrader recorded for the submission.

The seed is public (a hash of the homework and the id): a variant is no secret, it only
makes each student's task their own. The grader refuses a notebook whose ``STUDENT_ID`` is
not the submitting student's (``backproplab_grader.executor``), with the same
normalisation as ``normalise_student_id``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from backproplab.i18n import gettext as _

#: Ids that are left-overs of the template, not a student's id.
PLACEHOLDERS = frozenset({"", "your id", "your_id", "student_id", "...", "none", "todo"})


class StudentIdError(ValueError):
    """``STUDENT_ID`` is missing or is not an id."""


def normalise_student_id(student_id) -> str:
    """The id as variants and the grader compare it: a string, stripped, case-folded.

    Raises ``StudentIdError`` with advice when ``student_id`` is not a usable id.
    """
    if not isinstance(student_id, str):
        raise StudentIdError(_(
            "STUDENT_ID should be your id as a string in quotes, like STUDENT_ID = \"a1234567\", "
            "but it is a {type}: {student_id!r}.").format(type=type(student_id).__name__,
                                                         student_id=student_id))
    normal = student_id.strip().casefold()
    if normal in PLACEHOLDERS:
        raise StudentIdError(_(
            "STUDENT_ID is not set: write your own id between the quotes (the id your course "
            "uses: your LMS login or your student number, as your lecturer says), then run "
            "the cells again."))
    if len(normal) > 100 or any(ch.isspace() for ch in normal):
        raise StudentIdError(_(
            "STUDENT_ID {student_id!r} does not look like an id (one word, at most 100 "
            "characters): write the id your course uses.").format(student_id=student_id))
    return normal


def seed(student_id, homework: str) -> int:
    """The 64-bit seed of ``homework``'s variant for ``student_id`` (public: a hash)."""
    text = f"backproplab/{homework}/{normalise_student_id(student_id)}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def student_rng(student_id, homework: str) -> np.random.Generator:
    """The random generator that draws ``homework``'s variant for ``student_id``."""
    return np.random.default_rng(seed(student_id, homework))


@dataclass(frozen=True)
class Variant:
    """The part every homework's variant shares: whose it is and for which homework.

    A homework's ``Variant`` subclass adds its fields and ``describe()``; a notebook cell
    that ends with the variant shows that description to the student.
    """

    homework: str
    student_id: str

    def describe(self) -> str:
        """Markdown: the student's numbers, as the questions refer to them."""
        return _("**Your variant of {homework}** (STUDENT_ID = `{student_id}`).").format(
            homework=self.homework, student_id=self.student_id)

    def _repr_markdown_(self) -> str:
        return self.describe()
