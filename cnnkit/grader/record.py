"""Step 3 of grading (trusted): read the sandbox's report and score every test cell.

Nothing the sandbox returns is taken for its word. The cells' sources are the
prepared notebook's (test cells restored from the gradebook), never the ones
reported back; only outputs are copied, as data. Each test cell is scored by
:func:`cnnkit.grader.judge.judge` from the records in *its own* outputs against
the reference solution's records; its outputs are then replaced by the verdict,
written the way nbgrader reads scores (full marks: plain output; partial credit:
a numeric result; no marks: an error), so that nbgrader's ``SaveAutoGrades``,
formgrader, export and feedback work unchanged. Active content (HTML,
JavaScript, SVG, widgets) is dropped from every output, so nothing a student's
code printed can run in the instructor's browser.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import nbformat

from cnncourse.record import MIME
from cnnkit import notebooks
from cnnkit.grader import integrity, judge
from cnnkit.grader.execute import Execution
from cnnkit.grader.prepare import Prepared
from cnnkit.grader.rules import Rules

SAFE_MIME = ("text/plain", "image/png", "image/jpeg", "image/gif")
ERROR_CHARS = 300
VERDICT = "TestFailed"


@dataclass
class Recorded:
    """One graded submission: scored notebook, verdicts and integrity findings (or an error)."""

    student: str
    assignment: str
    status: str                          # graded, rejected (bad file), error (grading failed: retry)
    error: str | None = None
    notebook: nbformat.NotebookNode | None = None
    verdicts: dict[str, judge.Verdict] = field(default_factory=dict)
    findings: list[integrity.Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""


def record(prepared: Prepared, execution: Execution, reference: dict[str, list[judge.Record]],
           rules: Rules) -> Recorded:
    """Score ``execution`` of ``prepared`` against ``reference``."""
    result = Recorded(prepared.student, prepared.assignment, "graded", notes=list(prepared.notes),
                      seconds=execution.seconds, worker=execution.worker)
    if not execution.started:
        result.status = "error"
        result.error = f"the sandbox did not start: {execution.message} {execution.log[-300:]}".strip()
        return result
    notebook = copy.deepcopy(prepared.notebook)
    stopped_all = None if execution.status == "done" else execution.message
    if stopped_all:
        result.notes.append(stopped_all)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        reported = execution.cells.get(index)
        cell.outputs = [_safe(o) for o in reported["outputs"] if isinstance(o, dict)] if reported else []
        cell.outputs = [o for o in cell.outputs if o is not None]
        cell.execution_count = _count(reported)
    findings = integrity.scan(notebook, rules) + integrity.from_run(notebook, execution.audit, rules,
                                                                   prepared.assignment)
    result.findings = findings
    violations = {f.cell: f for f in findings if f.violation == integrity.FUNCTION}
    ruled = {test: violations[cell] for cell in violations for test in rules.tests_of(cell, notebook)}
    tampering = next((f for f in findings if f.violation == integrity.NOTEBOOK), None)
    for index, cell in enumerate(notebook.cells):
        if not notebooks.is_test(cell):
            continue
        cell_id = notebooks.grade_id(cell)
        points = float(notebooks.meta(cell)["points"])
        partial = notebooks.BEGIN_HIDDEN in cell.source
        if index not in execution.cells:
            verdict = judge.Verdict(cell_id, points, 0.0, 0, 0,
                                    [f"this test did not run: {stopped_all or 'the notebook stopped before it'}"])
        elif tampering is not None:
            verdict = judge.Verdict(cell_id, points, 0.0, 0, 0,
                                    [f"not graded: {tampering.cell} changes the grading machinery ({tampering.detail}); "
                                     "ask your instructor"])
        elif cell_id in ruled:
            verdict = judge.Verdict(cell_id, points, 0.0, 0, 0,
                                    [f"not graded: {ruled[cell_id].cell} breaks the assignment's rules: "
                                     f"{ruled[cell_id].detail}"])
        else:
            verdict = judge.judge(cell_id, points, partial, reference.get(cell_id, []), _records(cell),
                                  _stopped(cell), rules.policies)
        result.verdicts[cell_id] = verdict
        cell.outputs = verdict_outputs(verdict)
    result.notebook = notebook
    return result


def _count(reported) -> int | None:
    value = reported.get("execution_count") if reported else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _records(cell) -> list[judge.Record]:
    found = []
    for output in cell.outputs:
        if output.get("output_type") == "display_data" and MIME in output.get("data", {}):
            try:
                found.append(judge.parse(output["data"][MIME]))
            except (judge.BadRecord, KeyError, TypeError, ValueError):
                continue
    return found


def _stopped(cell) -> str | None:
    """Why a test cell stopped: its error, one short line (the text is the student's code's)."""
    for output in cell.outputs:
        if output.get("output_type") == "error":
            if output.get("ename") == "NotImplementedError":
                return "not implemented yet (NotImplementedError)"
            text = (f"{output.get('ename', 'Error')}: {str(output.get('evalue', ''))}".splitlines() or [""])[0]
            return text[:ERROR_CHARS]
    return None


def _safe(output: dict):
    """An output as nbformat expects it, with only passive content (or None to drop it)."""
    kind = output.get("output_type")
    if kind == "stream":
        return nbformat.v4.new_output("stream", name="stdout" if output.get("name") != "stderr" else "stderr",
                                      text=_text(output.get("text")))
    if kind == "error":
        return nbformat.v4.new_output("error", ename=str(output.get("ename", ""))[:200],
                                      evalue=str(output.get("evalue", ""))[:2000],
                                      traceback=[_strip_ansi(str(t))[:5000] for t in list(output.get("traceback", []))[:50]])
    if kind in ("display_data", "execute_result"):
        data = output.get("data") if isinstance(output.get("data"), dict) else {}
        kept = {k: v for k, v in data.items() if k in SAFE_MIME and isinstance(v, (str, list))}
        if MIME in data:
            kept[MIME] = data[MIME]
        if not kept:
            return None
        if kind == "execute_result":
            return nbformat.v4.new_output("execute_result", data=kept, execution_count=None)
        return nbformat.v4.new_output("display_data", data=kept)
    return None


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def verdict_outputs(verdict: judge.Verdict) -> list:
    """The cell outputs nbgrader turns into ``verdict.score`` (see nbgrader.utils.determine_grade)."""
    message = verdict.message()
    if verdict.full:
        return [nbformat.v4.new_output("stream", name="stdout", text=f"Passed: {message}\n")]
    if verdict.score > 0:
        return [nbformat.v4.new_output("stream", name="stdout", text=f"Partly passed: {message}\n"),
                nbformat.v4.new_output("execute_result", data={"text/plain": f"{verdict.score:g}"},
                                       execution_count=None)]
    return [nbformat.v4.new_output("error", ename=VERDICT, evalue=message, traceback=[f"{VERDICT}: {message}"])]
