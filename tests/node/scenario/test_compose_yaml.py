"""The YAML emitter, judged by the reader docker-compose uses; helpers for the compose tests.

docker-compose is the tests' judge (its ``config`` validation and its YAML reader). The Debian
``docker-compose`` package (installed by scripts/setup.sh) is required: a missing one fails the
tests rather than skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from node.scenario.yamltext import YamlError, dump_yaml, quote

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = sorted((REPO / "configs" / "scenarios").glob("*.toml"))
_READ = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"


def docker_compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        pytest.fail("docker-compose is not installed; run scripts/setup.sh (apt docker-compose)")
    return path


def compose_python() -> str:
    """A Python with PyYAML: the one docker-compose 1.x runs on, else the system python3."""
    first = Path(docker_compose()).read_bytes()[:200].split(b"\n")[0].decode(errors="replace")
    candidates = [first[2:].strip().split()[0]] if first.startswith("#!") else []
    candidates += ["/usr/bin/python3", "python3"]
    for python in candidates:
        found = shutil.which(python)
        probe = [found or python, "-c", "import yaml"]
        if found and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return found
    pytest.fail("no Python with PyYAML (python3-yaml) to read compose files; run scripts/setup.sh")


def read_yaml(text: str) -> Any:
    done = subprocess.run(
        [compose_python(), "-c", _READ], input=text, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def compose_config(
    path: Path, *, quiet: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``docker-compose -f PATH config`` in the file's directory (its .env applies; ``env``
    overrides it, as the operator's shell would)."""
    keep = ("COMPOSE_", "DOCKER_", "DELTACHAIN_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)} | (env or {})
    args = [docker_compose(), "-f", str(path), "config"] + (["-q"] if quiet else [])
    return subprocess.run(
        args, cwd=path.parent, env=env, capture_output=True, text=True, timeout=60, check=False
    )


# --- the YAML emitter -----------------------------------------------------------------------


def test_dump_yaml_writes_block_and_flow_styles() -> None:
    data = {
        "services": {"a": {"command": ["start", "--home", "/h"], "init": True, "empty": {}}},
        "list": [{"subnet": "10.0.0.0/8", "count": 3, "n": 1}, [1, 2.5, None]],
        "none": [],
    }
    assert dump_yaml(data, comments=["top", ""]) == (
        "# top\n"
        "#\n"
        "services:\n"
        "  a:\n"
        '    command: ["start", "--home", "/h"]\n'
        "    init: true\n"
        "    empty: {}\n"
        "list:\n"
        '  - subnet: "10.0.0.0/8"\n'
        "    count: 3\n"
        '    "n": 1\n'
        "  - [1, 2.5, null]\n"
        "none: []\n"
    )


def test_dump_yaml_round_trips_through_compose_reader() -> None:
    tricky = ["no", "yes", "on", "null", "~", "8600:8545", "1.0", "0o17", "a: b", "- x", "#c",
              "quote \" and \\ back", "tab\there", "line\nbreak", "é ü ß", "雪", "emoji \U0001f600",
              "", " lead", "${VAR:-1}", "\x00\x07\x7f\x85\u2028"]  # fmt: skip
    data = {
        "strings": tricky,
        "keys": {k: i for i, k in enumerate(["no", "true", "Off", "a b", "x.y-z", "9lives", "é"])},
        "numbers": [0, -7, 10**20, 0.1, -2.5e-9, 1e300],
        "long": ["word"] * 40,
        "nested": [[["deep"]], [{"k": [{"j": None}]}]],
        "bools": [True, False],
    }
    assert read_yaml(dump_yaml(data, comments=["x # y"])) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({1: "x"}, "keys must be strings"),
        ({"f": float("nan")}, "cannot write the float"),
        ({"f": [float("inf")]}, "cannot write the float"),
        ({"s": "\ud800"}, "lone surrogate"),
        ({"b": b"bytes"}, "cannot write a bytes"),
        ({"o": object()}, "cannot write a object"),
    ],
)
def test_dump_yaml_rejects_what_it_cannot_write(data: dict[Any, Any], message: str) -> None:
    with pytest.raises(YamlError, match=message):
        dump_yaml(data)


def test_dump_yaml_rejects_multiline_comments() -> None:
    with pytest.raises(YamlError, match="one line"):
        dump_yaml({}, comments=["a\nb"])


def test_quote_escapes_all_but_printable_ascii() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("é\U0001f600\n") == '"\\u00e9\\U0001f600\\u000a"'
