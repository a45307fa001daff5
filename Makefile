# Quick start: `make demo` (the main job) and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench data release catalogue venv clean

venv: $(STAMP)

# pip takes torch==2.14.1 / torchvision==0.29.1 from the machine's wheel cache;
# every other pin comes from pyproject.toml.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "Python 3.11 is required (found %d.%d); set PYTHON=/path/to/python3.11" % v)'
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

test: $(STAMP)
	$(VPY) -m pytest

demo: $(STAMP)
	$(VPY) -m cnnkit demo

bench: $(STAMP)
	$(VPY) -m cnnkit bench

data: $(STAMP)
	$(VPY) -m cnnkit data --profile ci

release: $(STAMP)
	$(VPY) -m cnnkit build

catalogue: $(STAMP)
	$(VPY) -m cnnkit catalogue

clean:
	rm -rf submitted autograded/*/ feedback gradebook.db outputs/*/ outputs/*.csv .cache
