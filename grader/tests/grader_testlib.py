"""Helpers shared by the grader's tests (imported by name; fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from backproplab_grader.executor import KernelSetup

ROOT = Path(__file__).resolve().parents[2]  # the repository (this is grader/tests/)


def course_setup(root: Path = ROOT) -> KernelSetup:
    """What the kernels of the course at ``root`` load (its nbgrader_config.py): the
    repository's preload list, the Value codec and the reference-hiding call guard."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    return KernelSetup.from_config(config)
