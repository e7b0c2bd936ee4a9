"""Per-student variants (backproplab.variants); the grader's identity check that agrees with
them is tested in grader/tests/test_grading_identity_rule.py."""

from __future__ import annotations

import numpy as np
import pytest

from backproplab.variants import (
    PLACEHOLDERS,
    StudentIdError,
    Variant,
    normalise_student_id,
    seed,
    student_rng,
)

IDS = ["s1234567", "  S1234567 ", "budi.santoso", "A0012345", "12345678", "Ünal.Öz"]


def test_same_id_same_numbers_and_case_and_spaces_do_not_matter():
    a = student_rng("s1234567", "hw01").random(5)
    b = student_rng("  S1234567\n", "hw01").random(5)
    np.testing.assert_array_equal(a, b)


def test_ids_and_homework_change_the_seed():
    seeds = {seed(i, "hw01") for i in ["s1", "s2", "s3", "budi", "budi.santoso"]}
    assert len(seeds) == 5
    assert seed("s1", "hw01") != seed("s1", "hw02")


@pytest.mark.parametrize("bad", sorted(PLACEHOLDERS) + ["two words", "x" * 101])
def test_placeholders_and_non_ids_are_refused_with_advice(bad):
    with pytest.raises(StudentIdError, match="STUDENT_ID"):
        normalise_student_id(bad)


@pytest.mark.parametrize("bad", [None, 1234567, b"s1", ["s1"]])
def test_non_strings_are_refused_with_advice(bad):
    with pytest.raises(StudentIdError, match="string in quotes"):
        seed(bad, "hw01")


def test_a_variant_shows_its_description():
    v = Variant("hw01", "s1")
    assert v._repr_markdown_() == v.describe() and "hw01" in v.describe()


def test_every_homework_module_draws_a_variant_from_an_id():
    """Every homework in solutions/ has a variant module with the common interface."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for folder in sorted((root / "solutions").iterdir()):
        text = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.ipynb"))
        if "STUDENT_ID" not in text:
            continue
        module = importlib.import_module(f"backproplab.homework.{folder.name}")
        first, again = module.variant("s1234567"), module.variant("S1234567")
        assert isinstance(first, Variant) and first == again
        assert first.homework == folder.name
        assert first != module.variant("s7654321")
        assert "s1234567" in first.describe()
