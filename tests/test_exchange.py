"""The course cycle through nbgrader's exchange, as on a shared JupyterHub, with real Unix users.

An instructor and two students, each a Unix user with a home of their own
(created by the test when it runs as root; otherwise one user with three homes),
share one exchange folder (mode 1777, as a hub admin makes it):

release_assignment -> fetch_assignment -> students edit -> submit (and a late
resubmission) -> collect -> ``python -m cnnkit grade`` (sandboxed, as the
unprivileged instructor) -> generate_feedback -> release_feedback ->
fetch_feedback; each student sees their own feedback and nobody else's.

On this kit's CI machine Python lives under ``/root``, which other users cannot
enter; the users' commands run with ``/root`` replaced by a view of that Python
alone (bubblewrap, as root), as a hub installs Python for everyone.
"""
import datetime
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from cnnkit import catalogue
from cnnkit.submissions import synthesise_files

A1 = "01_numpy_cnn"
REPO = Path(__file__).resolve().parents[1]
USERS = ("cnnkit-instructor", "cnnkit-student1", "cnnkit-student2")


class Person:
    """Somebody on the hub: a Unix user (or this process's user) with a home of their own."""

    def __init__(self, name: str, home: Path, real: bool):
        self.name, self.home, self.real = name, home, real
        self.uid = pwd.getpwnam(name).pw_uid if real else os.getuid()
        self.gid = pwd.getpwnam(name).pw_gid if real else os.getgid()

    def run(self, *args, cwd=None, check=True, env=None):
        command = list(args)
        if self.real:
            command = [*python_for_everyone(), "setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                       "--init-groups", "--inh-caps=-all", "--bounding-set=-all", *command]
        environment = {"HOME": str(self.home), "USER": self.name, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                       "LANG": "C.UTF-8", **(env or {})}
        proc = subprocess.run(command, cwd=cwd or self.home, env=environment, capture_output=True, text=True,
                              timeout=900)
        if check:
            assert proc.returncode == 0, f"{self.name}: {' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def nbgrader(self, *args, **kwargs):
        return self.run(sys.executable, "-m", "nbgrader", *args, **kwargs)

    def give(self, path: Path) -> None:
        if self.real:
            for item in [path, *path.rglob("*")]:
                os.chown(item, self.uid, self.gid)


def _closed_ancestor(path: str) -> str | None:
    """The outermost folder above ``path`` that other users cannot enter (e.g. /root, a private checkout)."""
    for folder in reversed(Path(path).parents):
        if str(folder) != "/" and not os.stat(folder).st_mode & 0o001:
            return str(folder)
    return None


def python_for_everyone() -> list[str]:
    """bubblewrap (as root): the whole machine, except private folders (/root, a checkout in a 0700
    folder), of which only the Python installation, the virtual environment and the kit show."""
    from cnnkit.grader.sandbox import _parents, bwrap_path

    command = [str(bwrap_path()), "--dev-bind", "/", "/", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    made: set[str] = set()
    roots = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, REPO)}, key=len)
    for root in roots:
        closed = _closed_ancestor(root)
        if closed is None:
            continue
        if closed not in made:
            command += ["--tmpfs", closed]
            made.add(closed)
        command += _parents(root, made) + ["--ro-bind", root, root]
    return command + ["--"]


@pytest.fixture(scope="module")
def hub(course, offline_env):
    base = Path(tempfile.mkdtemp(prefix="cnnkit-hub-"))
    os.chmod(base, 0o755)
    real = os.geteuid() == 0 and shutil.which("useradd") is not None
    people = {}
    for name in USERS:
        home = base / "home" / name
        if real:
            subprocess.run(["userdel", "-r", name], capture_output=True)
            subprocess.run(["useradd", "--home-dir", str(home), "--create-home", "--shell", "/bin/sh", name],
                           check=True, capture_output=True)
        else:
            home.mkdir(parents=True)
        people[name] = Person(name, home, real)
    exchange = base / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o1777)
    for person in people.values():
        config = person.home / ".jupyter" / "nbgrader_config.py"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
                          f"c.CourseDirectory.course_id = {course.course_id!r}\n")
        person.give(person.home)
    instructor = people["cnnkit-instructor"]
    root = instructor.home / "course"
    root.mkdir()
    shutil.copy(course.root / "nbgrader_config.py", root)
    shutil.copytree(course.root / "source" / A1, root / "source" / A1)
    instructor.give(root)
    yield {"people": people, "exchange": exchange, "root": root, "real": real, "env": offline_env}
    if real:
        for name in USERS:
            subprocess.run(["userdel", "-r", name], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def student_notebook(course, changes=()):
    return synthesise_files(course.release_notebook(A1), course.source_notebook(A1), changes)


def test_the_course_cycle_through_the_exchange(hub, course):
    people, root, exchange = hub["people"], hub["root"], hub["exchange"]
    instructor, alice, bob = people["cnnkit-instructor"], people["cnnkit-student1"], people["cnnkit-student2"]
    env = {"NBGRADER_EXCHANGE": str(exchange), **hub["env"]}

    instructor.nbgrader("generate_assignment", A1, "--force", cwd=root, env=env)
    instructor.nbgrader("release_assignment", A1, cwd=root, env=env)
    for student in (alice, bob):
        student.nbgrader("fetch_assignment", A1)
        assert (student.home / A1 / "numpy_cnn.ipynb").is_file()
        assert not list((student.home / A1).rglob("*instructor*")), "instructor files must not be released"

    flipped = next(e for e in catalogue.load_entries(course, A1) if e.name == "convolve_kernel_flipped")
    leaky = next(e for e in catalogue.load_entries(course, A1) if e.name == "relu_leaky")
    for student, notebook in ((alice, student_notebook(course, flipped.changes)),
                              (bob, student_notebook(course, leaky.changes))):
        path = student.home / A1 / "numpy_cnn.ipynb"
        nbformat.write(notebook, str(path))
        student.give(path)
        student.nbgrader("submit", A1)
    due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    instructor.nbgrader("db", "assignment", "add", A1, f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC", cwd=root, env=env)
    time.sleep(3)
    fixed = alice.home / A1 / "numpy_cnn.ipynb"
    nbformat.write(student_notebook(course), str(fixed))
    alice.give(fixed)
    alice.nbgrader("submit", A1)  # the late resubmission, after the due date

    instructor.nbgrader("collect", A1, "--update", cwd=root, env=env)
    graded = instructor.run(sys.executable, "-m", "cnnkit", "grade", A1, "--no-progress", cwd=root, env=env)
    assert "cnnkit-student1" in graded.stdout and "cnnkit-student2" in graded.stdout
    instructor.nbgrader("generate_feedback", A1, cwd=root, env=env)
    instructor.nbgrader("release_feedback", A1, cwd=root, env=env)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course.course_id) as gb:
        late = gb.find_submission(A1, "cnnkit-student1")
        assert late.total_seconds_late > 0, "the resubmission after the due date is the one graded, and it is late"
        scores = {s: gb.find_submission(A1, s).score for s in ("cnnkit-student1", "cnnkit-student2")}
    assert scores == {"cnnkit-student1": 29, "cnnkit-student2": 27}, graded.stdout + graded.stderr

    for student, score in ((alice, "29"), (bob, "27")):
        student.nbgrader("fetch_feedback", A1)
        pages = sorted((student.home / A1 / "feedback").rglob("*.html"))
        assert len(pages) == 1, f"{student.name} must get exactly their own feedback: {pages}"
        text = pages[0].read_text()
        assert f"Score: {score}" in " ".join(text.split()), f"{student.name}'s feedback shows another score"
    if hub["real"]:
        listing = bob.run("ls", str(exchange / course.course_id / "feedback"), check=False)
        assert listing.returncode != 0, "a student must not list everybody's feedback"
