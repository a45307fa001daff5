"""``python -m cnnkit grade`` as an instructor runs it: serial, parallel, on Dask, interrupted and resumed.

One scratch course with references, blanks, mutants and broken files
(6 submissions in the core tier, 20 in the extended tier). The same table must
come out of one worker, two workers and a Dask ``LocalCluster`` of two worker
processes; a run killed halfway and started again grades only the rest and
ends with the same table; broken files make the command exit non-zero, named.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cnnkit import catalogue, robustness
from cnnkit.course import scratch_course
from cnnkit.grader import merge

A1 = "01_numpy_cnn"
TIER = os.environ.get("CNNKIT_TIER", "core")
MUTANTS = 2 if TIER == "core" else 14


@pytest.fixture(scope="module")
def course_dir(course, offline_env, tmp_path_factory):
    """A course folder holding submissions of assignment 1, and the environment to grade it with."""
    root = tmp_path_factory.mktemp("grade-command") / "course"
    scratch = scratch_course(course, [A1], root)
    plans = catalogue.build_submissions(scratch, A1, [e for e in catalogue.load_entries(course, A1)
                                                     if e.kind == "mutant"][:MUTANTS])
    if TIER != "core":
        plans += [catalogue.Planned("reference-2", plans[0].notebook, "", frozenset()),
                  catalogue.Planned("blank-2", plans[1].notebook, "", frozenset())]
    broken = {c.student: c.build(scratch, A1) for c in robustness.CASES if c.student in ("broken-json", "old-metadata")}
    plans += [catalogue.Planned(s, nb, "", frozenset()) for s, nb in broken.items()]
    catalogue.write_submissions(scratch, A1, plans)
    env = {**os.environ, **offline_env}
    return scratch, env, [p.student for p in plans]


def grade(course_dir, *args, check_exit=1):
    scratch, env, _ = course_dir
    proc = subprocess.run([sys.executable, "-m", "cnnkit", "grade", A1, "--no-progress", *args],
                          cwd=scratch.root, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == check_exit, proc.stdout + proc.stderr
    return proc


def scores(course_dir) -> dict[str, list[str]]:
    """scores.csv without the timing column."""
    scratch = course_dir[0]
    with (scratch.root / "outputs" / A1 / "scores.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return {r["student"]: [v for k, v in r.items() if k != "seconds"] for r in rows}


@pytest.fixture(scope="module")
def serial(course_dir):
    proc = grade(course_dir, "--workers", "1", "--force")
    return scores(course_dir), proc


def test_broken_files_are_named_and_the_exit_status_says_so(serial):
    table, proc = serial
    assert "broken-json: REJECTED: not a notebook" in proc.stderr
    assert "old-metadata: REJECTED: nbgrader metadata schema" in proc.stderr
    assert "2 submission(s) could not be graded" in proc.stderr
    assert table["reference"][-5:-3] == ["29", "29"] and table["blank"][-5] == "0"


def test_two_workers_give_the_serial_table(course_dir, serial):
    grade(course_dir, "--workers", "2", "--force")
    assert scores(course_dir) == serial[0]


def test_a_dask_cluster_gives_the_serial_table(course_dir, serial):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        proc = grade(course_dir, "--scheduler", cluster.scheduler_address, "--force")
    assert "Dask scheduler" in proc.stderr
    assert scores(course_dir) == serial[0]


def test_a_killed_run_resumes_where_it_stopped(course_dir, serial):
    scratch, env, students = course_dir
    state = scratch.root / ".cache" / "grading" / A1
    for path in state.glob("*.json"):
        path.unlink()
    proc = subprocess.Popen([sys.executable, "-m", "cnnkit", "grade", A1, "--no-progress", "--workers", "1",
                             "--force"], cwd=scratch.root, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    while len(list(state.glob("*.json"))) < len(students) // 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.stem for p in state.glob("*.json")}
    assert 0 < len(done) < len(students), "the kill must land halfway"
    time.sleep(1)
    again = grade(course_dir, "--workers", "2")
    assert f"{len(done)} submission(s) graded by an earlier run were kept" in again.stdout
    assert scores(course_dir) == serial[0]
    for student in done:
        assert json.loads((state / f"{student}.json").read_text())["status"] in ("graded", "rejected")
    assert merge.is_done(scratch, A1, "reference", merge.read_state(scratch, A1, "reference")["sha256"])
