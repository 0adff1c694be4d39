"""Every metric the Grafana dashboards and the alerting rules read is one the running
services export: the five services and the demo site run as processes on the real stack,
one small scrape pipeline goes through every stage, then each service's /metrics is read.

A labelled metric shows in /metrics only once a label set was used, hence the pipeline
run first. A histogram is read as its `_bucket`, `_sum` and `_count` series, a counter as
its `_total` series."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.events import ScrapeRequested
from shared.messaging import Messaging
from shared.observability import ServiceMetrics
from shared.settings import Settings
from tests.deploy.manifests import SERVICES, dashboard_metric_names, rule_metric_names
from tests.services import ServiceProcess, free_port, running_services

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.timeout(300)]

LISTINGS = 4
PIPELINE_SECONDS = 150
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


@pytest.fixture(scope="module")
def platform(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    site_port = free_port()
    with running_services(
        ["services.scraper.demo_site", *(f"services.{name}" for name in SERVICES)],
        tmp_path_factory.mktemp("metrics-logs"),
        extra_env={"REOS_DEMO_SITE_URL": f"http://127.0.0.1:{site_port}/listings"},
        args={
            "services.scraper.demo_site": (
                "--count",
                str(LISTINGS),
                "--seed",
                str(random.randrange(1, 10**9)),
            )
        },
        ports={"services.scraper.demo_site": site_port},
    ) as started:
        yield started


def exported(text: str) -> dict[str, int]:
    """The series names a /metrics page declares, each with its number of samples."""
    names: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.setdefault(family.name + suffix, 0)
        for sample in family.samples:
            names[sample.name] = names.get(sample.name, 0) + 1
    return names


async def scrape_all(client: httpx.AsyncClient, services: dict[str, ServiceProcess]) -> dict:
    pages = await asyncio.gather(
        *(client.get(f"{services[name].url}/metrics") for name in SERVICES)
    )
    return {name: exported(page.text) for name, page in zip(SERVICES, pages, strict=True)}


async def publish_scrape_request(run_id: str) -> None:
    settings = Settings()
    messaging = Messaging(settings, "metrics-test", ServiceMetrics("metrics_test"))
    await messaging.broker.connect()
    try:
        await messaging.publish(ScrapeRequested(run_id=run_id, source="demo", max_items=LISTINGS))
    finally:
        await messaging.broker.stop()


async def test_every_metric_of_the_dashboards_and_alerts_is_exported(platform) -> None:
    await publish_scrape_request(f"metrics-{uuid.uuid4().hex[:12]}")
    async with httpx.AsyncClient(timeout=10) as client:
        gateway = platform["gateway"].url
        for path in ("/api/health/live", "/api/no-such-route"):
            await client.get(gateway + path)
        deadline = asyncio.get_running_loop().time() + PIPELINE_SECONDS
        while True:
            series = await scrape_all(client, platform)
            if (
                series["docgen"].get("reos_docgen_packets_generated_total")
                and series["scorer"].get("reos_scorer_consumer_lag_messages")
                and series["enricher"].get("reos_enricher_consumer_lag_messages")
                and series["docgen"].get("reos_docgen_consumer_lag_messages")
            ):
                break
            assert asyncio.get_running_loop().time() < deadline, (
                "the pipeline did not reach docgen, or no lag was sampled:\n"
                + "\n".join(platform[name].log_tail(10) for name in SERVICES)
            )
            await asyncio.sleep(2)
    declared = {name for names in series.values() for name in names}
    used = dashboard_metric_names() | rule_metric_names()
    assert not used - declared, f"used but not exported: {sorted(used - declared)}"
    with_samples = {name for names in series.values() for name, count in names.items() if count}
    # Lag, traffic, latency and model figures have samples after one run.
    expected_live = {
        "reos_enricher_consumer_lag_messages",
        "reos_scorer_consumer_lag_messages",
        "reos_docgen_consumer_lag_messages",
        "reos_scraper_items_scraped_total",
        "reos_enricher_properties_enriched_total",
        "reos_scorer_scores_created_total",
        "reos_scorer_overall_score_bucket",
        "reos_scraper_jobs_total",
        "reos_scraper_pipeline_last_success_timestamp_seconds",
        "reos_gateway_http_request_duration_seconds_bucket",
    }
    assert expected_live <= with_samples, sorted(expected_live - with_samples)
