"""Tests of the instructor's grading command (``backproplab_grader.cli``) without kernels.

Each test gets its own course folder: a copy of a course in which ``nbgrader
generate_assignment hw01`` has run (the repository's ``nbgrader_config.py``, ``solutions/``
and ``exercises/``, and the gradebook ``gradebook.db``). LMS downloads are zips built here.
Autograding (kernels, sandbox) is tested elsewhere; here: unpacking a zip, the checks before
grading, the zero for a submission without a notebook, the grades CSV, the summary and the
command's exit status.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from backproplab_grader import cli, nbgrader_patches
from backproplab_grader.course import RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_env

ROOT = Path(__file__).resolve().parents[2]  # the repository (this is grader/tests/)
HW = "hw01"
NOTEBOOK = "hw01-derivatives"
# nbgrader's own update_or_create_submission (called by record_zero) warns about its session.
pytestmark = pytest.mark.filterwarnings("ignore:Object of type <Submitted:sqlalchemy.exc.SAWarning")
CSV_COLUMNS = ["student", "score", "max_score", "late_penalty", "final_score",
               "needs_manual_grade", "timestamp", "problems"]


@pytest.fixture(scope="module")
def released_course(tmp_path_factory) -> Path:
    """A course folder with hw01 released and in its gradebook (built once per module)."""
    root = tmp_path_factory.mktemp("released") / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / SOURCE_DIRECTORY, root / SOURCE_DIRECTORY)
    shutil.copytree(ROOT / RELEASE_DIRECTORY, root / RELEASE_DIRECTORY)
    # exercises/hw01 exists already (as in the repository): --force releases it again, which
    # is what records hw01 and its grade cells in the gradebook.
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", HW,
                             "--force"], cwd=root, env=nbgrader_env(), capture_output=True,
                            text=True)
    assert result.returncode == 0, f"generate_assignment failed:\n{result.stderr[-3000:]}"
    assert (root / "gradebook.db").is_file()
    return root


@pytest.fixture
def course(released_course, tmp_path) -> cli.Course:
    root = tmp_path / "course"
    shutil.copytree(released_course, root)
    return cli.Course.load(root)


@pytest.fixture(scope="module")
def notebook_bytes(released_course) -> bytes:
    """The released notebook, as a student hands it in untouched."""
    return (released_course / RELEASE_DIRECTORY / HW / f"{NOTEBOOK}.ipynb").read_bytes()


@pytest.fixture(scope="module")
def max_score() -> float:
    """hw01's points, counted in the instructor's notebook (not read from the gradebook)."""
    nb = nbformat.read(ROOT / SOURCE_DIRECTORY / HW / f"{NOTEBOOK}.ipynb", as_version=4)
    points = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells)
    assert points > 0
    return float(points)


def make_zip(path: Path, entries: dict[str, bytes | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def submitted(course: cli.Course) -> dict[str, list[str]]:
    """{student: names of the files in submitted/<student>/hw01/}."""
    folder = course.root / "submitted"
    return {p.name: sorted(f.name for f in (p / HW).iterdir())
            for p in sorted(folder.iterdir())} if folder.exists() else {}


# ---- import_zip ----------------------------------------------------------------------------

def test_canvas_names(course, notebook_bytes, tmp_path):
    archive = make_zip(tmp_path / "canvas.zip", {
        f"alicel_123_456_{NOTEBOOK}.ipynb": notebook_bytes,
        f"bobm_late_124_457_{NOTEBOOK}.ipynb": notebook_bytes,
        f"carolk_LATE_125_458_{NOTEBOOK}.ipynb": notebook_bytes,
    })
    assert cli.import_zip(course, HW, archive) == ["alicel", "bobm", "carolk"]
    expected_file = [f"{NOTEBOOK}.ipynb"]
    assert submitted(course) == {"alicel": expected_file, "bobm": expected_file,
                                 "carolk": expected_file}
    assert (course.root / "submitted" / "bobm" / HW / f"{NOTEBOOK}.ipynb").read_bytes() \
        == notebook_bytes
    assert course.notes == {}


def test_canvas_renamed_notebook_gets_the_expected_name(course, notebook_bytes, tmp_path):
    archive = make_zip(tmp_path / "canvas.zip",
                       {f"danp_126_459_{NOTEBOOK}-1.ipynb": notebook_bytes})
    assert cli.import_zip(course, HW, archive) == ["danp"]
    assert submitted(course) == {"danp": [f"{NOTEBOOK}.ipynb"]}
    assert course.notes == {"danp": [f"renamed '{NOTEBOOK}-1.ipynb' to '{NOTEBOOK}.ipynb'"]}


def test_moodle_folders(course, notebook_bytes, tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", {
        f"Ada Lovelace_1234_assignsubmission_file_/{NOTEBOOK}.ipynb": notebook_bytes,
        "Ada Lovelace_1234_assignsubmission_onlinetext_/onlinetext.html": "<p>done</p>",
        f"hw01 download/Alan Turing_1235_assignsubmission_file_/{NOTEBOOK}.ipynb":
            notebook_bytes,
    })
    students = ["Ada_Lovelace_1234_assignsubmission_file",
                "Alan_Turing_1235_assignsubmission_file"]
    assert cli.import_zip(course, HW, archive) == students
    assert submitted(course) == {s: [f"{NOTEBOOK}.ipynb"] for s in students}


def test_single_renamed_notebook_is_stored_under_the_expected_name(course, notebook_bytes,
                                                                   tmp_path):
    archive = make_zip(tmp_path / "lms.zip", {"alice/hw01 (1).ipynb": notebook_bytes})
    assert cli.import_zip(course, HW, archive) == ["alice"]
    stored = course.root / "submitted" / "alice" / HW / f"{NOTEBOOK}.ipynb"
    assert stored.read_bytes() == notebook_bytes
    assert submitted(course) == {"alice": [f"{NOTEBOOK}.ipynb"]}
    assert course.notes == {"alice": [f"renamed 'hw01 (1).ipynb' to '{NOTEBOOK}.ipynb'"]}


def test_two_notebooks_of_one_student_keep_their_names(course, notebook_bytes, tmp_path):
    archive = make_zip(tmp_path / "lms.zip", {f"eve/{NOTEBOOK}.ipynb": notebook_bytes,
                                              "eve/scratch.ipynb": notebook_bytes})
    assert cli.import_zip(course, HW, archive) == ["eve"]
    assert submitted(course) == {"eve": [f"{NOTEBOOK}.ipynb", "scratch.ipynb"]}
    assert course.notes == {}


def test_a_new_import_replaces_the_students_folder(course, notebook_bytes, tmp_path):
    cli.import_zip(course, HW, make_zip(tmp_path / "1.zip", {
        f"eve/{NOTEBOOK}.ipynb": notebook_bytes, "eve/scratch.ipynb": notebook_bytes}))
    cli.import_zip(course, HW, make_zip(tmp_path / "2.zip", {
        f"eve/{NOTEBOOK}.ipynb": b"{}"}))
    assert submitted(course) == {"eve": [f"{NOTEBOOK}.ipynb"]}
    assert (course.root / "submitted" / "eve" / HW / f"{NOTEBOOK}.ipynb").read_bytes() == b"{}"


def test_paths_outside_the_archive_are_skipped(course, notebook_bytes, tmp_path, capsys):
    archive = make_zip(tmp_path / "downloads" / "evil.zip", {
        "../evil/x.ipynb": notebook_bytes,
        "../../evil2/x.ipynb": notebook_bytes,
        "alice/../../../evil3/x.ipynb": notebook_bytes,
        "/etc/x.ipynb": notebook_bytes,
        "..\\evil4\\x.ipynb": notebook_bytes,
        f"bob/{NOTEBOOK}.ipynb": notebook_bytes,
    })
    before = files_under(tmp_path)
    assert cli.import_zip(course, HW, archive) == ["bob"]
    added = files_under(tmp_path) - before
    assert added == {f"course/submitted/bob/{HW}/{NOTEBOOK}.ipynb"}
    assert submitted(course) == {"bob": [f"{NOTEBOOK}.ipynb"]}
    for name in ["evil", "evil2", "evil3", "evil4"]:
        assert not (tmp_path / name).exists() and not (tmp_path.parent / name).exists()
    assert not Path("/etc/x.ipynb").exists()
    assert "skipped '/etc/x.ipynb': a path outside the archive" in capsys.readouterr().err


def test_files_that_are_not_notebooks_are_ignored(course, notebook_bytes, tmp_path):
    archive = make_zip(tmp_path / "lms.zip", {
        "carol/notes.txt": "my notes",
        "carol/hw01.py": "print(1)",
        "carol/": "",
        "__MACOSX/alice/._hw01 (1).ipynb": b"\x00\x05\x16\x07",
        f"alice/.ipynb_checkpoints/{NOTEBOOK}-checkpoint.ipynb": notebook_bytes,
        "alice/hw01 (1).ipynb": notebook_bytes,
        "alice/figure.png": b"\x89PNG",
    })
    assert cli.import_zip(course, HW, archive) == ["alice"]
    assert submitted(course) == {"alice": [f"{NOTEBOOK}.ipynb"]}


def test_a_notebook_over_the_size_limit_is_noted_not_written(course, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "MAX_NOTEBOOK_BYTES", 1000)
    small = nbformat.writes(nbformat.v4.new_notebook()).encode()
    assert len(small) < 1000
    archive = make_zip(tmp_path / "lms.zip", {f"big/{NOTEBOOK}.ipynb": b" " * 1001,
                                              f"small/{NOTEBOOK}.ipynb": small})
    assert cli.import_zip(course, HW, archive) == ["big", "small"]
    assert submitted(course) == {"big": [], "small": [f"{NOTEBOOK}.ipynb"]}
    (note,) = course.notes["big"]
    assert note.startswith(f"{NOTEBOOK}.ipynb: larger than") and note.endswith("not graded")
    assert "small" not in course.notes


def test_an_archive_that_is_not_a_zip_is_a_grading_error(course, tmp_path):
    archive = tmp_path / "submissions.zip"
    archive.write_text("<html>Session expired, please log in</html>")
    with pytest.raises(cli.GradingError, match="submissions.zip is not a zip file I can read"):
        cli.import_zip(course, HW, archive)
    with pytest.raises(cli.GradingError, match="is not a zip file I can read"):
        cli.import_zip(course, HW, tmp_path / "missing.zip")
    assert not (course.root / "submitted").exists()


def test_an_archive_that_unpacks_too_large_is_a_grading_error(course, notebook_bytes,
                                                              tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "MAX_ZIP_BYTES", len(notebook_bytes))
    archive = make_zip(tmp_path / "lms.zip", {f"a/{NOTEBOOK}.ipynb": notebook_bytes,
                                              f"b/{NOTEBOOK}.ipynb": notebook_bytes})
    with pytest.raises(cli.GradingError, match="unpacks to over 4 GB"):
        cli.import_zip(course, HW, archive)
    assert not (course.root / "submitted").exists()


BLACKBOARD_PATTERN = r"^hw01_(?P<student>[^_]+)_attempt_[0-9-]+_(?P<file>[^/]+\.ipynb)$"


def test_a_custom_pattern(course, notebook_bytes, tmp_path, capsys):
    archive = make_zip(tmp_path / "blackboard.zip", {
        f"hw01_alice_attempt_2026-11-23-12-00-00_{NOTEBOOK}.ipynb": notebook_bytes,
        "hw01_bob_attempt_2026-11-24-09-30-00_homework.ipynb": notebook_bytes,
        "hw01_carol_attempt_2026-11-24_notes.txt": "notes",
    })
    assert cli.import_zip(course, HW, archive) == []  # the default patterns find no one
    assert f"skipped 'hw01_alice_attempt_2026-11-23-12-00-00_{NOTEBOOK}.ipynb': no student " \
           "name in it (see --pattern)" in capsys.readouterr().err
    assert cli.import_zip(course, HW, archive, pattern=BLACKBOARD_PATTERN) == ["alice", "bob"]
    assert submitted(course) == {"alice": [f"{NOTEBOOK}.ipynb"], "bob": [f"{NOTEBOOK}.ipynb"]}
    assert course.notes == {"bob": [f"renamed 'homework.ipynb' to '{NOTEBOOK}.ipynb'"]}


def test_a_custom_pattern_with_only_a_student_group(course, notebook_bytes, tmp_path):
    archive = make_zip(tmp_path / "lms.zip", {"hw01/dave.ipynb": notebook_bytes})
    assert cli.import_zip(course, HW, archive, pattern=r"^hw01/(?P<student>[a-z]+)\.ipynb$") \
        == ["dave"]
    assert submitted(course) == {"dave": [f"{NOTEBOOK}.ipynb"]}


def test_import_zip_from_the_command_line(course, notebook_bytes, tmp_path, capsys):
    archive = make_zip(tmp_path / "blackboard.zip", {
        f"hw01_alice_attempt_2026-11-23-12-00-00_{NOTEBOOK}.ipynb": notebook_bytes,
        "hw01_bob_attempt_2026-11-24-09-30-00_homework.ipynb": notebook_bytes,
    })
    status = cli.main(["import-zip", HW, str(archive), "--course", str(course.root),
                       "--pattern", BLACKBOARD_PATTERN])
    assert status == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["2 submissions of hw01 imported into submitted/",
                   f"  bob: renamed 'homework.ipynb' to '{NOTEBOOK}.ipynb'"]
    assert submitted(course) == {"alice": [f"{NOTEBOOK}.ipynb"], "bob": [f"{NOTEBOOK}.ipynb"]}


# ---- prepare ---------------------------------------------------------------------------------

def hand_in(course: cli.Course, student: str, files: dict[str, bytes | str]) -> Path:
    folder = course.root / "submitted" / student / HW
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def test_prepare_renames_a_single_renamed_notebook(course, notebook_bytes):
    folder = hand_in(course, "gina", {"my homework.ipynb": notebook_bytes})
    cli.prepare(course, HW, "gina", [NOTEBOOK])
    assert sorted(p.name for p in folder.iterdir()) == [f"{NOTEBOOK}.ipynb"]
    assert (folder / f"{NOTEBOOK}.ipynb").read_bytes() == notebook_bytes
    assert course.notes == {"gina": [f"renamed 'my homework.ipynb' to '{NOTEBOOK}.ipynb'"]}


def test_prepare_leaves_a_good_notebook_alone(course, notebook_bytes):
    folder = hand_in(course, "ivy", {f"{NOTEBOOK}.ipynb": notebook_bytes})
    cli.prepare(course, HW, "ivy", [NOTEBOOK])
    assert (folder / f"{NOTEBOOK}.ipynb").read_bytes() == notebook_bytes
    assert course.notes == {}
    assert not (course.root / "rejected").exists()


@pytest.mark.parametrize("content, error", [
    ("{not json", "NotJSONError"),
    ('{"cells": "not a list", "a": 1}', "ValidationError"),
    ("[1, 2, 3]", None),
])
def test_prepare_moves_what_is_not_a_notebook_aside(course, content, error):
    folder = hand_in(course, "erin", {f"{NOTEBOOK}.ipynb": content})
    cli.prepare(course, HW, "erin", [NOTEBOOK])
    assert list(folder.iterdir()) == []
    rejected = course.root / "rejected" / HW / "erin" / f"{NOTEBOOK}.ipynb"
    assert rejected.read_text() == content
    (note,) = course.notes["erin"]
    assert note.startswith(f"{NOTEBOOK}.ipynb is not a valid notebook (")
    assert note.endswith(f"): 0 points (kept in rejected/{HW}/erin/)")
    if error:
        assert f"({error})" in note


def test_prepare_notes_a_missing_notebook(course):
    hand_in(course, "hank", {"readme.txt": "I forgot"})
    cli.prepare(course, HW, "hank", [NOTEBOOK])
    assert course.notes == {"hank": [f"{NOTEBOOK}.ipynb is missing: 0 points"]}


# ---- record_zero, scores, export, summary -----------------------------------------------------

def test_a_student_without_a_readable_notebook_gets_zero(course, max_score):
    hand_in(course, "erin", {f"{NOTEBOOK}.ipynb": "{not json"})
    (course.root / "autograded" / "erin" / HW).mkdir(parents=True)  # from an earlier run
    cli.prepare(course, HW, "erin", [NOTEBOOK])
    cli.record_zero(course, HW, "erin")
    assert cli.scores(course, HW) == [{
        "student": "erin", "score": 0.0, "max_score": max_score, "late_penalty": 0.0,
        "final_score": 0.0, "needs_manual_grade": False, "timestamp": ""}]
    assert not (course.root / "autograded" / "erin" / HW).exists()


def test_record_zero_overwrites_earlier_points(course, max_score):
    cli.record_zero(course, HW, "ivy")
    with Gradebook(course.db_url) as gb:  # as if an earlier autograde gave full marks
        for notebook in gb.find_submission(HW, "ivy").notebooks:
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = grade.max_score, True
        gb.db.commit()
    (row,) = cli.scores(course, HW)
    assert (row["score"], row["needs_manual_grade"]) == (max_score, True)
    cli.record_zero(course, HW, "ivy")
    (row,) = cli.scores(course, HW)
    assert (row["student"], row["score"], row["needs_manual_grade"]) == ("ivy", 0.0, False)


def zero_for_two(course: cli.Course) -> None:
    """erin hands in broken JSON, hank no notebook; both are graded 0."""
    hand_in(course, "erin", {f"{NOTEBOOK}.ipynb": "{not json"})
    hand_in(course, "hank", {"readme.txt": "I forgot"})
    for student in ["erin", "hank"]:
        cli.prepare(course, HW, student, [NOTEBOOK])
        cli.record_zero(course, HW, student)


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_export_writes_the_grades_csv(course, max_score):
    zero_for_two(course)
    path = cli.export(course, HW, Path("grades") / "hw01.csv")
    assert path == course.root / "grades" / "hw01.csv"
    columns, rows = read_csv(path)
    assert columns == CSV_COLUMNS
    assert rows == [
        {"student": "erin", "score": "0.0", "max_score": str(max_score), "late_penalty": "0.0",
         "final_score": "0.0", "needs_manual_grade": "False", "timestamp": "",
         "problems": f"{NOTEBOOK}.ipynb is not a valid notebook (NotJSONError): 0 points "
                     f"(kept in rejected/{HW}/erin/)"},
        {"student": "hank", "score": "0.0", "max_score": str(max_score), "late_penalty": "0.0",
         "final_score": "0.0", "needs_manual_grade": "False", "timestamp": "",
         "problems": f"{NOTEBOOK}.ipynb is missing: 0 points"},
    ]


def test_export_joins_several_problems_and_takes_an_absolute_path(course, tmp_path):
    zero_for_two(course)
    course.note("hank", "grader: something else")
    path = cli.export(course, HW, tmp_path / "out" / "grades.csv")
    assert path == tmp_path / "out" / "grades.csv"
    _, rows = read_csv(path)
    assert rows[1]["problems"] == f"{NOTEBOOK}.ipynb is missing: 0 points; grader: something else"


def test_export_from_the_command_line_reads_the_saved_problems(course, capsys):
    zero_for_two(course)
    course.save_notes(HW, ["erin", "hank"])
    saved = json.loads((course.root / "grading-reports" / HW / "problems.json").read_text())
    assert saved["hank"] == [f"{NOTEBOOK}.ipynb is missing: 0 points"]
    assert cli.main(["export", HW, "--course", str(course.root)]) == 0
    assert capsys.readouterr().out.strip() == \
        f"grades written to {course.root / 'grades' / 'hw01.csv'}"
    _, rows = read_csv(course.root / "grades" / "hw01.csv")
    assert [(r["student"], r["problems"]) for r in rows] == [
        ("erin", f"{NOTEBOOK}.ipynb is not a valid notebook (NotJSONError): 0 points "
                 f"(kept in rejected/{HW}/erin/)"),
        ("hank", f"{NOTEBOOK}.ipynb is missing: 0 points")]


def test_summary(course, max_score):
    zero_for_two(course)
    lines = cli.summary(course, HW).splitlines()
    assert lines[0].split() == ["student", "score", "problems", "found"]
    assert lines[2].split()[:4] == ["erin", "0", "/", f"{max_score:g}"]
    assert lines[3].endswith(f"{NOTEBOOK}.ipynb is missing: 0 points")
    assert lines[-1] == f"2 submissions, mean 0.00 of {max_score:g}"


# ---- the command's exit status ----------------------------------------------------------------

@pytest.mark.parametrize("command", [["export", HW], ["feedback", HW],
                                     ["import-zip", HW, "x.zip"]])
def test_a_folder_without_nbgrader_config_exits_2(tmp_path, capsys, command):
    empty = tmp_path / "not-a-course"
    empty.mkdir()
    assert cli.main([*command, "--course", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nbgrader_config.py" in err and "--course" in err
    assert str(empty) in err


def test_an_unreleased_homework_exits_2(course, notebook_bytes, tmp_path, capsys):
    archive = make_zip(tmp_path / "lms.zip", {f"a/{NOTEBOOK}.ipynb": notebook_bytes})
    assert cli.main(["import-zip", "hw99", str(archive), "--course", str(course.root)]) == 2
    err = capsys.readouterr().err
    assert "hw99 is not in the gradebook" in err and "nbgrader generate_assignment hw99" in err
    assert not (course.root / "submitted").exists()


def test_a_file_that_is_not_a_zip_exits_2(course, tmp_path, capsys):
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(b"PK\x03\x04 truncated")
    assert cli.main(["import-zip", HW, str(archive), "--course", str(course.root)]) == 2
    assert "is not a zip file I can read" in capsys.readouterr().err


# ---- the worker's shims over nbgrader: same verdicts, work done once -------------------

@pytest.mark.parametrize("metadata", [
    {"schema_version": 3, "grade": True, "solution": False, "locked": True, "grade_id": "q",
     "points": 2},
    {"schema_version": 3, "grade": True, "solution": False, "locked": True, "grade_id": "q",
     "points": "two"},
    {"schema_version": 3, "grade": "yes", "solution": False, "grade_id": "q"},
    {"schema_version": 3, "grade": False, "solution": True, "locked": False, "grade_id": "q q"},
])
def test_worker_validates_cells_as_nbgrader(monkeypatch, metadata):
    from nbgrader.nbgraderformat import common
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    def verdict():
        cell = nbformat.v4.new_code_cell(metadata={"nbgrader": dict(metadata)})
        try:
            MetadataValidatorV3().validate_cell(cell)
        except Exception as error:  # noqa: BLE001 - compared below
            return type(error).__name__, str(error)
        return None

    monkeypatch.setattr(common, "jsonschema", common.jsonschema)  # restored afterwards
    from nbgrader import api as nbgrader_api
    monkeypatch.setattr(nbgrader_api, "create_engine", nbgrader_api.create_engine)
    stock = verdict()
    nbgrader_patches.reuse_compiled_work()
    assert verdict() == stock
    assert verdict() == stock  # the second time from the kept validator
    assert (stock is None) == (metadata.get("points") in (None, 2) and metadata["grade"] != "yes"
                               and " " not in metadata["grade_id"])


def test_worker_keeps_one_engine_per_gradebook(monkeypatch, tmp_path):
    from nbgrader import api as nbgrader_api
    from nbgrader.nbgraderformat import common

    monkeypatch.setattr(nbgrader_api, "create_engine", nbgrader_api.create_engine)
    monkeypatch.setattr(common, "jsonschema", common.jsonschema)
    nbgrader_patches.reuse_compiled_work()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as first:
        first.add_student("ani")
    with Gradebook(url) as second:  # closing the first closed its connections, not the engine
        assert second.engine is first.engine
        second.add_student("budi")
    with Gradebook(f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert other.engine is not first.engine
        assert other.students == []
    with Gradebook(url) as third:
        assert sorted(s.id for s in third.students) == ["ani", "budi"]
