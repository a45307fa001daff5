"""Written answers: autograded first, then graded by hand through nbgrader's API, then fed back.

In the scratch courses of the session's grading run, the reference submission's
written answers (manually graded markdown cells) are marked and commented the
way formgrader does it (``Grade.manual_score``, ``Comment.manual_comment``);
``nbgrader generate_feedback`` must then show the instructor's comment and the
total of autograded and hand-given points, and an unanswered cell must read as
no response with 0 points.
"""
import pytest

from cnnkit import notebooks
from cnnkit.course import load, run_nbgrader
from cnnkit.grader.prepare import gradebook

COURSE = load()


def answer_cells(assignment: str) -> dict[str, float]:
    source = notebooks.read(COURSE.source_notebook(assignment))
    return {notebooks.grade_id(c): float(notebooks.meta(c)["points"]) for c in source.cells
            if c.cell_type == "markdown" and notebooks.is_solution(c) and notebooks.meta(c).get("grade")}


WITH_ANSWERS = [a for a in COURSE.built() if answer_cells(a)]


def test_the_course_asks_for_written_answers():
    assert {"02_filtering_backprop", "03_pytorch_simplenet"} <= set(WITH_ANSWERS)


@pytest.mark.parametrize("assignment", WITH_ANSWERS)
def test_hand_grading_reaches_the_feedback(grading_run, assignment):
    scratch = grading_run.courses[assignment]
    name = scratch.notebook_name(assignment)
    answers = answer_cells(assignment)
    with gradebook(scratch) as gb:
        assert gb.find_submission(assignment, "reference").needs_manual_grade, "written answers wait for a grader"
        autograded = gb.find_submission(assignment, "reference").score
        for cell, points in answers.items():
            grade = gb.find_grade(cell, name, assignment, "reference")
            assert grade.auto_score is None and grade.needs_manual_grade
            grade.manual_score = points - 0.5
            gb.find_comment(cell, name, assignment, "reference").manual_comment = f"Clear reasoning on {cell}; see the rubric."
        blank = gb.find_grade(next(iter(answers)), name, assignment, "blank")
        assert blank.auto_score == 0 and not blank.needs_manual_grade, "an unanswered question scores 0 at once"
        gb.db.commit()
        total = gb.find_submission(assignment, "reference").score
    assert total == pytest.approx(autograded + sum(points - 0.5 for points in answers.values()))
    run_nbgrader(scratch.root, ["generate_feedback", assignment, "--student=reference", "--force"], check=True)
    html = (scratch.root / "feedback" / "reference" / assignment / f"{name}.html").read_text()
    for cell in answers:
        assert f"Clear reasoning on {cell}" in html
    assert f"{total:g}" in " ".join(html.split())
