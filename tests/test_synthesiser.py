"""Solution regions and the submission synthesiser."""
import copy

import pytest

from cnnkit import authoring, notebooks
from cnnkit.submissions import Change, SynthesisError, synthesise

SOURCE = authoring.parse(
    "#%% solution id=two\nclass A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n"
    "        ### END SOLUTION\n\n    def g(self):\n        ### BEGIN SOLUTION\n        y = 2\n        return y\n"
    "        ### END SOLUTION\n\n#%% tests id=t points=1\nassert A().f() == 1\n### BEGIN HIDDEN TESTS\n"
    "assert A().g() == 2\n### END HIDDEN TESTS\n"
)


def release_of(source):
    """What nbgrader's ClearSolutions makes of a solution cell (stubs at the region's indent)."""
    release = copy.deepcopy(source)
    for cell in release.cells:
        if notebooks.is_solution(cell):
            stub = ["# YOUR CODE HERE", "raise NotImplementedError()"]
            codes = ["\n".join(stub)] * len(notebooks.regions(cell.source))
            cell.source = notebooks.fill_regions(cell.source, codes)
    return release


RELEASE = release_of(SOURCE)


def test_regions_and_texts():
    source = SOURCE.cells[0].source
    assert notebooks.region_texts(source) == ["return 1", "y = 2\nreturn y"]
    assert len(notebooks.stub_regions(RELEASE.cells[0].source)) == 2


def test_reference_fills_every_region_without_markers():
    cell = synthesise(RELEASE, SOURCE).cells[0]
    assert "BEGIN SOLUTION" not in cell.source and "return 1" in cell.source and "        y = 2" in cell.source


def test_blank_is_the_release():
    assert synthesise(RELEASE, SOURCE, fill=False) == RELEASE


def test_code_replaces_one_region_at_its_indent():
    cell = synthesise(RELEASE, SOURCE, [Change("two", code="return 3", region=1)]).cells[0]
    namespace = {}
    exec(cell.source, namespace)
    assert namespace["A"]().f() == 1 and namespace["A"]().g() == 3


def test_edits_must_match_exactly_once():
    cell = synthesise(RELEASE, SOURCE, [Change("two", edits=(("y = 2", "y = 5"),))]).cells[0]
    assert "y = 5" in cell.source
    with pytest.raises(SynthesisError, match="occurs 0 times"):
        synthesise(RELEASE, SOURCE, [Change("two", edits=(("z = 2", "z = 5"),))])
    with pytest.raises(SynthesisError, match="occurs 2 times"):
        synthesise(RELEASE, SOURCE, [Change("two", edits=(("return", "yield"),))])


def test_changes_must_name_solution_cells_once():
    with pytest.raises(SynthesisError, match="not a solution cell"):
        synthesise(RELEASE, SOURCE, [Change("t", code="pass")])
    with pytest.raises(SynthesisError, match="two changes"):
        synthesise(RELEASE, SOURCE, [Change("two", code="pass"), Change("two", source="pass")])
    with pytest.raises(ValueError, match="exactly one of"):
        Change("two")


def test_test_cells_and_metadata_stay_as_released():
    submission = synthesise(RELEASE, SOURCE, [Change("two", source="class A: pass")])
    assert submission.cells[1] == RELEASE.cells[1]
    assert submission.cells[0].metadata == RELEASE.cells[0].metadata
