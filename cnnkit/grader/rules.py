"""What an assignment's solutions may use, and which test cells grade which solution cell.

Each assignment may declare its rules in ``source/<id>/instructor/rules.py``
(instructor-only, never released):

* ``FORBIDDEN_MODULES``: modules no solution cell may use (e.g. ``("torch",
  "scipy.signal")``; a name covers its submodules), with ``MESSAGE`` saying
  what the assignment allows, as its introduction states it;
* ``FORBIDDEN_CALLS``: per solution cell, attribute names it must not use
  (``{"conv2d_unfold": ("conv2d", "Conv2d")}``), with ``CALL_MESSAGES``;
* ``TESTED_BY``: per solution cell, its test cells, where they are not named
  ``<cell>_visible`` / ``<cell>_hidden``.

Comparisons of the assignment's own (for behaviour recorded as raw observations,
e.g. the modes of every forward pass of a training loop) live in
``source/<id>/instructor/judges.py`` as ``POLICIES = {name: function}``; each
function takes ``(student_value, reference_value, params)`` and returns None or
what is wrong, like those of :mod:`cnnkit.grader.judge`.

A violation costs the points of the cell's tests and is listed in the
integrity report; everything else the report lists is only flagged.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

from cnnkit import notebooks
from cnnkit.course import Course


@dataclass(frozen=True)
class Rules:
    forbidden_modules: tuple[str, ...] = ()
    message: str = ""
    forbidden_calls: dict = field(default_factory=dict)
    call_messages: dict = field(default_factory=dict)
    tested_by: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)

    def forbids(self, module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in self.forbidden_modules)

    def forbids_call(self, cell: str, attribute: str) -> bool:
        return attribute in self.forbidden_calls.get(cell, ())

    def call_message(self, cell: str) -> str:
        return self.call_messages.get(cell, "this exercise asks you to build it yourself")

    def tests_of(self, cell: str, notebook) -> list[str]:
        """The test cells that grade solution cell ``cell``."""
        if cell in self.tested_by:
            return list(self.tested_by[cell])
        return [t for t in notebooks.test_points(notebook) if t in (f"{cell}_visible", f"{cell}_hidden")]


def _module(course: Course, assignment: str, name: str):
    path = course.instructor_dir(assignment) / f"{name}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"{name}_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(course: Course, assignment: str) -> Rules:
    """The rules (and extra comparisons) of ``assignment``; none when it declares none."""
    module = _module(course, assignment, "rules")
    judges = _module(course, assignment, "judges")
    policies = dict(getattr(judges, "POLICIES", {})) if judges else {}
    if module is None:
        return Rules(policies=policies)
    return Rules(tuple(getattr(module, "FORBIDDEN_MODULES", ())), getattr(module, "MESSAGE", ""),
                 dict(getattr(module, "FORBIDDEN_CALLS", {})), dict(getattr(module, "CALL_MESSAGES", {})),
                 dict(getattr(module, "TESTED_BY", {})), policies)
