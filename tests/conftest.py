"""Session-wide setup: the offline guard, cached data, and ONE grading pool.

Every notebook submission the suite needs (each assignment's reference, blank,
mutants and alternatives, and the robustness cases) is graded by real
``nbgrader autograde`` in a single pool of parallel workers, once per session;
the tests then read the per-cell scores from :func:`grading_run`.
"""
from __future__ import annotations

import concurrent.futures
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from cnnkit import catalogue, netguard, robustness
from cnnkit.course import Course, load
from cnnkit.grading import GradeResult, Job, Template, autograde_many, prepare_template

REPO = Path(__file__).resolve().parents[1]
WORKERS = 2
# Slowest first, so the pool's tail is short.
ORDER = ["04_vgg_transfer", "03_pytorch_simplenet", "02_filtering_backprop", "01_numpy_cnn"]

_NET_LOG = Path(tempfile.mkdtemp(prefix="cnnkit-netguard-")) / "blocked.log"


def pytest_configure(config):
    netguard.enable(_NET_LOG)


def pytest_sessionfinish(session, exitstatus):
    blocked = netguard.violations(_NET_LOG)
    if blocked:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            "OFFLINE GUARD: the suite tried to reach the network:\n  " + "\n  ".join(blocked), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def course() -> Course:
    return load(REPO)


@pytest.fixture(scope="session")
def offline_env(course) -> dict[str, str]:
    """Environment of graded notebooks: cached synthetic ``ci`` data, offline VGG profile."""
    return catalogue.offline_env(course)


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="cnnkit-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def templates(course, workdir) -> dict[str, Template]:
    """A freshly generated course folder (gradebook + release) per built assignment."""
    built = course.built()
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        futures = {a: pool.submit(prepare_template, course, a, workdir / f"template-{a}") for a in built}
        return {a: f.result() for a, f in futures.items()}


@dataclass
class GradingRun:
    """Results of the session's grading pool."""

    catalogue: list[catalogue.Graded]
    broken: dict[str, GradeResult]  # robustness case student (and "reference") -> result

    def graded(self, assignment: str, student: str) -> catalogue.Graded:
        """The graded submission of a student id or of a catalogue entry (alternatives share one)."""
        return next(g for g in self.catalogue
                    if g.assignment == assignment and (g.student == student or student in g.members))


@pytest.fixture(scope="session")
def grading_run(course, templates, offline_env, workdir) -> GradingRun:
    assignments = sorted(templates, key=lambda a: ORDER.index(a) if a in ORDER else len(ORDER))
    made = {a: catalogue.build_submissions(templates[a], catalogue.load_entries(course, a)) for a in assignments}
    jobs = [Job(templates[a], [m.submission for m in made[a]]) for a in assignments]
    broken_template = templates[robustness.ASSIGNMENT]
    reference = catalogue.build_submissions(broken_template, [])[0].submission
    for timeout in sorted({c.timeout or 0 for c in robustness.CASES}):
        cases = [c for c in robustness.CASES if (c.timeout or 0) == timeout]
        extra = [reference] if timeout == 0 else []
        jobs.append(Job(broken_template, extra + [robustness.submission(c, broken_template) for c in cases],
                        timeout or None))
    outcomes = autograde_many(jobs, workdir / "grading", WORKERS, env=offline_env)
    graded = [
        catalogue.Graded(a, plan.submission.student, plan.description, plan.expected_lost,
                         outcomes[i][plan.submission.student], plan.members)
        for i, a in enumerate(assignments)
        for plan in made[a]
    ]
    broken_results = {k: v for outcome in outcomes[len(assignments):] for k, v in outcome.items()}
    return GradingRun(graded, broken_results)
