"""The environment is declared once for pip and once for conda, identically; CI runs make test."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}


def pip_pins() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return dict(re.fullmatch(r"([A-Za-z0-9_.-]+)==([\w.]+)", d).groups() for d in deps)


def conda_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s+- ([A-Za-z0-9_.-]+)=([\w.]+)", line)
        if match and match[1] != "python":
            pins[CONDA_TO_PIP.get(match[1], match[1])] = match[2]
    return pins


STUDENT_SIDE = {"numpy", "matplotlib", "pillow", "torch", "torchvision", "nbgrader", "nbconvert", "tqdm"}


def test_the_student_environment_pins_what_the_kit_pins():
    """environment.yml (students) is the kit's pins minus the instructor-only tools, same versions."""
    assert set(conda_pins()) == STUDENT_SIDE
    assert {name: pip_pins()[name] for name in STUDENT_SIDE} == conda_pins()


def test_the_runtime_pins_the_same_versions():
    deps = tomllib.loads((ROOT / "runtime" / "pyproject.toml").read_text())["project"]["dependencies"]
    runtime = dict(re.fullmatch(r"([A-Za-z0-9_.-]+)==([\w.]+)", d).groups() for d in deps)
    assert runtime and all(pip_pins()[name] == version for name, version in runtime.items())


def test_environment_pins_python_311_and_installs_the_runtime_only():
    text = (ROOT / "environment.yml").read_text()
    assert "- python=3.11" in text and "- ./runtime" in text and "- -e ." not in text


def test_torch_pins_are_the_ones_on_the_machine():
    assert pip_pins()["torch"] == "2.14.1" and pip_pins()["torchvision"] == "0.29.1"
    assert pip_pins()["nbgrader"].startswith("0.9.")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "make test" in (ROOT / "README.md").read_text()


def test_every_top_level_folder_explains_itself():
    for folder in ["source", "release", "autograded", "tests", "data", "outputs"]:
        assert (ROOT / folder / "README.md").is_file(), f"{folder}/README.md is missing"
