"""The plain-text notebook form: exact round trip and clear errors."""
import pytest

from cnnkit import authoring, notebooks
from cnnkit.course import load

COURSE = load()


@pytest.mark.parametrize("assignment", COURSE.built())
def test_round_trip_of_every_source_notebook(assignment):
    nb = notebooks.read(COURSE.source_notebook(assignment))
    text = authoring.dump(nb)
    again = authoring.parse(text)
    assert authoring.dump(again) == text
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    assert [c.metadata.get("nbgrader") for c in again.cells] == [c.metadata.get("nbgrader") for c in nb.cells]


def test_cell_kinds_become_nbgrader_metadata():
    nb = authoring.parse(
        "#%% markdown\n# Title\n\n#%% solution id=f\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n"
        "    ### END SOLUTION\n\n#%% tests id=f_test points=2\nassert f() == 1\n\n#%% given id=g\nX = 1\n"
    )
    kinds = [(c.cell_type, notebooks.meta(c)) for c in nb.cells]
    assert kinds[0] == ("markdown", {})
    assert notebooks.is_solution(nb.cells[1]) and notebooks.grade_id(nb.cells[1]) == "f"
    assert notebooks.is_test(nb.cells[2]) and notebooks.meta(nb.cells[2])["points"] == 2
    assert notebooks.meta(nb.cells[3])["locked"] and not notebooks.is_test(nb.cells[3])


@pytest.mark.parametrize("text,message", [
    ("print(1)\n#%% code\nx = 1", "before the first"),
    ("#%% exercise id=a\nx", "unknown cell kind"),
    ("#%% code id=a\nx", "carry no grade id"),
    ("#%% given id=a\nx\n\n#%% given id=a\ny", "duplicate id"),
])
def test_malformed_text_is_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        authoring.parse(text)
