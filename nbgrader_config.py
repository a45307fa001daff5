"""nbgrader configuration of the CNN course (run nbgrader from this folder).

The kit (`python -m cnnkit ...`) reads ASSIGNMENTS and the settings below; plain
nbgrader commands (generate_assignment, autograde, generate_feedback, export)
work unchanged from the repository root.
"""

import os

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file

COURSE_ID = "cnn-course"

# Assignment id -> notebook name (one notebook per assignment, in source/<id>/).
ASSIGNMENTS = {
    "01_numpy_cnn": "numpy_cnn",
    "02_filtering_backprop": "filtering_backprop",
    "03_pytorch_simplenet": "pytorch_simplenet",
    "04_vgg_transfer": "vgg_transfer",
}

c.CourseDirectory.course_id = COURSE_ID
# The course folder is the folder of this file, wherever nbgrader is started from
# (formgrader on a hub starts in the instructor's home: see the README).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# nbgrader's exchange (release_assignment, fetch_assignment, submit, collect, release_feedback,
# fetch_feedback). On one machine: exchange/ next to this file. On a shared JupyterHub: one folder
# for every user, e.g. /srv/nbgrader/exchange (mode 1777), set here with NBGRADER_EXCHANGE and in
# the students' /etc/jupyter/nbgrader_config.py (README: "On a shared JupyterHub").
EXCHANGE = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")
os.makedirs(EXCHANGE, exist_ok=True)
c.Exchange.root = EXCHANGE

# Instructor-only material next to a source notebook (mutant and alternative
# catalogues, reference helpers) lives in source/<id>/instructor/ and never
# reaches release/ or a student's autograded folder.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "instructor",
    "outputs",
]

# Per-cell limit while grading. The slowest cell of any reference or loop-based
# alternative solution takes a few seconds under NBGRADER_EXECUTION (see the
# README's timing table), so 60 s is never approached by a correct solution but
# stops an endless loop in reasonable time.
c.Execute.timeout = 60

# A student who deletes a test cell gets it back (with a note) instead of a
# crash; the hidden tests always come from the gradebook.
c.OverwriteCells.add_missing_cells = True

# Feedback shows each test's verdict, never hidden-test code (jupyter/nbgrader#917),
# and not what student code printed while the hidden tests ran (cnnkit/grader/feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "cnnkit.grader.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Sandbox limits of `python -m cnnkit grade` (cnnkit/grader/sandbox.py). The per-cell
# limit is nbgrader's own c.Execute.timeout above; a notebook as a whole gets
# notebook_seconds, so one whose every cell loops costs minutes, not hours.
GRADING = {
    "notebook_seconds": 900,
    "memory_bytes": 6 * 2**30,
    "processes": 256,
    "file_bytes": 256 * 2**20,
    "disk_bytes": 512 * 2**20,
}
