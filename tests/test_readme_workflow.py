"""The README's instructor workflow, typed literally, in a fresh copy of the repository.

The commands are read from the README's first code block under "Instructor
workflow" and run, line by line, in bash, in a copy of the tracked files (as a
fresh clone has them, ``release/`` committed), with the environment activated
as the README says; two students' submissions are put where the README says to
collect them. Then: the gradebook, the export and the feedback hold what they
must, and an instructor error (grading an assignment never generated) reads as
one line, not a traceback.
"""
import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from cnnkit import catalogue
from cnnkit.submissions import synthesise_files

REPO = Path(__file__).resolve().parents[1]
A1 = "01_numpy_cnn"


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Instructor workflow", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def fresh_copy(target: Path) -> Path:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def bash(line: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f". .venv/bin/activate && {line}"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def workflow(tmp_path_factory, course, offline_env):
    root = fresh_copy(tmp_path_factory.mktemp("readme") / "repo")
    release, source = course.release_notebook(A1), course.source_notebook(A1)
    mutant = next(e for e in catalogue.load_entries(course, A1) if e.name == "relu_abs")
    for student, changes in (("alice", ()), ("bob", mutant.changes)):
        path = root / "submitted" / student / A1 / "numpy_cnn.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(synthesise_files(release, source, changes), str(path))
    env = {**os.environ, **offline_env}
    runs = [(line, bash(line, root, env)) for line in readme_commands()]
    return root, env, runs


def test_the_readme_names_the_whole_cycle():
    commands = " ; ".join(readme_commands())
    for step in ("nbgrader generate_assignment", "python -m cnnkit grade", "nbgrader generate_feedback",
                 "nbgrader export"):
        assert step in commands


def test_every_readme_command_works_as_typed(workflow):
    _, _, runs = workflow
    failed = [f"{line}\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}" for line, proc in runs if proc.returncode != 0]
    assert failed == []


def test_the_export_and_the_feedback_hold_the_grades(workflow):
    root, _, _ = workflow
    with (root / "grades.csv").open() as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == A1}
    assert float(rows["alice"]["raw_score"]) == 29 and float(rows["bob"]["raw_score"]) == 27
    for student in ("alice", "bob"):
        html = root / "feedback" / student / A1 / "numpy_cnn.html"
        assert html.is_file() and "BEGIN HIDDEN TESTS" not in html.read_text()
    assert (root / "outputs" / A1 / "scores.csv").is_file()


def test_an_instructor_mistake_reads_as_one_line(workflow):
    root, env, _ = workflow
    proc = bash("python -m cnnkit grade 04_vgg_transfer", root, env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert "nbgrader generate_assignment 04_vgg_transfer --force" in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) <= 3
