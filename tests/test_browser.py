"""A student's session in a real browser: JupyterLab with nbgrader's extensions, driven by Playwright.

The instructor releases assignment 1 to an exchange; JupyterLab runs on
127.0.0.1 in the student's home; headless Chromium (Debian's package, which
``make test`` installs when missing) opens the Assignments tab, fetches the
assignment, opens the notebook, runs a wrong ``add_padding`` and sees the visible
test's message, fixes it, sees the test pass, presses Validate and submits.
Screenshots of each step go to ``outputs/browser/``.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from cnnkit.course import run_nbgrader

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "outputs" / "browser"
A1 = "01_numpy_cnn"
WRONG = "def add_padding(images, padding): return np.pad(images, padding)"
RIGHT = "def add_padding(images, padding): return np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason=(
    "no browser: Debian's chromium is not installed and could not be (make test installs it with apt-get "
    "when it runs as root with the package mirrors reachable)"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def session(course):
    base = Path(tempfile.mkdtemp(prefix="cnnkit-browser-"))
    exchange, instructor, student = base / "exchange", base / "instructor", base / "student"
    for folder in (exchange, instructor, student / ".jupyter"):
        folder.mkdir(parents=True)
    os.chmod(exchange, 0o1777)
    shutil.copy(course.root / "nbgrader_config.py", instructor)
    shutil.copytree(course.root / "source" / A1, instructor / "source" / A1)
    env = {"NBGRADER_EXCHANGE": str(exchange)}
    run_nbgrader(instructor, ["generate_assignment", A1, "--force"], env=env, check=True)
    run_nbgrader(instructor, ["release_assignment", A1], env=env, check=True)
    (student / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {course.course_id!r}\n")
    port, token = free_port(), os.urandom(12).hex()
    lab = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={student}", "--allow-root",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=student, env={**os.environ, "HOME": str(student), "JUPYTER_CONFIG_DIR": str(student / ".jupyter")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}", token, exchange, student
    os.killpg(lab.pid, 9)
    lab.wait()
    shutil.rmtree(base, ignore_errors=True)


def test_a_student_fetches_fixes_validates_and_submits(session, course):
    from playwright.sync_api import sync_playwright

    url, token, exchange, student = session
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)

        def shot(name):
            page.screenshot(path=str(SHOTS / f"{name}.png"))

        def cell(text):
            return page.locator(".jp-Notebook .jp-CodeCell", has_text=text).first

        def run(target):
            target.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")

        def replace(target, code):
            target.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(code)

        page.goto(f"{url}/lab?token={token}")
        page.wait_for_selector("#jp-main-dock-panel")
        page.click("text=Nbgrader")
        page.click(".lm-Menu-itemLabel >> text=Assignment List")
        page.wait_for_selector("#released_assignments_list >> text=01_numpy_cnn")
        shot("1-assignments-tab")
        page.click("#released_assignments_list button:has-text('Fetch')")
        page.wait_for_selector("#fetched_assignments_list >> text=01_numpy_cnn")
        page.click("#fetched_assignments_list >> text=01_numpy_cnn")
        shot("2-fetched")
        page.click("#fetched_assignments_list a:has-text('numpy_cnn') >> nth=-1")
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle")

        run(cell("from cnncourse import checks"))
        replace(cell("def add_padding"), WRONG)
        run(cell("def add_padding"))
        visible = cell("add_padding: visible tests passed")
        run(visible)
        visible.locator(".jp-OutputArea-output").first.wait_for()
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle")
        failing = visible.locator(".jp-OutputArea").inner_text()
        shot("3-visible-test-fails")
        assert "pad only the two spatial axes" in failing, failing

        replace(cell("def add_padding"), RIGHT)
        run(cell("def add_padding"))
        run(visible)
        page.wait_for_selector("text=add_padding: visible tests passed >> nth=-1")
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle")
        shot("4-visible-test-passes")
        page.keyboard.press("Control+s")
        page.wait_for_timeout(1500)

        page.locator(".jp-NotebookPanel-toolbar >> text=Validate").click()
        dialog = page.wait_for_selector(".jp-Dialog")
        assert "Validation Results" in dialog.inner_text()
        shot("5-validate")
        page.keyboard.press("Escape")

        page.click(".lm-TabBar-tab >> text=Assignments")
        page.click("#fetched_assignments_list button:has-text('Submit')")
        page.wait_for_selector("#submitted_assignments_list >> text=01_numpy_cnn")
        shot("6-submitted")
        browser.close()

    submitted = sorted((exchange / course.course_id / "inbound").glob(f"*+{A1}+*"))
    assert len(submitted) == 1, submitted
    notebook = nbformat.read(str(submitted[0] / "numpy_cnn.ipynb"), as_version=4)
    assert any(RIGHT in c.source for c in notebook.cells), "the submission holds the fixed add_padding"
    assert sorted(p.name for p in SHOTS.glob("*.png")) == [
        "1-assignments-tab.png", "2-fetched.png", "3-visible-test-fails.png", "4-visible-test-passes.png",
        "5-validate.png", "6-submitted.png"]
