"""The HTTP API against its own OpenAPI document (Schemathesis): for every operation, bounded
generated requests, positive and negative, on a real node over a real socket. No 5xx, every
response as documented, schema-valid requests accepted and schema-invalid ones refused.

Two routes take content whose validity no JSON Schema can state (a canonical, signed CBOR
transaction; bytes that must hash to the path's hash): for them the "schema-valid data is
accepted" check is left out, every other check still runs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.node.api.cluster import ServedNode

TOKEN = "conformance-token"
EXAMPLES = 25
CONTENT_CHECKED_BY_HASH_OR_SIGNATURE = {"POST /txs", "PUT /blobs/{hash}"}


@pytest.fixture(scope="module")
def served() -> Iterator[ServedNode]:
    with tempfile.TemporaryDirectory() as home, ServedNode(Path(home), token=TOKEN) as node:
        yield node


def list_operations(schema: OpenApiSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    operations = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise AssertionError(f"the OpenAPI document has an invalid operation: {result}")
        operations.append(result.ok())
    return operations


def operation_labels() -> list[str]:
    with tempfile.TemporaryDirectory() as home, ServedNode(Path(home)) as node:
        schema = schemathesis.openapi.from_url(f"{node.url}/openapi.json")
        return sorted(op.label for op in list_operations(schema))


@pytest.mark.parametrize("label", operation_labels())
def test_api_conforms_to_its_openapi_document(served: ServedNode, label: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    operation = next(op for op in list_operations(schema) if op.label == label)
    excluded = [positive_data_acceptance] if label in CONTENT_CHECKED_BY_HASH_OR_SIGNATURE else []

    @given(operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case[Any]) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=excluded, timeout=10
        )

    check()
