"""``python -m cnnkit bench grading``: grading throughput, and what the sandbox costs.

Grades the same submissions of assignment 1 (reference solutions, each its own
student) three times through the real pipeline, in a scratch course:

* sandboxed, 1 worker, and sandboxed, 2 workers: throughput in submissions per
  minute and the speed-up of the second worker (goal: 1.8x on 2 idle cores);
* unsandboxed (``--no-sandbox``), 1 worker: the sandbox's share of a student's
  grading time (goal: at most 10 %).

The reference solution's own run is cached before timing starts, so every
timed task is one student's notebook.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from cnnkit import catalogue
from cnnkit.course import load, scratch_course
from cnnkit.grader import pipeline
from cnnkit.grader.pool import LocalPool

ASSIGNMENT = "01_numpy_cnn"


def _grade(course, sandbox, workers: int) -> tuple[float, list[float]]:
    pool = LocalPool(workers)
    started = time.perf_counter()
    try:
        run = pipeline.grade([pipeline.Job(course, ASSIGNMENT)], pool, sandbox, force=True, progress=False)
    finally:
        pool.close()
    elapsed = time.perf_counter() - started
    results = run.of(pipeline.Job(course, ASSIGNMENT)).values()
    bad = [r.student for r in results if r.status != "graded" or sum(v.score for v in r.verdicts.values()) < 29]
    if bad:
        raise RuntimeError(f"benchmark submissions did not grade cleanly: {bad}")
    return elapsed, [r.seconds for r in results]


def main(quick: bool = False) -> None:
    count = 2 if quick else 8
    source = load()
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-grading-") as folder:
        course = scratch_course(source, [ASSIGNMENT], Path(folder) / "course")
        reference = catalogue.build_submissions(course, ASSIGNMENT, [])[0].notebook
        catalogue.write_submissions(course, ASSIGNMENT, [catalogue.Planned(f"student-{i:02d}", reference, "", frozenset())
                                                         for i in range(count)])
        env = catalogue.offline_env(source)
        sandboxed = pipeline.sandbox_for(course, env=env)
        plain = pipeline.sandbox_for(course, env=env, enabled=False)
        _grade(course, sandboxed, 2)  # warm-up, and each configuration's reference records cached
        _grade(course, plain, 2)
        one, per_student_sandboxed = _grade(course, sandboxed, 1)
        two, _ = _grade(course, sandboxed, 2)
        bare, per_student_plain = _grade(course, plain, 1)
    rate = lambda seconds: 60 * count / seconds  # noqa: E731 - a one-line formula
    print(f"assignment 1, {count} submissions of the reference solution, through the whole pipeline")
    print(f"  sandboxed, 1 worker:    {one:6.1f} s  {rate(one):5.1f} submissions/min")
    print(f"  sandboxed, 2 workers:   {two:6.1f} s  {rate(two):5.1f} submissions/min   speed-up x{one / two:.2f} "
          "(goal: x1.8 on 2 idle cores)")
    print(f"  unsandboxed, 1 worker:  {bare:6.1f} s  {rate(bare):5.1f} submissions/min")
    task_sandboxed = sum(per_student_sandboxed) / count
    task_plain = sum(per_student_plain) / count
    share = (task_sandboxed - task_plain) / task_sandboxed
    print(f"  one notebook: {task_sandboxed:.2f} s in the sandbox, {task_plain:.2f} s without: "
          f"the sandbox costs {100 * share:.1f} % of a student's grading time (goal: at most 10 %)")
