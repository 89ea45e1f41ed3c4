"""The bundle writer is deterministic; the reader refuses every kind of hostile archive."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile

import pytest

from ml.apps.bundle import BundleLimits, compute_app_hash, read_bundle, write_bundle
from ml.errors import BundleError

MANIFEST = b'name = "t"\nversion = "1"\nentry = "app.py"\n[config]\nlr = 0.1\n'
FILES = {"app.toml": MANIFEST, "app.py": b"def build_model(c): ...\n", "sub/net.py": b"X = 1\n"}


def make_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """(name, data, compress type, unix mode with file type bits) per member."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(out, "w") as archive:
            for name, data, compression, mode in members:
                info = zipfile.ZipInfo(name)
                info.compress_type = compression
                info.external_attr = mode << 16
                archive.writestr(info, data)
    return out.getvalue()


def regular(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    return (name, data, zipfile.ZIP_STORED, stat.S_IFREG | 0o644)


def base() -> list[tuple[str, bytes, int, int]]:
    return [regular("app.toml", MANIFEST), regular("app.py", b"pass\n")]


def test_bundle_same_files_give_same_bytes_in_any_order() -> None:
    first = write_bundle(FILES)
    second = write_bundle(dict(reversed(list(FILES.items()))))
    assert first == second
    bundle = read_bundle(first)
    assert dict(bundle.files) == FILES
    assert bundle.app_hash == compute_app_hash(first)
    assert bundle.manifest.name == "t" and bundle.manifest.config == {"lr": 0.1}


def test_bundle_members_have_fixed_time_and_mode() -> None:
    with zipfile.ZipFile(io.BytesIO(write_bundle(FILES))) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(FILES)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {stat.S_IFREG | 0o644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.py", "path traversal"),
        ("sub/../../evil.py", "path traversal"),
        ("/etc/evil.py", "absolute path"),
        ("C:/evil.py", "absolute path"),
        ("sub\\evil.py", "backslash"),
        ("sub//evil.py", "empty"),
    ],
)
def test_bundle_reader_refuses_unsafe_names(name: str, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        read_bundle(make_zip([*base(), regular(name, b"x")]))


def test_bundle_reader_refuses_symlinks() -> None:
    link = ("link.py", b"/etc/passwd", zipfile.ZIP_STORED, stat.S_IFLNK | 0o777)
    with pytest.raises(BundleError, match="symbolic link"):
        read_bundle(make_zip([*base(), link]))


def test_bundle_reader_refuses_duplicate_entries() -> None:
    with pytest.raises(BundleError, match="duplicate"):
        read_bundle(make_zip([*base(), regular("app.py", b"evil()\n")]))


def test_bundle_reader_refuses_oversized_members() -> None:
    limits = BundleLimits(max_member_bytes=1000)
    with pytest.raises(BundleError, match="oversized"):
        read_bundle(make_zip([*base(), regular("big.bin", bytes(2000))]), limits)


def test_bundle_reader_refuses_compression_bombs() -> None:
    bomb = ("bomb.bin", bytes(4 << 20), zipfile.ZIP_DEFLATED, stat.S_IFREG | 0o644)
    with pytest.raises(BundleError, match="compression bomb"):
        read_bundle(make_zip([*base(), bomb]))


def test_bundle_reader_refuses_too_many_members_and_total_size() -> None:
    many = [regular(f"f{i}.py", b"") for i in range(10)]
    with pytest.raises(BundleError, match="members"):
        read_bundle(make_zip([*base(), *many]), BundleLimits(max_members=5))
    big = [regular(f"f{i}.bin", bytes(600)) for i in range(3)]
    with pytest.raises(BundleError, match="in all"):
        read_bundle(make_zip([*base(), *big]), BundleLimits(max_total_bytes=1500))


def test_bundle_reader_refuses_directories_and_non_zip_bytes() -> None:
    folder = ("sub/", b"", zipfile.ZIP_STORED, stat.S_IFDIR | 0o755)
    with pytest.raises(BundleError, match="directory"):
        read_bundle(make_zip([*base(), folder]))
    with pytest.raises(BundleError, match="not a zip"):
        read_bundle(b"PK\x03\x04 garbage")
    with pytest.raises(BundleError, match="exceeds"):
        read_bundle(write_bundle(FILES), BundleLimits(max_bundle_bytes=100))


def test_bundle_reader_needs_manifest_and_entry() -> None:
    with pytest.raises(BundleError, match=r"no app\.toml"):
        read_bundle(make_zip([regular("app.py", b"")]))
    with pytest.raises(BundleError, match="entry file"):
        read_bundle(make_zip([regular("app.toml", MANIFEST)]))


def test_bundle_reader_refuses_corrupt_member_data() -> None:
    data = bytearray(write_bundle(FILES))
    at = data.index(b"X = 1")
    data[at] = ord("Y")  # the stored CRC no longer matches
    with pytest.raises(BundleError, match="corrupt"):
        read_bundle(bytes(data))
