"""Fuzzing in the default suite: the kept corpus and every past crash replay through each
decoder, and a short coverage-guided Atheris session per target finds nothing new.

The long runs (a million inputs per target) are in ``scripts/nightly.sh``."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from consensus.errors import DecodeError
from tests.fuzz.targets import TARGETS, Target

HERE = Path(__file__).parent
REPO = HERE.parents[1]
SHORT_RUNS = {"http": 300, "config": 500, "genesis": 500}


def replay(target: Target, data: bytes) -> None:
    try:
        target.run(data)
    except target.expected:
        return


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_corpus_replays_without_a_crash(name: str) -> None:
    inputs = sorted((HERE / "corpus" / name).iterdir())
    assert inputs, f"no corpus for {name}"
    for path in inputs:
        replay(TARGETS[name], path.read_bytes())


def test_fuzz_past_crashes_are_clear_errors_now() -> None:
    crashes = sorted((HERE / "regressions").iterdir())
    assert crashes
    for path in crashes:
        target = TARGETS[path.name.split("-", 1)[0]]
        replay(target, path.read_bytes())


def test_fuzz_genesis_with_out_of_range_params_is_a_config_error() -> None:
    """Found by the fuzzer: a genesis whose parameters fail their own range checks raised
    InvalidParamsError out of the decoder (a traceback at start) instead of DecodeError."""
    data = (HERE / "regressions" / "genesis-invalid-params").read_bytes()
    from node.errors import ConfigError

    with pytest.raises(ConfigError, match="is malformed: invalid ChainParams"):
        TARGETS["genesis"].run(data)


def test_fuzz_lists_every_target() -> None:
    listed = subprocess.run(
        [sys.executable, "scripts/fuzz.py", "--list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert set(TARGETS) <= set(listed)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_short_session_finds_no_crash(name: str, tmp_path: Path) -> None:
    runs = SHORT_RUNS.get(name, 2_000)
    done = subprocess.run(
        [
            sys.executable,
            "scripts/fuzz.py",
            name,
            "--runs",
            str(runs),
            "--artifacts",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    tail = "\n".join(done.stderr.splitlines()[-15:])
    assert done.returncode == 0, f"fuzz target {name} crashed:\n{tail}"
    assert f"Done {runs} runs" in done.stderr
    assert not list(tmp_path.iterdir()), "a crash input was written"


@pytest.mark.parametrize("name", ["wire-nested-map-keys-stall", "gossip-nested-map-keys-stall"])
def test_fuzz_nested_map_keys_are_refused_at_once(name: str) -> None:
    """Found by the fuzzer: maps nested as map keys made the canonical re-encoding exponential
    (a 110-byte gossip message held a node's event loop for hours). Now one DecodeError."""
    data = (HERE / "regressions" / name).read_bytes()
    target = TARGETS[name.split("-", 1)[0]]
    signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(10)
    try:
        with pytest.raises(DecodeError, match="map key of type frozendict is not a scalar"):
            target.run(data)
    finally:
        signal.alarm(0)


def _too_slow(signum: int, frame: object) -> None:
    raise AssertionError("decoding took over 10 s")
