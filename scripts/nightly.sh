#!/usr/bin/env bash
# The nightly run: every shipped scenario in full as real node processes (partition-heal-7 also
# in network namespaces when run as root), every scenario through the deterministic simulator
# over many seeds, every fuzz target (scripts/fuzz.py, 1M inputs each), a 60-minute soak,
# baseline-4, byzantine-7 and churn-5 (kills, pauses, restarts, a disconnect) on Docker
# containers (scripts/docker_check.sh, when a daemon answers or we are root), then the slow
# tests (less the docker-marked one: the same check).
# Reports land in reports/nightly/<scenario>/. Takes about 4 to 5 hours on 2 cores (the fuzz
# targets that read files or speak HTTP are about 2 h of it). Exits non-zero if any run or test
# failed (it goes on with the others first, so one report shows everything).
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
bin=.venv/bin
out=reports/nightly
mkdir -p "$out"
failed=()
run() {
    local label=$1
    shift
    echo "== $label"
    if ! "$@"; then failed+=("$label"); fi
}
for manifest in configs/scenarios/*.toml; do
    name=$(basename "$manifest" .toml)
    case "$name" in sim-*) continue ;; esac  # simulate-only scenarios (too many nodes for 2 cores)
    run "$name (processes)" "$bin/deltachain" sim run "$manifest" --no-progress \
        --report "$out/$name"
done
if [ "$(id -u)" = 0 ]; then
    run "partition-heal-7 (netns)" "$bin/deltachain" sim run \
        configs/scenarios/partition-heal-7.toml --netns --no-progress \
        --report "$out/partition-heal-7-netns"
fi
for manifest in configs/scenarios/*.toml; do
    name=$(basename "$manifest" .toml)
    run "$name (simulate, 20 seeds)" "$bin/deltachain" sim run "$manifest" --simulate \
        --seeds 20 --no-progress --report "$out/$name-simulate"
done
for target in $("$bin/python" scripts/fuzz.py --list | cut -d' ' -f1); do
    run "fuzz $target (1,000,000 inputs)" "$bin/python" scripts/fuzz.py "$target" \
        --runs 1000000 --grow --artifacts "$out/fuzz"
done
run "soak (4 validators, 60 min)" "$bin/python" scripts/soak.py --minutes 60 \
    --out "$out/soak.json"
if [ "$(id -u)" = 0 ] || docker info >/dev/null 2>&1; then
    run "docker check (baseline-4, byzantine-7, churn-5 on containers)" \
        ./scripts/docker_check.sh baseline-4 byzantine-7 churn-5
fi
run "slow tests" "$bin/pytest" -m "slow and not docker" -p no:cacheprovider
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "nightly: every run passed"
