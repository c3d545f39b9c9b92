#!/usr/bin/env bash
# Run the whole test suite: creates .venv if needed, installs tiffin with its test
# extras, checks lint, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  echo "[test] creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
echo "[test] installing tiffin[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

echo "[test] ruff"
.venv/bin/ruff check src tests bench examples
.venv/bin/ruff format --check src tests bench examples

echo "[test] pytest"
exec .venv/bin/python -m pytest -q "$@"
