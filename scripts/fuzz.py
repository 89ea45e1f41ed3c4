"""Coverage-guided fuzzing (Atheris) of every decoder that reads bytes from outside the node.

    .venv/bin/python scripts/fuzz.py --list
    .venv/bin/python scripts/fuzz.py wire --runs 1000000 [--grow] [--json OUT]

Inputs start from the kept corpus in ``tests/fuzz/corpus/TARGET/``; ``--grow`` adds the new
inputs that reach new code to it (the nightly run does), otherwise they go to a temporary
directory. A crash (an exception the decoder does not document, or a hang) stops the run with
exit code 1 and leaves the input in ``crash-*`` under ``--artifacts`` (default ``reports/fuzz``):
turn it into a regression test in ``tests/fuzz/regressions/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPUS = REPO / "tests" / "fuzz" / "corpus"
INSTRUMENTED = ["consensus", "ml", "node", "cbor2", "h11", "tomllib", "multiaddr"]
"""Packages whose code coverage guides the fuzzer."""


def write_seeds() -> int:
    import hashlib

    from tests.fuzz.seeds import compute_seeds

    for name, inputs in compute_seeds().items():
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for data in inputs:
            (folder / f"seed-{hashlib.sha1(data).hexdigest()[:16]}").write_bytes(data)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?")
    parser.add_argument("--list", action="store_true", help="name the targets and exit")
    parser.add_argument("--runs", type=int, default=10_000, help="inputs to try (default 10000)")
    parser.add_argument("--grow", action="store_true", help="keep new inputs in the corpus")
    parser.add_argument("--artifacts", type=Path, default=REPO / "reports" / "fuzz")
    parser.add_argument("--max-len", type=int, default=4096, help="longest input in bytes")
    parser.add_argument("--write-seeds", action="store_true", help="(re)write the seed inputs")
    args = parser.parse_args(argv)
    if args.write_seeds:
        return write_seeds()
    import atheris

    with atheris.instrument_imports(include=INSTRUMENTED):
        from tests.fuzz.targets import TARGETS
    if args.list:
        for target in TARGETS.values():
            print(f"{target.name:10} {target.what}")
        return 0
    if args.target not in TARGETS:
        parser.error(f"unknown target {args.target!r}; choose one of {', '.join(TARGETS)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return run(args, TARGETS[args.target], atheris)


def run(args: argparse.Namespace, target: object, atheris: object) -> int:
    from tests.fuzz.targets import Target

    assert isinstance(target, Target)
    kept = CORPUS / target.name
    kept.mkdir(parents=True, exist_ok=True)
    args.artifacts.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f"fuzz-{target.name}-")
    dirs = [str(kept)] if args.grow else [scratch, str(kept)]

    def one_input(data: bytes) -> None:
        try:
            target.run(data)
        except target.expected:
            return

    started = time.monotonic()
    flags = [
        f"-runs={args.runs}",
        f"-max_len={args.max_len}",
        f"-artifact_prefix={args.artifacts}/{target.name}-",
        "-timeout=10",
        "-print_final_stats=1",
    ]
    atheris.Setup([sys.argv[0], *flags, *dirs], one_input)  # type: ignore[attr-defined]
    print(json.dumps({"target": target.name, "runs": args.runs}), file=sys.stderr)
    try:
        atheris.Fuzz()  # type: ignore[attr-defined]  # exits the process when it ends
    finally:
        elapsed = time.monotonic() - started
        print(f"fuzz target={target.name} seconds={elapsed:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
