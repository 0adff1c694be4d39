"""`/openapi.json` documents every field of every JSON answer: each route declares a
response model, and the shapes clients parse keep their original key names."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.app import build
from services.gateway.shapes.enrichment import EnrichedPropertyRow
from services.gateway.shapes.properties import PropertySearch, PropertySummary
from services.gateway.shapes.records import PropertyRow
from shared.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build(Settings()).openapi()


def _json_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status in ("200", "202"):
        content = operation["responses"].get(status, {}).get("content", {})
        if "application/json" in content:
            return content["application/json"]["schema"]
    return None


def test_every_json_answer_has_a_declared_model(document: dict[str, Any]) -> None:
    untyped = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if (schema := _json_schema(operation)) is not None and "$ref" not in schema
    ]
    assert untyped == []


@pytest.mark.parametrize(
    ("path", "status", "model"),
    [
        ("/api/health/database", "503", "DatabaseProblem"),
        ("/api/health/system", "500", "SystemProblem"),
        ("/api/health/ready", "503", "NotReadyProblem"),
    ],
)
def test_health_error_answers_are_documented_as_problems(
    document: dict[str, Any], path: str, status: str, model: str
) -> None:
    answer = document["paths"][path]["get"]["responses"][status]
    schema = answer["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model}"}
    detail = document["components"]["schemas"][model]["properties"]["detail"]
    failure = document["components"]["schemas"][detail["$ref"].rsplit("/", 1)[1]]
    assert {"status", "error", "timestamp"} <= set(failure["required"])


def test_keys_that_are_not_identifiers_keep_their_original_spelling(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["FunnelStages"]["properties"]) == {
        "1_scraped",
        "2_processing",
        "3_enriched",
        "4_scored",
        "5_documented",
    }
    assert set(schemas["ScoreDistribution"]["properties"]) == {
        "0-20",
        "20-40",
        "40-60",
        "60-80",
        "80-100",
    }


def test_one_property_row_model_serves_every_property_list() -> None:
    assert issubclass(EnrichedPropertyRow, PropertyRow)
    assert issubclass(PropertySummary, PropertyRow)


def test_the_property_search_documents_every_filter_with_its_bounds(
    document: dict[str, Any],
) -> None:
    """The filters and the page are read in one validation (`deps.QueryModel`), not by
    FastAPI: their documentation is made from the model and must still name each, with its
    schema, in the model's order."""
    listed = document["paths"]["/api/properties"]["get"]["parameters"]
    parameters = {parameter["name"]: parameter for parameter in listed}
    assert list(parameters) == list(PropertySearch.model_fields)
    assert list(parameters)[-4:] == ["sort", "limit", "offset", "format"]
    min_beds = parameters["min_beds"]
    assert (min_beds["in"], min_beds["required"]) == ("query", False)
    assert {"type": "integer", "maximum": 1000, "minimum": 0} in min_beds["schema"]["anyOf"]
    assert parameters["city"]["description"] == "any letter case"
