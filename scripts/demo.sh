#!/usr/bin/env bash
# The main job. Sets up the machine, then runs the consensus simulator on a 7-validator network.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/deltachain sim consensus --validators 7 --byzantine 2 --heights 100 --seeds 20 "$@"
