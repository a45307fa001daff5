"""Step 5 of grading: what the instructor reads.

* the score table on the terminal (a column per student for a few students, a
  row per student for a course);
* ``outputs/<assignment>/scores.csv``: a row per student, a column per test
  cell, the total, the status and error, the grading time;
* ``outputs/<assignment>/integrity.csv``: a row per integrity finding;
* ``outputs/<assignment>/summary.png``: pass rate of every test cell and a
  histogram of the totals, on one page.

Students already graded by an earlier run (not graded again) are reported from
their saved state, so the files always cover the whole course.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from cnnkit.course import Course
from cnnkit.grader import merge as merging
from cnnkit.grader.record import Recorded


@dataclass
class Row:
    """One student's line of the report."""

    student: str
    status: str
    scores: dict[str, float]
    max_scores: dict[str, float]
    error: str | None = None
    seconds: float = 0.0
    messages: dict[str, str] = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 2)

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())

    def lost(self) -> set[str]:
        return {c for c, s in self.scores.items() if s < self.max_scores.get(c, 0)}


def row(recorded: Recorded) -> Row:
    from dataclasses import asdict

    return Row(recorded.student, recorded.status, {c: v.score for c, v in recorded.verdicts.items()},
               {c: v.points for c, v in recorded.verdicts.items()}, recorded.error, recorded.seconds,
               {c: v.message() for c, v in recorded.verdicts.items() if not v.full},
               [asdict(f) for f in recorded.findings], recorded.notes)


def row_from_state(state: dict) -> Row:
    return Row(state["student"], state["status"], state.get("scores", {}), state.get("max_scores", {}),
               state.get("error"), state.get("seconds", 0.0), state.get("messages", {}), state.get("findings", []),
               state.get("notes", []))


def course_rows(course: Course, assignment: str, fresh: dict[str, Recorded], students: list[str]) -> dict[str, Row]:
    """Rows for ``students``: this run's results, else the saved state of an earlier run."""
    rows = {}
    for student in students:
        if student in fresh:
            rows[student] = row(fresh[student])
        else:
            state = merging.read_state(course, assignment, student)
            if state:
                rows[student] = row_from_state(state)
    return rows


def format_table(rows: dict[str, Row], wide_limit: int = 10) -> str:
    """The score table: a row per test cell and a column per student (a row per student beyond ``wide_limit``)."""
    graded = {s: r for s, r in rows.items() if r.max_scores}
    if not rows:
        return "(no submissions)"
    cells = list(next(iter(graded.values())).max_scores) if graded else []
    if len(rows) > wide_limit or not cells:
        return _student_rows(rows, cells)
    names = list(rows)
    first = next(iter(graded.values()))
    width = max(len(c) for c in [*cells, "total"])
    columns = [max(len(n), 6) for n in names]
    lines = [f"{'test cell':<{width}}  {'max':>4}  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, columns))]
    lines.append("-" * len(lines[0]))
    for cell in cells:
        scores = "  ".join(f"{_fmt(rows[n].scores.get(cell, 0)):>{w}}" for n, w in zip(names, columns))
        lines.append(f"{cell:<{width}}  {_fmt(first.max_scores[cell]):>4}  {scores}")
    lines.append("-" * len(lines[0]))
    totals = "  ".join(f"{_fmt(rows[n].total):>{w}}" for n, w in zip(names, columns))
    lines.append(f"{'total':<{width}}  {_fmt(first.max_total):>4}  {totals}")
    lines += [f"{n}: {rows[n].status.upper()} {rows[n].error.splitlines()[0]}" for n in names if rows[n].error]
    return "\n".join(lines)


def _student_rows(rows: dict[str, Row], cells: list[str]) -> str:
    width = max(len(s) for s in [*rows, "student"])
    lines = [f"{'student':<{width}}  total  lost points in"]
    for student, r in rows.items():
        detail = f"{r.status.upper()} {r.error.splitlines()[0]}" if r.error else \
            ", ".join(c for c in cells if c in r.lost())
        lines.append(f"{student:<{width}}  {_fmt(r.total):>5}  {detail or '-'}")
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return f"{x:g}"


def write_files(folder: Path, rows: dict[str, Row]) -> list[Path]:
    """scores.csv, integrity.csv and summary.png in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = next((list(r.max_scores) for r in rows.values() if r.max_scores), [])
    scores = folder / "scores.csv"
    with scores.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *cells, "total", "max", "status", "error", "seconds", "integrity_flags"])
        for r in rows.values():
            writer.writerow([r.student, *(f"{r.scores.get(c, 0):g}" for c in cells), f"{r.total:g}",
                             f"{r.max_total:g}", r.status, (r.error or "").splitlines()[0] if r.error else "",
                             f"{r.seconds:.1f}", len(r.findings)])
    integrity = folder / "integrity.csv"
    with integrity.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "cell", "category", "detail", "seen_by", "violation"])
        for r in rows.values():
            for f in r.findings:
                writer.writerow([r.student, f["cell"], f["category"], f["detail"], f["seen_by"], f["violation"]])
    summary = folder / "summary.png"
    _summary_figure(summary, rows, cells)
    return [scores, integrity, summary]


def _summary_figure(path: Path, rows: dict[str, Row], cells: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graded = [r for r in rows.values() if r.status == "graded"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, max(4, 0.3 * len(cells) + 1.5)),
                                      gridspec_kw={"width_ratios": [3, 2]})
    rates = [sum(r.scores.get(c, 0) >= r.max_scores.get(c, 0) for r in graded) / max(len(graded), 1) for c in cells]
    left.barh(range(len(cells)), [100 * x for x in rates], color="#4c72b0")
    left.set_yticks(range(len(cells)), cells, fontsize=8)
    left.invert_yaxis()
    left.set_xlim(0, 100)
    left.set_xlabel("students with full marks (%)")
    left.set_title(f"per test cell ({len(graded)} graded)")
    totals = [r.total for r in graded]
    maximum = next((r.max_total for r in graded), 1) or 1
    right.hist(totals, bins=min(20, max(5, len(totals))), range=(0, maximum), color="#55a868")
    right.set_xlabel(f"total (of {maximum:g})")
    right.set_ylabel("students")
    failed = sum(r.status != "graded" for r in rows.values())
    flagged = sum(bool(r.findings) for r in rows.values())
    right.set_title(f"totals; {failed} not graded, {flagged} with integrity flags")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
