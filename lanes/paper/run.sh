#!/usr/bin/env bash
# The paper lane (docs/paper-lane.md): Chatterbox-TTS and the paper judges, for real, in an
# environment of their own. `make test-paper-lane` runs this; `.ci/run` calls it after the main
# suite. The virtual environment is rebuilt only when its key changes: the sha256 of the lock
# file and the Python version (so an unchanged lock reuses the environment on the same machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
VENV="${PAPER_LANE_VENV:-.venv-paper}"
LOCK=lanes/paper/lock.txt
key="$( (cat "$LOCK"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"

started=$SECONDS
if [[ -f "$VENV/.lane-key" && "$(cat "$VENV/.lane-key")" == "$key" ]]; then
  echo "paper lane: reusing $VENV (key $key)"
else
  echo "paper lane: building $VENV (key $key) from $LOCK"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  # --no-deps: the lock is the whole resolution (chatterbox-tts's pins included), nothing else
  "$VENV/bin/python" -m pip install --quiet --no-deps -r "$LOCK"
  echo "$key" > "$VENV/.lane-key"  # written last: a failed build is rebuilt next time
fi
# invbench itself, editable and without dependencies: the lock already holds what it requires
"$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m pip check  # every installed package's requirements, invbench's included
echo "paper lane: environment ready in $((SECONDS - started)) s"

tests_started=$SECONDS
"$VENV/bin/python" -m pytest -q -p no:cacheprovider lanes/paper/tests "$@"
echo "paper lane: tests took $((SECONDS - tests_started)) s, the lane $((SECONDS - started)) s"
