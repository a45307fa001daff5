"""The command line: every command answers --help; author round-trips through files."""
import subprocess
import sys

import pytest

from cnnkit.cli import COMMANDS
from cnnkit.course import load


def cnnkit(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cnnkit", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(command):
    result = cnnkit(command, "--help")
    assert result.returncode == 0, result.stderr
    assert COMMANDS[command][1] in " ".join(result.stdout.split())


def test_unknown_command_fails_with_usage():
    result = cnnkit("frobnicate")
    assert result.returncode != 0 and "invalid choice" in result.stderr


def test_bench_runs_its_suites():
    """conv and cache at tiny sizes (grading's suite grades real notebooks: `make bench` runs it)."""
    result = cnnkit("bench", "--quick", "conv", "cache")
    assert result.returncode == 0, result.stderr
    assert "== conv" in result.stdout and "== cache" in result.stdout
    assert "ratio" in result.stdout and "speed-up of epochs 2..:" in result.stdout


def test_bench_runs_every_suite_by_default():
    from cnnkit import bench

    parser = __import__("argparse").ArgumentParser()
    bench.add_arguments(parser)
    assert parser.parse_args([]).suites == [] and set(bench.SUITES) == {"conv", "cache", "grading"}


def test_bench_rejects_an_unknown_suite():
    result = cnnkit("bench", "nope")
    assert result.returncode == 2 and "unknown suite(s) nope" in result.stderr


def test_author_dump_then_load_reproduces_the_notebook(tmp_path):
    source = load().source_notebook("01_numpy_cnn")
    text, copy = tmp_path / "nb.txt", tmp_path / "nb.ipynb"
    assert cnnkit("author", "dump", str(source), str(text)).returncode == 0
    assert cnnkit("author", "load", str(text), str(copy)).returncode == 0
    assert copy.read_text() == source.read_text()
