#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: system build packages, .venv at the repo root, pinned deps.
# Quick when nothing changed (a stamp keyed on pyproject.toml skips pip).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
command -v gcc >/dev/null 2>&1 || need_apt+=(build-essential)
[ -e /usr/include/gmp.h ] || ls /usr/include/*/gmp.h >/dev/null 2>&1 || need_apt+=(libgmp-dev)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
# The dashboard's browser test drives Debian's Chromium (Playwright never downloads a browser).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    log "installing system packages: ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" python3-dev >/dev/null
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            PY=$candidate; break
        fi
    done
fi
[ -n "$PY" ] || { echo "error: Python >= 3.11 is required" >&2; exit 3; }

if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $PY"
    "$PY" -m venv .venv
fi

stamp=.venv/.deltachain-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # torch first, from the exact pin, so nothing else pulls a CUDA build.
    if ! .venv/bin/python -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
        log "installing torch 2.13.0 (CPU)"
        .venv/bin/pip install -q torch==2.13.0
    fi
    log "installing deltachain and its pinned dependencies"
    .venv/bin/pip install -q -e ".[dev]" || { echo "error: pip install failed" >&2; exit 4; }
    .venv/bin/python -c 'import consensus, ml, node, torch, libp2p' || { echo "error: install failed" >&2; exit 4; }
    echo "$want" > "$stamp"
fi
