#!/usr/bin/env bash
# The whole default suite: lint, format, types, import layering, tests. Sets up the machine first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check . && ruff format --check .
echo "== mypy"; mypy
echo "== import layering"; lint-imports
echo "== pytest"; pytest "$@"
