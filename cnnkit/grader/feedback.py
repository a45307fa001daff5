"""Feedback without hidden tests: an nbgrader preprocessor for ``nbgrader generate_feedback``.

``nbgrader_config.py`` puts :class:`HideHiddenTests` into
``GenerateFeedback.preprocessors``, so plain ``nbgrader generate_feedback`` (and
formgrader's "Generate feedback") hand students:

* every test cell with its ``### BEGIN/END HIDDEN TESTS`` region removed (as in
  the released notebook; jupyter/nbgrader#917) and, as its output, the grader's
  verdict: which checks failed and why, never the hidden code or a traceback into it;
* their own cells' code, but not the outputs the grading run produced: student code
  could print anything it saw while the hidden tests ran. Students keep their own
  run's outputs in their notebook.

The autograded notebook itself is unchanged, so instructors see everything in formgrader.
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from cnnkit import notebooks

NOTE = ("(Outputs of the grading run are not part of the feedback; your own notebook keeps the outputs of "
        "your last run.)")


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden-test code from test cells and the grading run's outputs from other code cells."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if notebooks.is_test(cell):
            cell.source = strip_hidden(cell.source)
            cell.outputs = [_verdict_only(o) for o in cell.outputs if o.get("output_type") != "display_data"]
        else:
            cell.outputs = []
        return cell, resources


def _verdict_only(output):
    """An error keeps its one-line message, never a traceback (which could quote hidden code)."""
    if output.get("output_type") == "error":
        output = output.copy()
        first = (str(output.get("evalue", "")).splitlines() or [""])[0] if output.get("ename") != "TestFailed" \
            else str(output.get("evalue", ""))
        output["evalue"] = first
        output["traceback"] = [f"{output.get('ename')}: {first}"]
    if output.get("output_type") == "execute_result":
        output = output.copy()
        output["data"] = {"text/plain": output.get("data", {}).get("text/plain", "")}
    return output


def strip_hidden(source: str) -> str:
    """``source`` without its hidden-test regions (markers included)."""
    lines = source.split("\n")
    spans = notebooks.regions(source, notebooks.BEGIN_HIDDEN, notebooks.END_HIDDEN)
    hidden = {n for span in spans for n in range(span.start - 1, span.end + 1)}
    return "\n".join(line for n, line in enumerate(lines) if n not in hidden).rstrip("\n")
