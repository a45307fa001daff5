"""Feedback (plain ``nbgrader generate_feedback``, configured by nbgrader_config.py) shows no hidden test.

Generated for every assignment's reference and for the cheat that prints the
kernel's input history (which holds the hidden tests while they run), in the
scratch courses of the session's grading run; the HTML files are searched for
every distinctive line of every hidden-test region.
"""
import html as markup
import re

import pytest

from cnnkit import build, notebooks
from cnnkit.course import load, run_nbgrader

COURSE = load()
STUDENTS = ["reference", "cheat-read-tests"]


def region_lines(source_nb, begin: str, end: str) -> set[str]:
    found = set()
    for cell in source_nb.cells:
        for region in notebooks.regions(cell.source, begin, end):
            found |= {line.strip() for line in cell.source.split("\n")[region.start:region.end]}
    return found


def hidden_lines(source_nb) -> set[str]:
    """Distinctive lines of hidden tests only (a line a solution also has may show with the student's code)."""
    hidden = region_lines(source_nb, notebooks.BEGIN_HIDDEN, notebooks.END_HIDDEN)
    solutions = region_lines(source_nb, notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION)
    return {line for line in (hidden - solutions) & build.secret_lines(source_nb) if len(line) >= 20}


@pytest.fixture(scope="module")
def feedback(grading_run):
    made = {}
    for assignment in COURSE.built():
        scratch = grading_run.courses[assignment]
        for student in STUDENTS:
            run_nbgrader(scratch.root, ["generate_feedback", assignment, f"--student={student}", "--force"],
                         check=True)
            html = scratch.root / "feedback" / student / assignment / f"{scratch.notebook_name(assignment)}.html"
            made[(assignment, student)] = text_of(html.read_text())
    return made


def text_of(page: str) -> str:
    """What a reader sees: tags (syntax highlighting splits code into spans) removed, entities decoded."""
    return markup.unescape(re.sub(r"<[^>]+>", "", page))


def leaked_lines(secrets: set[str], text: str) -> list[str]:
    """The secret lines that the text shows as whole lines (a longer visible line may contain one)."""
    return sorted(secrets & {line.strip() for line in text.split("\n")})


@pytest.mark.parametrize("assignment", COURSE.built())
@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_holds_no_hidden_test_source(feedback, assignment, student):
    html = feedback[(assignment, student)]
    secrets = hidden_lines(notebooks.read(COURSE.source_notebook(assignment)))
    assert secrets, "the search needs hidden lines to look for"
    leaked = leaked_lines(secrets, html)
    assert leaked == [] and "BEGIN HIDDEN TESTS" not in html


@pytest.mark.parametrize("assignment", COURSE.built())
def test_feedback_gives_each_test_its_verdict(feedback, assignment):
    assert "Passed:" in feedback[(assignment, "reference")]
    assert "TestFailed" in feedback[(assignment, "cheat-read-tests")]


def test_the_search_would_see_a_leak(grading_run):
    """The autograded notebook rendered as HTML without the kit's preprocessor: the search finds its hidden tests."""
    from nbconvert import HTMLExporter

    scratch = grading_run.courses["01_numpy_cnn"]
    autograded = scratch.root / "autograded" / "reference" / "01_numpy_cnn" / "numpy_cnn.ipynb"
    page = text_of(HTMLExporter().from_filename(str(autograded))[0])
    secrets = hidden_lines(notebooks.read(COURSE.source_notebook("01_numpy_cnn")))
    assert len(leaked_lines(secrets, page)) > 10
