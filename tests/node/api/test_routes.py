"""The route table and its OpenAPI document, path matching, metrics text, error mapping."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.api.body import parse_hex, read_tx_bytes
from node.api.connection import ApiLimits
from node.api.errors import (
    ApiError,
    BadRequestError,
    MethodNotAllowedError,
    NotFoundError,
    UnprocessableError,
    UnsupportedMediaTypeError,
    make_error,
)
from node.api.metrics import MetricNameError, format_value, render_metrics
from node.api.openapi import build_openapi
from node.api.request import Request
from node.api.routes import ROUTES
from node.api.routing import Param, ParamKind, match_route, parse_param
from node.api.schemas import SCHEMAS
from node.errors import ConfigError

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$")


def test_routes_literal_segment_wins_over_parameter() -> None:
    route, params = match_route(ROUTES, "GET", "/blocks/latest")
    assert route.operation_id == "getLatestBlock" and params == {}
    route, params = match_route(ROUTES, "GET", "/blocks/17")
    assert route.operation_id == "getBlock" and params == {"height": 17}
    route, params = match_route(ROUTES, "GET", "/tasks/3/models/2/contributions")
    assert params == {"task_id": 3, "version": 2}


def test_routes_unknown_paths_wrong_methods_and_bad_values() -> None:
    with pytest.raises(NotFoundError):
        match_route(ROUTES, "GET", "/tasks/1/models/2")
    with pytest.raises(MethodNotAllowedError) as wrong:
        match_route(ROUTES, "PUT", "/txs")
    assert wrong.value.allowed == ("POST",) and wrong.value.status == 405
    with pytest.raises(BadRequestError, match="height"):
        match_route(ROUTES, "GET", "/blocks/+1")
    with pytest.raises(BadRequestError, match="32 bytes"):
        match_route(ROUTES, "GET", "/txs/00")


@given(st.text(max_size=30))
def test_routes_parameter_parsing_accepts_only_its_syntax(text: str) -> None:
    param = Param("n", ParamKind.INDEX, "")
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        assert parse_param(param, text) == int(text)
    else:
        with pytest.raises(BadRequestError):
            parse_param(param, text)


@given(st.binary(min_size=32, max_size=32))
def test_routes_hex_round_trips(value: bytes) -> None:
    assert parse_hex(value.hex(), "x", 32) == value
    assert parse_hex("0x" + value.hex().upper(), "x", 32) == value


def test_routes_tx_body_readers() -> None:
    cbor = Request("POST", "/txs", {"content-type": "application/cbor; q=1"}, b"\x01")
    assert read_tx_bytes(cbor) == b"\x01"
    as_json = Request("POST", "/txs", {"content-type": "application/json"}, b'{"tx":"0aff"}')
    assert read_tx_bytes(as_json) == b"\x0a\xff"
    for body in (b'{"tx":"0a","x":1}', b'["0a"]', b'{"tx":"0 a"}', b"\xff"):
        with pytest.raises(BadRequestError):
            read_tx_bytes(Request("POST", "/txs", {"content-type": "application/json"}, body))
    with pytest.raises(UnsupportedMediaTypeError):
        read_tx_bytes(Request("POST", "/txs", {}, b"\x01"))


def resolve_refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            found.add(node["$ref"].rsplit("/", 1)[1])
        for value in node.values():
            resolve_refs(value, found)
    elif isinstance(node, list):
        for value in node:
            resolve_refs(value, found)


def test_openapi_lists_every_route_with_its_parameters_and_schemas() -> None:
    document = build_openapi(ROUTES)
    assert document["openapi"].startswith("3.1")
    operations = [(path, method) for path, ops in document["paths"].items() for method in ops]
    assert sorted(operations) == sorted((r.template, r.method.lower()) for r in ROUTES)
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == len(ROUTES)
    for route in ROUTES:
        operation = document["paths"][route.template][route.method.lower()]
        declared = {p["name"] for p in operation["parameters"]}
        assert declared == set(re.findall(r"\{(\w+)\}", route.template))
        assert str(route.status) in operation["responses"] and "500" in operation["responses"]
    refs: set[str] = set()
    resolve_refs(document, refs)
    assert refs <= set(SCHEMAS) and "Error" in refs
    post = document["paths"]["/txs"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/cbor", "application/json"}
    assert {"bearer": []} in post["security"]


def test_metrics_text_parses_and_types_follow_the_name() -> None:
    text = render_metrics(
        {"b_total": 3, "a_gauge": 1.5, "c": float("nan"), "d": -math.inf, "e": 2.0**70}
    )
    lines = text.splitlines()
    assert text.endswith("\n")
    samples = [line for line in lines if not line.startswith("#")]
    matches = [SAMPLE.fullmatch(line) for line in samples]
    parsed = {m.group(1): m.group(2) for m in matches if m is not None}
    assert len(parsed) == len(samples) == 5
    assert parsed == {
        "a_gauge": "1.5",
        "b_total": "3",
        "c": "NaN",
        "d": "-Inf",
        "e": "1.1805916207174113e+21",
    }
    assert "# TYPE b_total counter" in lines and "# TYPE a_gauge gauge" in lines
    assert lines.index("# TYPE a_gauge gauge") == lines.index("a_gauge 1.5") - 1
    assert format_value(float("inf")) == "+Inf" and format_value(7.0) == "7"
    with pytest.raises(MetricNameError):
        render_metrics({"bad name": 1})


def test_limits_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_body_bytes"):
        ApiLimits(max_body_bytes=0)


def test_errors_map_statuses_to_subclasses() -> None:
    assert isinstance(make_error(422, "no"), UnprocessableError)
    odd = make_error(418, "teapot")
    assert type(odd) is ApiError and odd.status == 418 and str(odd) == "418: teapot"
