"""The read API over the services' tables, against the running stack. Other tests and
services write to the same database, so each test inserts rows under names of its own
(a source, a city, an enrichment type, a metric type) and filters on them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.gateway import queries
from services.gateway.app import build
from shared.db.session import create_reads_engine
from shared.db.tables import (
    data_quality_metrics,
    enrichment_jobs,
    properties,
    property_scores,
    prospect_queue,
    scraping_jobs,
)
from shared.settings import Settings

pytestmark = pytest.mark.stack


def name(prefix: str = "gw") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def insert(engine: Any, table: sa.Table, rows: list[dict[str, Any]]) -> list[int]:
    async with engine.begin() as connection:
        result = await connection.execute(sa.insert(table).returning(table.c.id), rows)
        return [row.id for row in result]


async def delete(engine: Any, table: sa.Table, ids: list[int]) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.delete(table).where(table.c.id.in_(ids)))


@pytest.fixture(autouse=True)
def exact_figures() -> None:
    """These tests read figures right after writing rows: none may come from the few
    seconds' reuse of large totals and statistics."""
    queries.TOTALS.clear()
    queries.STATISTICS.clear()


@pytest.fixture
async def scraped(engine: Any) -> AsyncIterator[dict[str, Any]]:
    """Three scraping jobs and two prospects of a source of this test's own."""
    source = name("gw-src")
    jobs = await insert(
        engine,
        scraping_jobs,
        [
            {
                "dag_id": "scrape_listings",
                "dag_run_id": name("run"),
                "source": source,
                "status": status,
                "items_scraped": scraped,
                "items_failed": failed,
                "request_event_id": uuid.uuid4(),
                "config": {"max_items": 5},
                "error_log": "timeout" if status == "failed" else None,
            }
            for status, scraped, failed in (
                ("success", 5, 0),
                ("failed", 1, 2),
                ("running", 2, 0),
            )
        ],
    )
    prospects = await insert(
        engine,
        prospect_queue,
        [
            {
                "source": source,
                "source_id": f"listing-{number}",
                "url": f"http://127.0.0.1:9180/homes/{number}",
                "payload": {"price": 100000 * number},
                "status": status,
                "content_hash": "0" * 64,
            }
            for number, status in ((1, "new"), (2, "enriched"))
        ],
    )
    yield {"source": source, "jobs": jobs, "prospects": prospects}
    await delete(engine, prospect_queue, prospects)
    await delete(engine, scraping_jobs, jobs)


async def test_scraping_jobs_filter_by_source_and_status_newest_first(
    client: httpx.AsyncClient, scraped: dict[str, Any]
) -> None:
    source = scraped["source"]
    listed = (await client.get("/api/scraping/jobs", params={"source": source})).json()
    assert (listed["total"], listed["limit"], listed["offset"]) == (3, 50, 0)
    assert [job["id"] for job in listed["data"]] == sorted(scraped["jobs"], reverse=True)
    assert set(listed["data"][0]) >= {"dag_id", "dag_run_id", "items_scraped", "completed_at"}

    failed = (
        await client.get("/api/scraping/jobs", params={"source": source, "status": "failed"})
    ).json()
    assert failed["total"] == 1
    assert failed["data"][0]["items_failed"] == 2

    second_page = (
        await client.get("/api/scraping/jobs", params={"source": source, "limit": 2, "offset": 2})
    ).json()
    assert (second_page["total"], len(second_page["data"])) == (3, 1)


async def test_scraping_job_details_and_404(
    client: httpx.AsyncClient, scraped: dict[str, Any]
) -> None:
    job_id = scraped["jobs"][1]
    job = (await client.get(f"/api/scraping/jobs/{job_id}")).json()
    assert (job["id"], job["status"], job["error_log"]) == (job_id, "failed", "timeout")
    assert job["config"] == {"max_items": 5}
    assert "updated_at" in job
    missing = await client.get("/api/scraping/jobs/0")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Scraping job 0 not found"


async def test_prospect_queue_filters_and_shows_the_raw_payload(
    client: httpx.AsyncClient, scraped: dict[str, Any]
) -> None:
    source = scraped["source"]
    queue = (await client.get("/api/scraping/queue", params={"source": source})).json()
    assert queue["total"] == 2
    enriched = (
        await client.get("/api/scraping/queue", params={"source": source, "status": "enriched"})
    ).json()
    assert [entry["source_id"] for entry in enriched["data"]] == ["listing-2"]
    assert enriched["data"][0]["payload"] == {"price": 200000}


async def test_scraping_stats_count_the_source(
    client: httpx.AsyncClient, scraped: dict[str, Any]
) -> None:
    overview = (await client.get("/api/scraping/stats/overview")).json()
    assert {"source": scraped["source"], "count": 2} in overview["sources"]
    assert set(overview["jobs"]) == {
        "total",
        "running",
        "queued",
        "successful",
        "failed",
        "success_rate",
    }
    assert overview["prospects"]["total"] >= 2
    assert set(overview["items"]) == {"scraped", "failed", "success_rate"}

    daily = (await client.get("/api/scraping/stats/daily", params={"days": 3})).json()["data"]
    assert len(daily) == 3
    assert daily[-1]["date"] == datetime.now(UTC).date().isoformat()
    assert daily[-1]["by_source"][scraped["source"]] == 2


@pytest.fixture
async def enriched(engine: Any) -> AsyncIterator[dict[str, Any]]:
    """Two properties in a city of this test's own, and enrichment jobs of its own type."""
    city, kind = name("gw-city"), name("gw-type")
    property_ids = await insert(
        engine,
        properties,
        [
            {
                "property_key": name("gw-key"),
                "address": f"{number} Test St",
                "city": city,
                "state": state,
                "property_type": "single_family",
                "bedrooms": 3,
                "price": 250000.0,
                "enrichment_data": {"demographics": {"median_age": 38}},
            }
            for number, state in ((1, "TX"), (2, "WA"))
        ],
    )
    job_ids = await insert(
        engine,
        enrichment_jobs,
        [
            {
                "dag_id": "scrape_listings",
                "property_id": property_ids[0],
                "enrichment_type": kind,
                "status": status,
                "source_event_id": uuid.uuid4(),
                "data_sources_used": ["demo"],
                "fields_enriched": ["city"],
                "error_log": None if status == "success" else "geocoder down",
            }
            for status in ("success", "failed")
        ],
    )
    yield {"city": city, "type": kind, "properties": property_ids, "jobs": job_ids}
    await delete(engine, enrichment_jobs, job_ids)
    await delete(engine, properties, property_ids)


async def test_enrichment_jobs_filter_by_type_and_status(
    client: httpx.AsyncClient, enriched: dict[str, Any]
) -> None:
    params = {"enrichment_type": enriched["type"]}
    listed = (await client.get("/api/enrichment/jobs", params=params)).json()
    assert listed["total"] == 2
    assert listed["data"][0]["data_sources_used"] == ["demo"]
    failed = (
        await client.get("/api/enrichment/jobs", params={**params, "status": "failed"})
    ).json()
    assert failed["total"] == 1
    job = (await client.get(f"/api/enrichment/jobs/{failed['data'][0]['id']}")).json()
    assert job["error_log"] == "geocoder down"
    assert (await client.get("/api/enrichment/jobs/0")).status_code == 404


async def test_enrichment_properties_filter_exactly_and_show_details(
    client: httpx.AsyncClient, enriched: dict[str, Any]
) -> None:
    city = enriched["city"]
    listed = (await client.get("/api/enrichment/properties", params={"city": city})).json()
    assert listed["total"] == 2
    assert "enrichment_data" not in listed["data"][0]
    in_texas = (
        await client.get("/api/enrichment/properties", params={"city": city, "state": "TX"})
    ).json()
    assert [entry["address"] for entry in in_texas["data"]] == ["1 Test St"]
    partial = (await client.get("/api/enrichment/properties", params={"city": city[:-1]})).json()
    assert partial["total"] == 0

    details = (await client.get(f"/api/enrichment/properties/{enriched['properties'][0]}")).json()
    assert details["enrichment_data"] == {"demographics": {"median_age": 38}}
    missing = await client.get("/api/enrichment/properties/0")
    assert (missing.status_code, missing.json()["detail"]) == (404, "Property 0 not found")


async def test_enrichment_stats_have_their_keys(
    client: httpx.AsyncClient, enriched: dict[str, Any]
) -> None:
    overview = (await client.get("/api/enrichment/stats/overview")).json()
    assert {"type": enriched["type"], "count": 2} in overview["enrichment_types"]
    assert overview["properties"]["total"] >= 2
    quality = (await client.get("/api/enrichment/stats/data-quality")).json()
    assert quality["total_properties"] >= 2
    assert quality["field_completeness"]["address"]["percentage"] == 100.0
    assert 0 <= quality["overall_completeness"] <= 100


@pytest.fixture
async def scored(engine: Any) -> AsyncIterator[dict[str, Any]]:
    """A property with two scores (100 then 35.5) and one without any."""
    property_ids = await insert(
        engine,
        properties,
        [{"property_key": name("gw-key"), "address": "9 Score Rd"} for _ in range(2)],
    )
    score_ids = await insert(
        engine,
        property_scores,
        [
            {
                "property_id": property_ids[0],
                "overall_score": overall,
                "investment_score": 70.0,
                "risk_score": 20.0,
                "roi_estimate": 6.5,
                "model_version": "gateway-test",
                "input_hash": name("hash"),
                "score_components": {"cap_rate_percent": 6.5},
                "features_used": {"sqft": 1500},
            }
            for overall in (100.0, 35.5)
        ],
    )
    yield {"property": property_ids[0], "unscored": property_ids[1], "scores": score_ids}
    await delete(engine, properties, property_ids)


async def test_scores_filter_by_overall_score_best_first(
    client: httpx.AsyncClient, scored: dict[str, Any]
) -> None:
    perfect = (
        await client.get("/api/scoring/scores", params={"min_score": 100, "limit": 100})
    ).json()
    assert scored["scores"][0] in {entry["id"] for entry in perfect["data"]}
    assert {entry["overall_score"] for entry in perfect["data"]} == {100.0}

    band = (
        await client.get(
            "/api/scoring/scores", params={"min_score": 35.5, "max_score": 35.5, "limit": 100}
        )
    ).json()
    assert scored["scores"][1] in {entry["id"] for entry in band["data"]}
    bad = await client.get("/api/scoring/scores", params={"min_score": 101})
    assert bad.status_code == 422


async def test_score_details_and_property_history(
    client: httpx.AsyncClient, scored: dict[str, Any]
) -> None:
    details = (await client.get(f"/api/scoring/scores/{scored['scores'][0]}")).json()
    assert details["score_components"] == {"cap_rate_percent": 6.5}
    assert details["features_used"] == {"sqft": 1500}
    missing = await client.get("/api/scoring/scores/0")
    assert (missing.status_code, missing.json()["detail"]) == (404, "Score 0 not found")

    history = (await client.get(f"/api/scoring/properties/{scored['property']}/scores")).json()
    assert history["property_id"] == scored["property"]
    assert [entry["id"] for entry in history["data"]] == sorted(scored["scores"], reverse=True)
    unscored = await client.get(f"/api/scoring/properties/{scored['unscored']}/scores")
    assert unscored.status_code == 404


async def test_score_distribution_counts_every_score_including_100(
    client: httpx.AsyncClient, scored: dict[str, Any]
) -> None:
    overview = (await client.get("/api/scoring/stats/overview")).json()
    distribution = overview["score_distribution"]
    assert list(distribution) == ["0-20", "20-40", "40-60", "60-80", "80-100"]
    assert sum(distribution.values()) == overview["total_scores"]
    assert distribution["80-100"] >= 1
    assert {"version": "gateway-test", "count": 2} in overview["model_versions"]

    trends = (await client.get("/api/scoring/stats/trends", params={"days": 2})).json()["data"]
    assert [entry["date"] for entry in trends][-1] == datetime.now(UTC).date().isoformat()
    assert trends[-1]["scores_created"] >= 2


@pytest.fixture
async def measured(engine: Any) -> AsyncIterator[str]:
    metric_type = name("gw-metric")
    ids = await insert(
        engine,
        data_quality_metrics,
        [
            {
                "metric_type": metric_type,
                "metric_name": "completeness",
                "value": value,
                "threshold": 90.0,
                "is_passing": value >= 90.0,
                "entity_type": "property",
                "entity_id": str(number),
            }
            for number, value in enumerate((95.0, 80.0, 99.0))
        ],
    )
    yield metric_type
    await delete(engine, data_quality_metrics, ids)


async def test_quality_metrics_filter_by_type_and_limit(
    client: httpx.AsyncClient, measured: str
) -> None:
    quality = (
        await client.get("/api/metrics/quality", params={"metric_type": measured, "limit": 2})
    ).json()
    assert quality["total"] == 3
    assert len(quality["data"]) == 2
    assert {entry["metric_type"] for entry in quality["data"]} == {measured}
    assert (await client.get("/api/metrics/quality", params={"limit": 1001})).status_code == 422


async def test_platform_metrics_have_their_keys(
    client: httpx.AsyncClient, scored: dict[str, Any]
) -> None:
    overview = (await client.get("/api/metrics/overview")).json()
    assert set(overview) == {
        "data_pipeline",
        "pipeline_execution",
        "active_jobs",
        "recent_activity_24h",
        "data_flow",
        "timestamp",
    }
    assert overview["data_pipeline"]["total_scores"] >= 2

    throughput = (await client.get("/api/metrics/throughput", params={"days": 3})).json()
    assert throughput["days"] == 3
    assert [set(entry) for entry in throughput["data"]] == [
        {"date", "scraped", "enriched", "scored"}
    ] * 3

    performance = (await client.get("/api/metrics/performance")).json()
    assert set(performance["error_rates"]) == {"scraping", "enrichment", "scoring", "docgen"}
    assert "pipeline_seconds" in performance["average_durations"]

    funnel = (await client.get("/api/metrics/funnel")).json()
    assert funnel["stages"]["4_scored"] >= 1
    assert "5_documented" in funnel["stages"]


async def test_a_page_shares_the_snapshot_of_its_count_and_is_read_alone_after(
    settings: Settings, scraped: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted now, the total and the rows are read in one transaction; with the total
    reused, the page is the request's only read and runs outside any (no BEGIN, no
    ROLLBACK), with the same rows."""
    monkeypatch.setattr(queries, "EXACT_BELOW", 1)
    listing = queries.Listing(
        sa.select(scraping_jobs.c.id),
        (scraping_jobs.c.id.desc(),),
        {"source": queries.equals(scraping_jobs.c.source)},
    )
    pages = []
    reads = create_reads_engine(settings)
    for _ in range(2):
        async with reads.connect() as connection:
            pages.append(await listing.page(connection, {"source": scraped["source"]}, 50, 0))
            driver = (await connection.get_raw_connection()).driver_connection
            pages.append(driver.is_in_transaction())
    await reads.dispose()
    counted, in_transaction, reused, outside = pages
    assert counted == reused == (3, [{"id": job} for job in sorted(scraped["jobs"], reverse=True)])
    assert in_transaction is True
    assert outside is False


async def test_concurrent_reads_take_turns_on_the_pools_connections(settings: Settings) -> None:
    """Twenty requests at once on a pool of two: each waits its turn for one of the two
    connections; none opens a connection beyond the pool (which closed them again as
    soon as they were idle: a new PostgreSQL backend per request)."""
    app = build(settings.model_copy(update={"db_pool_size": 2, "anonymous_reads": True}))
    pool = app.state.gateway.reads.sync_engine.pool
    most_opened = []

    async def read() -> int:
        response = await client.get("/api/scoring/scores", params={"limit": 5})
        most_opened.append(pool.overflow())
        return response.status_code

    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        statuses = await asyncio.gather(*(read() for _ in range(20)))
    assert statuses == [200] * 20
    assert max(most_opened) <= 0


async def test_a_request_reads_one_snapshot_and_cannot_write(settings: Settings) -> None:
    """The requests' connections are read-only snapshots from their first statement, in
    UTC, without JIT compilation and costing pages read out of order as read from memory,
    with nothing set per request."""
    app = build(settings)
    async with app.state.gateway.reads.connect() as connection:
        shown = await connection.execute(
            sa.text(
                "SELECT current_setting('transaction_isolation'),"
                " current_setting('transaction_read_only'),"
                " current_setting('TimeZone'), current_setting('jit'),"
                " current_setting('random_page_cost')"
            )
        )
        assert shown.one() == ("repeatable read", "on", "UTC", "off", "1.1")
        with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
            await connection.execute(sa.text("CREATE TEMPORARY TABLE scratch (id int)"))
    await app.state.gateway.reads.dispose()
    await app.state.gateway.engine.dispose()
