"""The enricher's composition root: `prospect.new` and `enrichment.requested` in,
`property.enriched` out; the Census clients when the settings enable them."""

from __future__ import annotations

import gc
import logging

import httpx
from faststream.asgi import AsgiFastStream

from services.enricher.census import CensusAcs, CensusGeocoder, CensusHttp, CircuitBreaker
from services.enricher.handlers import Enricher
from services.enricher.reference import ReferenceData
from shared import topics
from shared.events import EnrichmentRequested, PropertyEnriched, ProspectNew
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.storage import ObjectStore

SERVICE = "enricher"
HTTP_PORT = 9102


def census_http(settings: Settings, client: httpx.AsyncClient) -> CensusHttp:
    """One HTTP policy per Census API: each has its own circuit breaker."""
    breaker = CircuitBreaker(
        settings.census_breaker_failures, settings.census_breaker_reset_seconds
    )
    return CensusHttp(client, breaker, settings.census_retries)


def census_clients(settings: Settings) -> tuple[CensusGeocoder | None, CensusAcs | None]:
    # httpx logs every request at INFO: a line per Census request would drown the service's
    # own lines; the requests that fail are counted (`census_unavailable_total`).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    client = httpx.AsyncClient(headers={"User-Agent": "real-estate-os enricher"})
    geocoder = (
        CensusGeocoder(
            census_http(settings, client),
            settings.census_geocoder_url,
            settings.census_geocoder_benchmark,
            settings.census_geocoder_vintage,
            settings.census_timeout_seconds,
            settings.census_batch_timeout_seconds,
        )
        if settings.census_geocoder_enabled
        else None
    )
    acs = (
        CensusAcs(
            census_http(settings, client),
            settings.census_acs_url,
            settings.census_acs_year,
            settings.census_api_key,
            settings.census_timeout_seconds,
        )
        if settings.census_acs_enabled
        else None
    )
    return geocoder, acs


def build(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime.create(SERVICE, settings)
    archive = ObjectStore(settings)
    runtime.health.checks["storage"] = archive.acheck
    geocoder, acs = census_clients(settings)
    reference = ReferenceData.load(settings.data_dir)
    # The reference tables (tens of thousands of dicts) live as long as the process: kept
    # out of the cyclic collector, which would otherwise walk them on every full collection.
    gc.freeze()
    enricher = Enricher(
        reference=reference,
        archive=archive,
        metrics=runtime.metrics,
        sessions=runtime.sessions,
        geocoder=geocoder,
        acs=acs,
        census_cache_ttl_seconds=settings.census_cache_ttl_seconds,
        census_cache_entries=settings.census_cache_entries,
    )

    runtime.batch_subscriber(
        topics.PROSPECT_NEW, ProspectNew, enricher.on_prospects, enricher.on_prospect
    )

    @runtime.messaging.subscriber(topics.ENRICHMENT_REQUESTED)
    async def on_enrichment_requested(event: EnrichmentRequested) -> None:
        await runtime.processor.once(event, enricher.on_request)

    runtime.messaging.declares(PropertyEnriched)
    return runtime.asgi_app(
        description="Parses and keys addresses, merges the listings of one home from every "
        "source into one property with per-field provenance, locates it (Census Geocoder, "
        "the listing, the ZIP centroid), adds ACS demographics and ZIP market context, and "
        "archives every raw prospect to object storage."
    )
