"""The image of a Docker run: reused when the daemon has it, else built from the source tree."""

from __future__ import annotations

import logging
from pathlib import Path

from node.scenario.docker_cli import DockerError, has_image, run_docker

logger = logging.getLogger(__name__)

SOURCE_ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 3600.0


def ensure_image(image: str, source_root: Path = SOURCE_ROOT) -> None:
    """Make sure the daemon has ``image``: build it from ``source_root`` (a checkout) if not."""
    if has_image(image):
        logger.info("reusing image=%s", image)
        return
    if not (source_root / "Dockerfile").is_file():
        raise DockerError(f"no image {image!r} and no Dockerfile to build it from; build it first")
    logger.warning("building image=%s from %s (minutes)", image, source_root)
    run_docker(["docker", "build", "-t", image, str(source_root)], timeout_s=BUILD_TIMEOUT_S)
