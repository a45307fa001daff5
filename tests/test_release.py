"""release/ is what generate_assignment makes from source/ now, and leaks nothing."""
import shutil

import pytest

from cnnkit import build, notebooks
from cnnkit.course import load

COURSE = load()


def test_release_is_fresh_and_leak_free(course, scratch):
    fresh = {a: c.root for a, c in scratch.items()}
    assert build.check_release(course, list(scratch), fresh) == []


@pytest.mark.parametrize("assignment", COURSE.built())
def test_every_assignment_has_a_release(assignment):
    assert COURSE.release_notebook(assignment).is_file(), "run `make release` and commit release/"


def test_leak_check_catches_solutions_hidden_tests_and_instructor_files(course, tmp_path):
    assignment = "01_numpy_cnn"
    source = notebooks.read(course.source_notebook(assignment))
    released = tmp_path / assignment
    shutil.copytree(course.root / "release" / assignment, released)
    assert build.leaks(released, source) == []

    nb = notebooks.read(released / "numpy_cnn.ipynb")
    solution = next(c for c in nb.cells if notebooks.grade_id(c) == "convolve")
    solution.source = notebooks.reference_code(next(c for c in source.cells if notebooks.grade_id(c) == "convolve"))
    hidden = next(c for c in nb.cells if notebooks.grade_id(c) == "convolve_hidden")
    hidden.source = next(c for c in source.cells if notebooks.grade_id(c) == "convolve_hidden").source
    notebooks.write(nb, released / "numpy_cnn.ipynb")
    (released / "instructor").mkdir()
    (released / "instructor" / "catalogue.py").write_text("MUTANTS = []")

    found = "\n".join(build.leaks(released, source))
    assert "solution or hidden-test line 'out[b, p, q, g] = np.sum(window * kernels[:, :, :, g])'" in found
    assert "marker '### BEGIN HIDDEN TESTS'" in found
    assert "instructor-only file" in found


def test_stale_release_is_reported(course, scratch, tmp_path):
    assignment = "01_numpy_cnn"
    committed = tmp_path / "release" / assignment
    shutil.copytree(course.root / "release" / assignment, committed)
    nb = notebooks.read(committed / "numpy_cnn.ipynb")
    nb.cells[0].source += "\nA sentence the source no longer has."
    notebooks.write(nb, committed / "numpy_cnn.ipynb")
    assert build.differences(committed, scratch[assignment].root / "release" / assignment) == [
        "numpy_cnn.ipynb: differs from a fresh generate_assignment"]


def test_instructor_files_are_ignored_by_nbgrader(course):
    assert "instructor" in course.config.CourseDirectory.ignore
