#!/usr/bin/env bash
# The main job: set up the machine, create a 4-validator local testnet on the digits data, run it
# until the global model reaches 95% test accuracy, print the summary and stop every node.
# Extra arguments go to `deltachain testnet up` (e.g. --timeout 900).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
dir=$(mktemp -d "${TMPDIR:-/tmp}/deltachain-testnet.XXXXXX")
trap 'rm -rf "$dir"' EXIT
.venv/bin/deltachain testnet create --out "$dir/net" --validators 4
mkdir -p reports
.venv/bin/deltachain testnet up "$dir/net" --until-accuracy 0.95 --report reports/demo-summary.json "$@"
