# Two entry points for a fresh machine (README): `make evaluate` and `make test`.
# torch 2.13.0 is installed first so that the CPU build is used (see ../shared/ENVIRONMENT.md);
# torchvision is never installed by these targets.
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: install install-dev evaluate test test-paper-lane lint lint-imports benchmark

install:
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .

install-dev: install
	$(PIP) install --quiet -e ".[dev]"

# The main job: the default `mini` evaluation; writes the committed leaderboard CSV.
evaluate: install
	$(PYTHON) -m invbench.cli.main evaluate \
		--leaderboard asr=leaderboard/mini-asr.csv \
		--leaderboard captioner,generator=leaderboard/mini-image.csv \
		--leaderboard tts=leaderboard/mini-speech.csv

test: install-dev
	$(PYTHON) -m pytest -q -p no:cacheprovider

# The paper lane (docs/paper-lane.md): Chatterbox-TTS and the paper judges for real, in their own
# virtual environment (.venv-paper/, built from lanes/paper/lock.txt and reused while the lock is
# unchanged). Needs no `make install`: the lane installs invbench into its own environment.
test-paper-lane:
	PYTHON=$(PYTHON) bash lanes/paper/run.sh

# The one-way dependencies between invbench's packages ([tool.importlinter] in pyproject.toml),
# then ruff. Both come with the dev extra (install-dev, which `make test` runs); lint-imports reads
# the checkout's invbench/ (it puts the current folder first on the import path).
lint: lint-imports
	$(PYTHON) -m ruff check .

lint-imports:
	lint-imports

benchmark: install
	$(PYTHON) benchmarks/whisper_objective_speed.py
