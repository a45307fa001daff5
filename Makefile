# Quick start: `make demo` (the main job) and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime-installed
RUNTIME_FILES := runtime/pyproject.toml $(wildcard runtime/cnncourse/*.py)

.PHONY: test test-extended browser demo bench data release catalogue venv clean

venv: $(STAMP) $(RUNTIME)

# pip takes torch==2.14.1 / torchvision==0.29.1 from the machine's wheel cache;
# every other pin comes from pyproject.toml.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "Python 3.11 is required (found %d.%d); set PYTHON=/path/to/python3.11" % v)'
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

# The student runtime is installed as a regular package (never editable): graded
# notebooks import it inside the sandbox, where the repository is not visible.
$(RUNTIME): $(STAMP) $(RUNTIME_FILES)
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./runtime
	@rm -rf runtime/build runtime/*.egg-info
	@touch $(RUNTIME)

test: venv browser
	$(VPY) -m pytest

# The browser test drives Debian's Chromium with Playwright: installed here when missing,
# where that is possible (root and the package mirrors); otherwise the test says why it skips.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "note: Chromium is missing and cannot be installed here; the browser test will be skipped"

demo: venv
	$(VPY) -m cnnkit demo

bench: venv
	$(VPY) -m cnnkit bench

data: venv
	$(VPY) -m cnnkit data --profile ci

release: venv
	$(VPY) -m cnnkit build

catalogue: venv
	$(VPY) -m cnnkit catalogue

clean:
	rm -rf submitted autograded/*/ feedback gradebook.db outputs/*/ outputs/*.csv .cache

# The catalogue entries beyond each issue's minimum, and the 20-submission grading
# command test (CI runs this after `make test`).
test-extended: venv
	CNNKIT_TIER=extended $(VPY) -m pytest tests/test_catalogues.py tests/test_grade_command.py
