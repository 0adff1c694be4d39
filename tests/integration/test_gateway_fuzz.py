"""Property-based fuzzing of the gateway over its own OpenAPI document: every read
operation, with path and query parameters drawn from their declared types and from the
edges around them (integers past PostgreSQL's range, NaN, NUL characters, unknown enum
values), answers 2xx or 4xx, never 5xx. Bounded: a fixed number of examples, in process."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.stack

EXAMPLES = 400
SLOW_PATHS = {"/api/health/system", "/api/health/comprehensive"}
EDGE_INTEGERS = (0, -1, 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30)
EDGE_TEXTS = ("", " ", "\x00", "a\x00b", "'; DROP TABLE x; --", "%", "é" * 300, "1e309")


def _values(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Text forms of what a parameter's schema accepts, and of what lies just outside."""
    kinds = [schema, *schema.get("anyOf", [])]
    choices: list[st.SearchStrategy[Any]] = [st.sampled_from(EDGE_TEXTS), st.text(max_size=40)]
    for kind in kinds:
        if "enum" in kind:
            choices.append(st.sampled_from(kind["enum"]))
        if kind.get("type") == "integer":
            choices += [st.integers(), st.sampled_from(EDGE_INTEGERS)]
        if kind.get("type") == "number":
            choices += [st.floats(allow_nan=True, allow_infinity=True), st.integers(-200, 200)]
    return st.one_of(choices).map(str)


def read_operations(document: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (path, operation["get"].get("parameters", []))
        for path, operation in document["paths"].items()
        if "get" in operation and path not in SLOW_PATHS
    ]


@st.composite
def requests(draw: st.DrawFn, operations: list[tuple[str, list[dict[str, Any]]]]) -> tuple:
    path, parameters = draw(st.sampled_from(operations))
    query: dict[str, str] = {}
    for parameter in parameters:
        value = draw(_values(parameter.get("schema", {})))
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(value, safe="") or "x")
        elif parameter["in"] == "query" and draw(st.booleans()):
            query[parameter["name"]] = value
    return re.sub(r"\{[^}]+\}", "1", path), query


async def test_no_read_operation_answers_5xx(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = read_operations(document)
    assert len(operations) >= 30
    failures: list[str] = []
    seen: list[tuple[str, dict[str, str]]] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(operations))
    def collect(request: tuple[str, dict[str, str]]) -> None:
        seen.append(request)

    collect()
    for path, query in seen:
        response = await client.get(path, params=query)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} GET {path} {query}: {response.text[:200]}")
    assert not failures, "\n".join(sorted(set(failures)))
