# Deltachain node image. Build: docker build -t deltachain:latest .
# Run one node: docker run -v "$PWD/home:/home/deltachain/node" deltachain:latest \
#   start --home /home/deltachain/node      (see docs/operators.md and docker-compose.yml)
FROM python:3.11-slim

# fastecdsa (a py-libp2p dependency) builds against GMP.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libgmp-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1

# torch first, from the CPU index, so that nothing pulls a CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /app
COPY pyproject.toml README.md ./
COPY consensus ./consensus
COPY ml ./ml
COPY node ./node
COPY configs ./configs
# Installed from /app in place (-e): chain presets and scenario manifests are read from
# configs/ next to the packages, as in a source checkout.
RUN pip install -e .

RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin deltachain \
    && mkdir -p /cluster /home/deltachain/node \
    && chown deltachain:deltachain /cluster /home/deltachain/node
USER deltachain

# p2p and HTTP API ports of `deltachain init` and of the compose clusters.
EXPOSE 26656 8545
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('DELTACHAIN_STATUS_URL', 'http://127.0.0.1:8545/status'), timeout=4)"]

ENTRYPOINT ["deltachain"]
CMD ["--help"]
