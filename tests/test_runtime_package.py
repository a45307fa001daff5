"""What students install holds no solution: the runtime package alone, in a fresh virtual environment.

The runtime (``runtime/``, import name ``cnncourse``) is built into a wheel and
installed into a new venv, which borrows only the third-party libraries of the
kit's venv (appended to ``sys.path``; its ``.pth`` files, which would activate the
kit's editable install, are not processed). There the kit (``cnnkit``) is not
importable, no installed file points back to the repository, and no callable of
the runtime computes a graded result: every one is tried on the inputs of
graded functions of assignments 1-3 and compared with the correct answers,
computed here by the grader's independent oracles.
"""
import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cnnkit import oracles

REPO = Path(__file__).resolve().parents[1]

SEARCH = textwrap.dedent('''
    import importlib, inspect, json, pkgutil, sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    probes = np.load(sys.argv[1], allow_pickle=False)
    report = {"cnnkit": None, "file": None, "hits": [], "tried": 0}
    try:
        import cnnkit
        report["cnnkit"] = getattr(cnnkit, "__file__", "?")
    except ImportError:
        pass
    import cnncourse
    report["file"] = cnncourse.__file__
    cases = json.loads(sys.argv[2])
    functions = []
    for info in pkgutil.iter_modules(cnncourse.__path__):
        module = importlib.import_module("cnncourse." + info.name)
        for name, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", "").startswith("cnncourse"):
                functions.append((module.__name__ + "." + name, value))
    import torch
    for name, function in functions:
        for case in cases:
            args = [probes[a] if isinstance(a, str) and a in probes.files else a for a in case["args"]]
            if case.get("torch"):
                args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
            expected = probes[case["expected"]]
            report["tried"] += 1
            try:
                result = function(*args)
            except BaseException:
                continue
            if isinstance(result, torch.Tensor):
                result = result.detach().numpy()
            if isinstance(result, np.ndarray) and result.shape == expected.shape and np.allclose(result, expected):
                report["hits"].append(name + " computes " + case["what"])
    print(json.dumps(report))
''')


@pytest.fixture(scope="module")
def student_env(tmp_path_factory):
    """A fresh venv with the runtime wheel installed, borrowing numpy/torch/matplotlib from the kit's venv."""
    work = tmp_path_factory.mktemp("student-env")
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(REPO / "runtime")], check=True, capture_output=True, timeout=300)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    wheel = next(wheels.glob("cnn_course_runtime-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    (site / "zz-third-party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def probes(tmp_path) -> tuple[Path, list[dict]]:
    rng = np.random.default_rng(0)
    images, kernels = rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3, 3, 3, 4))
    pooled_input = rng.normal(size=(2, 6, 6, 3))
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    arrays = {
        "images": images, "kernels": kernels, "pooled_input": pooled_input, "a": a, "b": b,
        "padded": oracles.pad(images, 2), "convolved": oracles.conv2d(kernels, images, 1),
        "convolved_s2": oracles.conv2d(kernels, images, 2), "pooled": oracles.max_pool(pooled_input, 2, 2),
        "dilated": oracles.dilate(images, 2),
        "relative": np.array(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))),
        "nchw": images.transpose(0, 3, 1, 2).copy(), "oihw": kernels.transpose(3, 2, 0, 1).copy(),
        "nchw_out": oracles.conv2d(kernels, images, 1).transpose(0, 3, 1, 2).copy(),
    }
    cases = [
        {"what": "add_padding", "args": ["images", 2], "expected": "padded"},
        {"what": "convolve", "args": ["kernels", "images", 1], "expected": "convolved"},
        {"what": "convolve with stride", "args": ["kernels", "images", 2], "expected": "convolved_s2"},
        {"what": "convolve (images first)", "args": ["images", "kernels", 1], "expected": "convolved"},
        {"what": "max pooling", "args": ["pooled_input", 2, 2], "expected": "pooled"},
        {"what": "dilate", "args": ["images", 2], "expected": "dilated"},
        {"what": "relative_error", "args": ["a", "b"], "expected": "relative"},
        {"what": "Conv2dUnfold (NCHW)", "args": ["nchw", "oihw"], "expected": "nchw_out", "torch": True},
    ]
    path = tmp_path / "probes.npz"
    np.savez(path, **arrays)
    return path, cases


def test_runtime_installs_alone_and_computes_no_graded_result(student_env, tmp_path):
    python, site = student_env
    path, cases = probes(tmp_path)
    proc = subprocess.run([str(python), "-c", SEARCH, str(path), json.dumps(cases)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["cnnkit"] is None, f"the instructor's kit is importable: {report['cnnkit']}"
    assert report["file"].startswith(str(site)), "the runtime must come from the fresh environment"
    assert report["tried"] > 50, "the search must really try the runtime's callables"
    assert report["hits"] == []


def test_the_search_finds_a_solution_when_there_is_one(student_env, tmp_path):
    """The same search, with a runtime module that holds a padding function, must report it."""
    python, site = student_env
    leak = site / "cnncourse" / "leak.py"
    leak.write_text("import numpy as np\n\ndef pad_them(x, p):\n"
                    "    return np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))\n")
    try:
        path, cases = probes(tmp_path)
        proc = subprocess.run([str(python), "-c", SEARCH, str(path), json.dumps(cases)], capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        assert json.loads(proc.stdout.strip().splitlines()[-1])["hits"] == ["cnncourse.leak.pad_them computes add_padding"]
    finally:
        leak.unlink()


def test_no_installed_file_points_into_the_repository(student_env):
    _, site = student_env
    installed = [p for p in (site / "cnncourse").rglob("*") if p.is_file() and p.suffix != ".pyc"]
    assert installed and all(p.suffix == ".py" for p in installed), "the runtime ships Python modules only"
    for path in installed:
        assert str(REPO) not in path.read_text(), f"{path.name} names the repository"
    assert not (site / "cnncourse" / "oracles.py").exists()


def test_the_hub_environment_installs_the_runtime_not_the_repository():
    text = (REPO / "environment.yml").read_text()
    pip = text.split("- pip:", 1)[1]
    assert "./runtime" in pip and "-e" not in pip and "- ." not in pip.replace("./runtime", "")


def test_the_kit_installs_the_runtime_as_a_regular_package():
    import cnncourse

    assert not cnncourse.__file__.startswith(str(REPO / "runtime")), \
        "the runtime must be installed as a package (not editable): `make venv`"
    for module in (REPO / "runtime" / "cnncourse").glob("*.py"):
        installed = Path(cnncourse.__file__).parent / module.name
        assert installed.is_file() and installed.read_text() == module.read_text(), \
            f"{module.name}: the installed runtime is stale; run `make venv`"
