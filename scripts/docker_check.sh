#!/usr/bin/env bash
# The Docker check: build the image from this checkout, run scenarios on containers with
# `deltachain sim run MANIFEST --docker --short`, and leave nothing behind.
#
#   scripts/docker_check.sh [SCENARIO ...]      (default: baseline-4; e.g. baseline-4 byzantine-7)
#   COMPOSE=v2 scripts/docker_check.sh ...       (the same with Compose v2, `docker compose`)
#
# It starts dockerd when none answers (as root), and works on a machine without Docker Hub or
# the PyTorch index: when python:3.11-slim cannot be pulled it makes a Debian bookworm base with
# debootstrap (with this host's locally added CA certificates, for a TLS-intercepting proxy), and
# when the PyTorch CPU index cannot be reached it serves a local torch 2.13.0 CPU wheel folder on
# loopback (TORCH_WHEEL_DIR, else the first folder of `pip config`'s find-links holding one).
# With COMPOSE=v2 and no `docker compose` plugin, it takes Debian trixie's Compose v2 package
# (signature of the release file checked with the Debian archive keyring, then the hashes of
# the package index and the package) and puts the plugin in a private DOCKER_CONFIG for the run.
# These stand-ins live here only: the Dockerfile's defaults are the ones for the internet.
# Reports land in reports/docker-check/<scenario>/. Exit 0 when every run passed and no
# container, network or volume of a run is left.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
image=${DELTACHAIN_CHECK_IMAGE:-deltachain:latest}
base=deltachain-test-base:bookworm
scenarios=("${@:-baseline-4}")
started=$(date +%s)
server_pid=""
compose_dir=""
shares_file=/sys/fs/cgroup/cpu/docker/cpu.shares
shares_before=""
cleanup() {
    if [ -n "$compose_dir" ]; then rm -rf "$compose_dir"; fi
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    if [ -n "$shares_before" ]; then echo "$shares_before" >"$shares_file" || true; fi
}
trap cleanup EXIT
log() { echo "== docker_check: $*"; }

start_dockerd() {
    docker info >/dev/null 2>&1 && return
    log "starting dockerd (log: /tmp/deltachain-dockerd.log)"
    dockerd >/tmp/deltachain-dockerd.log 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && return; sleep 1; done
    echo "dockerd did not come up; see /tmp/deltachain-dockerd.log" >&2
    exit 2
}

make_base() {  # a Debian bookworm base image from Debian's packages (no registry needed)
    docker image inspect "$base" >/dev/null 2>&1 && return
    command -v debootstrap >/dev/null || apt-get install -y debootstrap >/dev/null
    local root
    root=$(mktemp -d /tmp/deltachain-rootfs.XXXXXX)
    log "making $base with debootstrap (a minute or two)"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,libgmp10 \
        bookworm "$root" http://deb.debian.org/debian >/dev/null
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" \
        2>/dev/null || true
    chroot "$root" update-ca-certificates >/dev/null
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["bash"]' \
        - "$base" >/dev/null
    rm -rf "$root"
}

torch_folder() {  # a folder holding the torch 2.13.0 CPU wheel
    local dirs=("${TORCH_WHEEL_DIR:-}")
    read -r -a found <<<"$(pip config get global.find-links 2>/dev/null || true)"
    dirs+=("${found[@]}" /opt/wheels)
    for dir in "${dirs[@]}"; do
        [ -n "$dir" ] && compgen -G "$dir/torch-2.13.0+cpu-*.whl" >/dev/null && echo "$dir" && return
    done
    return 1
}

build_image() {
    local args=(--network host -t "$image")
    if ! docker image inspect python:3.11-slim >/dev/null 2>&1 \
        && ! timeout 60 docker pull python:3.11-slim >/dev/null 2>&1; then
        make_base
        args+=(--build-arg "BASE_IMAGE=$base")
    fi
    if ! curl -sf -m 10 -o /dev/null https://download.pytorch.org/whl/cpu/torch/; then
        local folder port=18765
        folder=$(torch_folder) || { echo "no PyTorch index and no local torch wheel" >&2; exit 2; }
        python3 -m http.server "$port" --bind 127.0.0.1 --directory "$folder" >/dev/null 2>&1 &
        server_pid=$!
        sleep 1
        log "torch from $folder (served on 127.0.0.1:$port)"
        args+=(--build-arg "TORCH_INDEX_URL=https://pypi.org/simple")
        args+=(--build-arg "PIP_FIND_LINKS=http://127.0.0.1:$port/")
    fi
    docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
    log "building $image"
    docker build "${args[@]}" . >/tmp/deltachain-docker-build.log 2>&1 \
        || { tail -30 /tmp/deltachain-docker-build.log >&2; exit 1; }
    log "image $image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.2f GB", $1/1e9}')"
}

compose_v2() {  # `docker compose` for this run only, from Debian trixie's verified package
    docker compose version >/dev/null 2>&1 && return
    local dir mirror=http://deb.debian.org/debian keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    dir=$(mktemp -d /tmp/deltachain-compose.XXXXXX)
    compose_dir=$dir
    curl -sSf "$mirror/dists/trixie/InRelease" -o "$dir/InRelease"
    gpgv --keyring "$keyring" "$dir/InRelease" 2>/dev/null || { echo "bad trixie InRelease" >&2; exit 2; }
    curl -sSf "$mirror/dists/trixie/main/binary-amd64/Packages.xz" -o "$dir/Packages.xz"
    local want_index got_index
    want_index=$(awk 'length($1) == 64 && $3 == "main/binary-amd64/Packages.xz" {print $1}' "$dir/InRelease")
    got_index=$(sha256sum "$dir/Packages.xz" | cut -d' ' -f1)
    [ -n "$want_index" ] && [ "$want_index" = "$got_index" ] || { echo "bad package index" >&2; exit 2; }
    local entry file sum
    entry=$(xz -dc "$dir/Packages.xz" | awk '/^Package: docker-compose$/,/^$/')
    file=$(awk '/^Filename:/ {print $2}' <<<"$entry")
    sum=$(awk '/^SHA256:/ {print $2}' <<<"$entry")
    curl -sSf "$mirror/$file" -o "$dir/compose.deb"
    echo "$sum  $dir/compose.deb" | sha256sum -c --quiet - || { echo "bad compose package" >&2; exit 2; }
    dpkg-deb -x "$dir/compose.deb" "$dir/root"
    mkdir -p "$dir/config/cli-plugins"
    cp "$dir/root/usr/libexec/docker/cli-plugins/docker-compose" "$dir/config/cli-plugins/"
    export DOCKER_CONFIG="$dir/config"
    log "compose for this run: $(docker compose version) (from $file)"
}

leftovers() {
    for kind in "ps -a" "network ls" "volume ls"; do
        # shellcheck disable=SC2086
        docker $kind --filter label=com.docker.compose.project --format '{{.Label "com.docker.compose.project"}}' \
            | grep '^dcrun' || true
    done
}

weigh_containers() {
    # cgroup v1 with the cgroupfs driver puts every container under one `docker` cgroup whose
    # CPU weight (1024) equals ONE host process's: on a shared, saturated machine the nodes then
    # get a fraction of what the same nodes as host processes get (4 nodes: ~5% CPU each, 0.1
    # blocks/s, no model version in 90 s). For the run, give that cgroup the weight of the
    # processes it holds (a node and its training worker per node); restored on exit.
    [ -w "$shares_file" ] || return 0
    shares_before=$(cat "$shares_file")
    echo $((1024 * 2 * 10)) >"$shares_file"
}

start_dockerd
if [ "${COMPOSE:-}" = v2 ]; then compose_v2; fi
build_image
weigh_containers
failed=()
for name in "${scenarios[@]}"; do
    log "sim run $name --docker --short"
    if ! "$bin/deltachain" sim run "configs/scenarios/$name.toml" --docker --docker-image "$image" \
        --short --no-progress --report "reports/docker-check/$name"; then
        failed+=("$name")
    fi
done
left=$(leftovers)
if [ -n "$left" ]; then
    echo "left behind by the runs: $left" >&2
    failed+=("cleanup")
fi
log "took $(($(date +%s) - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
log "every run passed, nothing left behind"
