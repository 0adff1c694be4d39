"""Property search, one home's page and its packets through the gateway, on the running
stack. Other tests write properties too, so every home here lives in a city of its own."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from shared.db.tables import documents, properties, property_scores
from shared.settings import Settings
from shared.storage import ObjectStore

pytestmark = pytest.mark.stack

HOMES = (
    # price, beds, sqft, type, score, cap rate, distress
    (300_000.0, 2, 900, "condo", 80.0, 7.5, ["tax_delinquent"]),
    (450_000.0, 3, 1600, "single_family", 65.0, 5.0, []),
    (700_000.0, 4, 2500, "single_family", 40.0, 3.2, []),
)


@pytest.fixture
async def city(engine: Any, settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """Three homes in a city of this test's own, each scored twice, the first with a packet."""
    name = f"Testville {uuid.uuid4().hex[:8]}"
    ids = []
    store = ObjectStore(settings)
    async with engine.begin() as connection:
        for number, (price, beds, sqft, kind, score, cap, distress) in enumerate(HOMES):
            property_id = (
                await connection.execute(
                    sa.insert(properties)
                    .values(
                        property_key=f"test:{uuid.uuid4().hex}",
                        address=f"{number + 1} MAIN ST, {name}, WA 98001",
                        city=name,
                        state="WA",
                        zip_code="98001",
                        property_type=kind,
                        listing_type="for_sale",
                        bedrooms=beds,
                        bathrooms=2.0,
                        sqft=sqft,
                        year_built=1990 + number,
                        price=price,
                        enrichment_sources=[{"name": "test-src", "kind": "listing"}],
                    )
                    .returning(properties.c.id)
                )
            ).scalar_one()
            ids.append(property_id)
            for version, overall in (("old", score - 10), ("new", score)):
                await connection.execute(
                    sa.insert(property_scores).values(
                        property_id=property_id,
                        overall_score=overall,
                        investment_score=overall,
                        risk_score=30.0,
                        roi_estimate=cap,
                        cap_rate=cap if version == "new" else 1.0,
                        estimated_value=price * 1.1,
                        value_low=price,
                        value_high=price * 1.2,
                        monthly_rent_estimate=2000.0,
                        model_version=f"test-{version}",
                        input_hash=uuid.uuid4().hex,
                        features_used={"distress_signals": distress},
                        comparables=[{"price": price, "sale_date": "2025-01-02", "sqft": sqft}],
                        score_components={
                            "overall": {"score": overall, "components": []},
                            "valuation": {
                                "model_version": f"test-{version}",
                                "as_of": "2026-01-01",
                            },
                            "returns": {"cap_rate_percent": cap, "irr_percent": 9.0},
                        },
                    )
                )
        pdf = b"%PDF-1.7 test packet " + name.encode()
        key = f"test-packets/{ids[0]}/{uuid.uuid4().hex}.pdf"
        uri = await store.aput(key, pdf, "application/pdf")
        await connection.execute(
            sa.insert(documents).values(
                property_id=ids[0],
                storage_uri=uri,
                size_bytes=len(pdf),
                sha256="0" * 64,
                template_version="test",
            )
        )
    yield {"name": name, "ids": ids, "pdf": pdf}
    async with engine.begin() as connection:
        await connection.execute(sa.delete(properties).where(properties.c.id.in_(ids)))


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/properties", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_filters_on_facts_score_cap_rate_and_distress(
    client: httpx.AsyncClient, city: dict[str, Any]
) -> None:
    ids, name = city["ids"], city["name"]
    everything = await search(client, city=name.lower())
    assert everything["total"] == 3
    assert {home["id"] for home in everything["data"]} == set(ids)
    assert (await search(client, city=name, min_beds=3, max_price=500_000))["total"] == 1
    assert (await search(client, city=name, property_type="condo"))["data"][0]["id"] == ids[0]
    assert (await search(client, city=name, min_score=60))["total"] == 2
    assert (await search(client, city=name, min_cap_rate=4.5))["total"] == 2
    distressed = await search(client, city=name, distress="any")
    assert [home["id"] for home in distressed["data"]] == [ids[0]]
    assert distressed["data"][0]["distress_signals"] == ["tax_delinquent"]
    assert (await search(client, city=name, distress="tax_delinquent"))["total"] == 1
    assert (await search(client, city=name, source="test-src", status="for_sale"))["total"] == 3
    assert (await search(client, city=name, source="elsewhere"))["total"] == 0


async def test_search_sorts_and_pages_with_a_total(
    client: httpx.AsyncClient, city: dict[str, Any]
) -> None:
    ids, name = city["ids"], city["name"]
    best = await search(client, city=name, sort="-score")
    assert [home["id"] for home in best["data"]] == ids
    assert best["data"][0]["overall_score"] == 80.0
    assert best["data"][0]["model_version"] == "test-new"
    cheapest_last = await search(client, city=name, sort="-price", limit=2, offset=1)
    assert cheapest_last["total"] == 3
    assert [home["id"] for home in cheapest_last["data"]] == [ids[1], ids[0]]
    bad = await client.get("/api/properties", params={"min_price": 5, "max_price": 1})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_an_invalid_filter_is_a_422_naming_each_bad_parameter(
    client: httpx.AsyncClient,
) -> None:
    bad = await client.get(
        "/api/properties",
        params={"min_beds": "three", "zip_code": "981", "city": "Kent", "limit": 0},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    errors = bad.json()["errors"]
    assert [error["loc"] for error in errors] == [
        ["query", "min_beds"],
        ["query", "zip_code"],
        ["query", "limit"],
    ]
    assert "query.min_beds" in bad.json()["detail"]


async def test_score_sorts_list_the_homes_without_a_score_last_and_page_across_them(
    client: httpx.AsyncClient, engine: Any, city: dict[str, Any]
) -> None:
    ids, name = list(city["ids"]), city["name"]
    async with engine.begin() as connection:
        unscored = (
            await connection.execute(
                sa.insert(properties)
                .values(property_key=f"test:{uuid.uuid4().hex}", address="9 MAIN ST", city=name)
                .returning(properties.c.id)
            )
        ).scalar_one()
    city["ids"].append(unscored)  # deleted with the others
    for sort, scored in (("-score", ids), ("score", ids[::-1]), ("-cap_rate", ids)):
        listed = await search(client, city=name, sort=sort)
        assert [home["id"] for home in listed["data"]] == [*scored, unscored], sort
        assert listed["total"] == 4
    across = await search(client, city=name, sort="-score", limit=2, offset=2)
    assert [home["id"] for home in across["data"]] == [ids[2], unscored]
    past = await search(client, city=name, sort="-score", limit=2, offset=3)
    assert [home["id"] for home in past["data"]] == [unscored]
    assert past["data"][0]["overall_score"] is None
    exported = await client.get(
        "/api/properties", params={"city": name, "sort": "-score", "format": "csv"}
    )
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(exported.text))] == [
        *ids,
        unscored,
    ]


async def test_csv_export_equals_the_json_result(
    client: httpx.AsyncClient, city: dict[str, Any]
) -> None:
    params = {"city": city["name"], "sort": "-score"}
    data = (await search(client, **params))["data"]
    exported = await client.get("/api/properties", params={**params, "format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["x-total-count"] == "3"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(row["id"]) for row in rows] == [home["id"] for home in data]
    for row, home in zip(rows, data, strict=True):
        assert float(row["estimated_value"]) == home["estimated_value"]
        assert float(row["cap_rate"]) == home["cap_rate"]
        assert row["distress_signals"] == ";".join(home["distress_signals"])
        assert row["address"] == home["address"]
    by_accept = await client.get("/api/properties", params=params, headers={"Accept": "text/csv"})
    assert by_accept.text == exported.text


async def test_property_page_has_valuation_score_history_and_packets(
    client: httpx.AsyncClient, city: dict[str, Any]
) -> None:
    home_id = city["ids"][0]
    home = (await client.get(f"/api/properties/{home_id}")).json()
    assert home["valuation"]["estimated_value"] == pytest.approx(330_000.0)
    assert (home["valuation"]["value_low"], home["valuation"]["value_high"]) == (
        300_000.0,
        pytest.approx(360_000.0),
    )
    assert home["valuation"]["comparables"][0]["sale_date"] == "2025-01-02"
    assert home["score"]["overall_score"] == 80.0
    assert home["score"]["returns"]["irr_percent"] == 9.0
    assert [entry["model_version"] for entry in home["score_history"]] == ["test-new", "test-old"]
    assert home["sources"] == ["test-src"]
    assert home["packet_url"] == f"/api/properties/{home_id}/packet"
    assert len(home["documents"]) == 1

    packet = await client.get(home["packet_url"])
    assert packet.status_code == 200
    assert packet.headers["content-type"] == "application/pdf"
    assert packet.content == city["pdf"]
    listed = (await client.get(f"/api/properties/{home_id}/documents")).json()
    version = await client.get(listed["data"][0]["download_url"])
    assert version.content == city["pdf"]


async def test_missing_homes_and_packets_are_404(
    client: httpx.AsyncClient, city: dict[str, Any]
) -> None:
    assert (await client.get("/api/properties/0")).status_code == 422
    assert (await client.get(f"/api/properties/{2**63 - 1}")).status_code == 404
    no_packet = await client.get(f"/api/properties/{city['ids'][1]}/packet")
    assert no_packet.status_code == 404
    assert (await client.get(f"/api/properties/{2**63}")).status_code == 422
