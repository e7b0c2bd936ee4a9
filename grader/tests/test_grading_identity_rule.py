"""The grader's identity rule (``executor.Identity``) agrees with the book's variants
(``backproplab.variants``): an id is compared as the variants normalise it."""

from __future__ import annotations

from backproplab.variants import normalise_student_id
from backproplab_grader.executor import Identity, normalise_id

IDS = ["s1234567", "  S1234567 ", "budi.santoso", "A0012345", "12345678", "Ünal.Öz"]


def test_the_grader_normalises_ids_as_the_variants_do():
    for student_id in IDS:
        assert normalise_id(student_id) == normalise_student_id(student_id)


def test_identity_problem_names_both_ids_and_passes_the_right_one():
    identity = Identity("STUDENT_ID", "bob")
    assert identity.problem("bob") is None
    assert identity.problem(" BOB ") is None
    message = identity.problem("alice")
    assert "'alice'" in message and "'bob'" in message and "scores 0" in message
    assert "not set" in identity.problem(None)
    assert "not set" in identity.problem("  ")
