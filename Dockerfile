# Deltachain node image. Build: docker build -t deltachain:latest .
# Run one node: docker run -v "$PWD/home:/home/deltachain/node" deltachain:latest \
#   start --home /home/deltachain/node      (see docs/operators.md and docker-compose.yml)
#
# Build arguments (the defaults are right on the internet):
#   BASE_IMAGE       a Debian-based image with python3 (3.11+) and python3 -m venv
#   TORCH_INDEX_URL  the package index torch 2.13.0 comes from (CPU builds: no CUDA in the image)
#   PIP_FIND_LINKS   extra wheel folders or pages pip may take packages from (empty: none)
ARG BASE_IMAGE=python:3.11-slim

# --- builder: a compiler, GMP headers, and one virtual environment with everything in it ------
FROM ${BASE_IMAGE} AS builder
# fastecdsa (a py-libp2p dependency) builds against GMP (and Python's headers, which a Debian
# python3 base lacks: python3-dev then).
RUN headers="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
    && dev="$(test -f "$headers/Python.h" || echo python3-dev)" \
    && apt-get update \
    && apt-get install -y --no-install-recommends build-essential libgmp-dev $dev \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/deltachain/bin:$PATH
RUN python3 -m venv /opt/deltachain && pip install --upgrade pip
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG PIP_FIND_LINKS=
# torch first, from its index, so that nothing pulls a CUDA build; refuse one if it came anyway.
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0 \
    && python -c "import sys, torch; sys.exit(f'CUDA build: {torch.__version__}' if torch.version.cuda else 0)"
WORKDIR /src
COPY pyproject.toml README.md ./
# The dependencies alone first: a change to the source rebuilds only the layer below.
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY consensus ./consensus
COPY ml ./ml
COPY node ./node
COPY configs ./configs
# A normal install (not editable): wheels are built here, the chain presets and scenario
# manifests travel inside the package (node/configs), and /src is not needed afterwards.
RUN pip install . && deltachain --help >/dev/null
# What no node runs: torch's C++ headers, test binaries and tools (torch_shm_manager stays),
# the test suites that numpy, scipy, scikit-learn and others ship (about 300 MB), and pyarrow's
# Arrow Flight RPC, S3 file system, C++ tests and headers (about 55 MB; Parquet files are read
# from the node's own disk).
RUN site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && rm -rf "$site/torch/include" "$site/torch/test" "$site/pyarrow/include" \
    && find "$site/torch/bin" -type f ! -name torch_shm_manager -delete \
    && find "$site" -depth -type d -name tests -prune -exec rm -rf {} + \
    && rm -f "$site"/pyarrow/libarrow_flight.so* "$site"/pyarrow/libarrow_python_flight.so* \
        "$site"/pyarrow/_flight.*.so "$site"/pyarrow/libarrow_s3.so* "$site"/pyarrow/_s3fs.*.so \
        "$site"/pyarrow/_pyarrow_cpp_tests.*.so \
    && python -c "import torch, scipy, sklearn.linear_model, libp2p, node.cli.main" \
    && python -c "import pyarrow.parquet, pyarrow.compute, ml.data.parquet" \
    && deltachain sim compose baseline-4 --out /tmp/smoke >/dev/null && rm -rf /tmp/smoke

# --- the image: the runtime GMP library and the virtual environment, no compiler -------------
FROM ${BASE_IMAGE}
RUN dpkg -s libgmp10 >/dev/null 2>&1 || { apt-get update \
    && apt-get install -y --no-install-recommends libgmp10 && rm -rf /var/lib/apt/lists/*; }
COPY --from=builder /opt/deltachain /opt/deltachain
ENV PATH=/opt/deltachain/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

RUN useradd --create-home --uid 1000 --user-group --shell /usr/sbin/nologin deltachain \
    && mkdir -p /cluster /home/deltachain/node \
    && chown deltachain:deltachain /cluster /home/deltachain/node
# Numeric, so that runtimes which refuse root (runAsNonRoot) can see it is not uid 0.
USER 1000:1000
WORKDIR /home/deltachain

# p2p and HTTP API ports of `deltachain init` and of the compose clusters.
EXPOSE 26656 8545
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('DELTACHAIN_STATUS_URL', 'http://127.0.0.1:8545/status'), timeout=4)"]

ENTRYPOINT ["deltachain"]
CMD ["--help"]
