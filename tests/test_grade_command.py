"""`python -m cnnkit grade`: plain nbgrader on a course folder, broken files set aside."""
import json
import shutil

import nbformat

from cnnkit import course as course_module
from cnnkit.grading import check_submission, format_table, grade_course
from cnnkit.submissions import synthesise_files


def test_grade_course_grades_good_submissions_and_reports_broken_ones(templates, offline_env, tmp_path):
    template = templates["01_numpy_cnn"]
    root = tmp_path / "course"
    shutil.copytree(template.root, root)
    reference = synthesise_files(template.release_notebook, template.source_notebook)
    old = nbformat.from_dict(json.loads(nbformat.writes(reference)))
    for cell in old.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["schema_version"] = 1
    files = {"alice": nbformat.writes(reference), "bob": "{ not json", "carol": nbformat.writes(old)}
    for student, text in files.items():
        path = root / "submitted" / student / "01_numpy_cnn" / "numpy_cnn.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(text)

    results = grade_course(course_module.load(root), "01_numpy_cnn", env=offline_env)

    assert results["alice"].error is None and results["alice"].total == results["alice"].max_total == 29
    assert "not valid JSON" in results["bob"].error and results["bob"].total == 0
    assert "schema" in results["carol"].error and results["carol"].total == 0
    table = format_table(results)
    assert table.splitlines()[0].split()[-3:] == ["alice", "bob", "carol"]
    assert "bob: ERROR not a notebook" in table and "carol: ERROR nbgrader metadata schema" in table
    total = next(line for line in table.splitlines() if line.startswith("total")).split()
    assert total[1:] == ["29", "29", "0", "0"]


def test_check_submission_accepts_a_release_notebook(templates):
    text = templates["01_numpy_cnn"].release_notebook.read_text()
    assert check_submission(text) is None
    assert "no autograded test cells" in check_submission(nbformat.writes(nbformat.v4.new_notebook()))
