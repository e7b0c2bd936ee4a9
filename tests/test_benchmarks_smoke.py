"""Quick checks of the benchmarks' own helpers (the benchmarks themselves run with make bench)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def grading_benchmark():
    """benchmarks/grading.py, loaded from its file (benchmarks/ is not a package)."""
    name = "benchmarks_grading"
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "grading.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def test_six_submissions_are_valid_notebooks_with_the_expected_mix(grading_benchmark):
    submissions = grading_benchmark.make_submissions("hw01", 6, np.random.default_rng(0))
    assert [s.kind for s in submissions] == ["correct", "partly wrong", "correct",
                                             "partly wrong", "correct", "untouched"]
    assert len({s.student for s in submissions}) == 6
    released = nbformat.read(ROOT / "exercises" / "hw01" / "hw01-derivatives.ipynb",
                             as_version=4)
    for submission in submissions:
        assert list(submission.notebooks) == ["hw01-derivatives.ipynb"]
        nb = submission.notebooks["hw01-derivatives.ipynb"]
        nbformat.validate(nb)
        code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
        assert "### BEGIN SOLUTION" not in code
        if submission.kind == "untouched":
            assert nb == released
        else:
            assert "NotImplementedError" not in code, submission.student
            assert nb != released
        assert bool(submission.wrong) == (submission.kind == "partly wrong")
        slips = grading_benchmark.wrong_answers("hw01")
        assert slips, "tests/shortcuts_hw01.py has no WRONG_ANSWERS for the benchmark"
        for grade_id in submission.wrong:
            assert slips[grade_id].strip().splitlines()[-1] in code, (submission.student, grade_id)
        if submission.kind != "untouched":
            assert f"STUDENT_ID = {submission.student!r}" in code
