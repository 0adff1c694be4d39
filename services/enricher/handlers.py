"""What the enricher does with each event: short handlers over the pure logic.

One core, `_enrich_all`, serves a single event and a batch alike: parse the prospects'
addresses, then at once: archive the raw prospects, lock and load the homes (the batch's
transaction), the ZIPs' market figures and the Census answers (`census_lookup`, on
connections of their own). Then merge each home's listings with what the other sources
said of it, one listing at a time so that every change is in the history, and write
properties, merge history, quality measures and job rows with one statement per table.
`batch_step_seconds` times each step.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enricher import store
from services.enricher.census import CensusAcs, CensusGeocoder
from services.enricher.census_lookup import CensusAnswers, CensusLookup
from services.enricher.concurrency import concurrently
from services.enricher.enrich import (
    EnrichedProperty,
    ParsedHome,
    UnusableListing,
    demographics,
    enrich,
    locate,
    parse_listing,
)
from services.enricher.merge import MergedHome, Observation, Turn, merge_in_turn
from services.enricher.reference import ReferenceData
from shared.events import (
    EnrichmentRequested,
    Event,
    PropertyEnriched,
    ProspectNew,
    derived_event_id,
)
from shared.listing import Listing, listing_from_payload
from shared.messaging import PoisonMessage
from shared.observability import ServiceMetrics
from shared.storage import ObjectStore

T = TypeVar("T")
log = logging.getLogger("reos.enricher.handlers")


@dataclass(frozen=True)
class Prospect:
    """One prospect to enrich, with the event that asked for it and when it was seen."""

    event: Event
    prospect_id: int
    listing: Listing
    dag_id: str
    observed_at: datetime

    @property
    def source(self) -> str:
        return self.listing.source

    @property
    def source_id(self) -> str:
        return self.listing.source_id


@dataclass
class Home:
    """One home of a batch: what the sources said of it before (`known`), and the batch's
    prospects of it with their observations, in the batch's order."""

    parsed: ParsedHome
    known: dict[str, Observation]
    prospects: list[Prospect] = field(default_factory=list)
    arriving: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What the batch made of one home: its observations now, its merged facts, each
    arriving listing's turn (what it changed) and the enriched property."""

    home: Home
    observations: dict[str, Observation]
    merged: MergedHome
    turns: list[Turn]
    result: EnrichedProperty


@dataclass
class Enricher:
    reference: ReferenceData
    archive: ObjectStore
    metrics: ServiceMetrics
    sessions: async_sessionmaker
    geocoder: CensusGeocoder | None = None
    acs: CensusAcs | None = None
    market_ttl_seconds: float = 60.0
    census_cache_ttl_seconds: float = 30 * 86_400.0
    census_cache_entries: int = 200_000

    def __post_init__(self) -> None:
        self.enriched = self.metrics.counter(
            "properties_enriched_total", "Properties written or updated", ["source"]
        )
        self.rejected = self.metrics.counter(
            "listings_rejected_total", "Listings that could not become a property", ["reason"]
        )
        self.unparsed = self.metrics.counter(
            "addresses_unparsed_total", "Addresses kept as written: not a street, box or route"
        )
        self.merged = self.metrics.counter(
            "listings_merged_total", "Listings merged into a home another listing described"
        )
        self.located = self.metrics.counter(
            "locations_total", "Homes located, by precision", ["precision"]
        )
        self.census_down = self.metrics.counter(
            "census_unavailable_total", "Census requests that fell back", ["api"]
        )
        self.step_seconds = self.metrics.histogram(
            "batch_step_seconds", "Wall time a batch spends in each step of enriching", ["step"]
        )
        self.census = CensusLookup(
            self.sessions,
            self.census_down,
            self.geocoder,
            self.acs,
            self.census_cache_ttl_seconds,
            self.census_cache_entries,
        )
        self.market: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self.market_refresh: asyncio.Task[None] | None = None

    async def on_prospect(self, session: AsyncSession, event: ProspectNew) -> list[Event]:
        return await self._enrich_one(session, self._prospect(event))

    async def on_prospects(
        self, session: AsyncSession, events: list[ProspectNew]
    ) -> dict[uuid.UUID, list[Event]]:
        return await self._enrich_all(session, [self._prospect(event) for event in events])

    async def on_request(self, session: AsyncSession, event: EnrichmentRequested) -> list[Event]:
        prospect = await store.load_prospect(session, event.prospect_id)
        if prospect is None:
            raise PoisonMessage(f"prospect {event.prospect_id} does not exist")
        try:
            listing = listing_from_payload(
                prospect["payload"], prospect["source"], prospect["source_id"], prospect["url"]
            )
        except ValueError as error:
            raise PoisonMessage(
                f"prospect {event.prospect_id} holds no listing: {error}"
            ) from error
        return await self._enrich_one(
            session,
            Prospect(event, prospect["id"], listing, store.PIPELINE_ID, prospect["updated_at"]),
        )

    @staticmethod
    def _prospect(event: ProspectNew) -> Prospect:
        return Prospect(
            event, event.prospect_id, event.listing, "scrape_listings", event.scraped_at
        )

    async def _enrich_one(self, session: AsyncSession, listing: Prospect) -> list[Event]:
        try:
            outputs = await self._enrich_all(session, [listing])
        except UnusableListing as error:
            await self._record_rejection(listing, str(error))
            raise PoisonMessage(
                f"prospect {listing.prospect_id} ({listing.source}:{listing.source_id}): {error}"
            ) from error
        return outputs[listing.event.event_id]

    async def _enrich_all(
        self, session: AsyncSession, prospects: list[Prospect]
    ) -> dict[uuid.UUID, list[Event]]:
        """Raises `UnusableListing` for the first listing that cannot become a property."""
        started_at = datetime.now(UTC)
        try:
            with self.step_seconds.labels("parse").time():
                parsed = [(prospect, self._parse(prospect)) for prospect in prospects]
        except UnusableListing:
            await self._archive(prospects)
            raise
        zip_codes = sorted({home.address.zip_code for _, home in parsed if home.address.zip_code})
        addresses = {home.geocode_key: home for _, home in parsed if home.geocode_key}
        _, homes, market, census = await concurrently(
            self._timed("archive", self._archive(prospects)),
            self._timed("homes", self._homes(session, parsed)),
            self._timed("market", self._market(zip_codes)),
            self._timed("census", self.census.answers(addresses, zip_codes)),
        )
        with self.step_seconds.labels("enrich").time():
            outcomes = {
                key: self._outcome(home, census, market, started_at) for key, home in homes.items()
            }
        with self.step_seconds.labels("write").time():
            ids = await self._write(session, started_at, parsed, outcomes)
        _count(
            self.located,
            Counter(
                outcome.result.columns["location_precision"] or "unknown"
                for outcome in outcomes.values()
            ),
        )
        _count(self.enriched, Counter(prospect.source for prospect in prospects))
        with self.step_seconds.labels("events").time():
            return {
                prospect.event.event_id: [self._enriched_event(prospect, outcomes[home.key], ids)]
                for prospect, home in parsed
            }

    @staticmethod
    def _enriched_event(prospect: Prospect, outcome: Outcome, ids: dict[str, int]) -> Event:
        result = outcome.result
        return PropertyEnriched(
            event_id=derived_event_id("enricher", prospect.event.event_id),
            run_id=prospect.event.run_id,
            property_id=ids[result.property_key],
            prospect_id=prospect.prospect_id,
            property_key=result.property_key,
            address=result.columns["address"],
            listing=result.listing,
            enrichment=result.enrichment_data,
        )

    async def _timed(self, step: str, work: Awaitable[T]) -> T:
        with self.step_seconds.labels(step).time():
            return await work

    async def _write(
        self,
        session: AsyncSession,
        started_at: datetime,
        parsed: list[tuple[Prospect, ParsedHome]],
        outcomes: dict[str, Outcome],
    ) -> dict[str, int]:
        """The batch's rows, one statement per table; returns each home's property id."""
        ids = await store.upsert_properties(
            session, [self._property_row(outcome) for outcome in outcomes.values()]
        )
        await store.record_history(session, self._history(outcomes, ids))
        await store.record_quality(session, self._quality(outcomes, ids))
        await store.record_jobs(
            session,
            started_at,
            [
                self._success(prospect, ids[home.key], outcomes[home.key].result)
                for prospect, home in parsed
            ],
        )
        return ids

    def _outcome(
        self,
        home: Home,
        census: CensusAnswers,
        market: dict[str, dict[str, Any] | None],
        started_at: datetime,
    ) -> Outcome:
        """One home merged, located and enriched."""
        observations, merged, turns = merge_in_turn(home.known, home.arriving)
        zip_code = merged.listing.zip_code
        match, outcome = census.geocodes.get(
            home.parsed.geocode_key or "", (None, "not_geocodable")
        )
        location = locate(merged.listing, match, outcome, self.reference)
        tract = location.get("census_tract") if location else None
        area = demographics(
            zip_code,
            self.reference,
            by_zcta=census.by_zcta.get(zip_code or ""),
            by_tract=census.by_tract.get(tract or ""),
        )
        zip_place = self.reference.zips.get(zip_code) if zip_code else None
        context = market.get(zip_code or "")
        result = enrich(home.parsed, merged, zip_place, location, area, context, started_at.date())
        return Outcome(home, observations, merged, turns, result)

    def _parse(self, prospect: Prospect) -> ParsedHome:
        try:
            home = parse_listing(prospect.listing)
        except UnusableListing:
            self.rejected.labels("unusable_listing").inc()
            raise
        if not home.address.parsed:
            self.unparsed.inc()
        return home

    async def _homes(
        self, session: AsyncSession, parsed: list[tuple[Prospect, ParsedHome]]
    ) -> dict[str, Home]:
        """The batch's homes, each with what the sources said of it before, keys held."""
        keys = sorted({home.key for _, home in parsed})
        await store.lock_homes(session, keys)
        stored = await store.load_homes(session, keys)
        homes: dict[str, Home] = {}
        for prospect, parsed_home in parsed:
            home = homes.get(parsed_home.key)
            if home is None:
                known = stored.get(parsed_home.key)
                observations = _observations(known["source_listings"]) if known else {}
                home = homes[parsed_home.key] = Home(parsed_home, observations)
            home.prospects.append(prospect)
            home.arriving.append(Observation(parsed_home.listing, prospect.observed_at))
        merged = sum(len(home.prospects) - (0 if home.known else 1) for home in homes.values())
        if merged:
            self.merged.inc(merged)
        return homes

    async def _market(self, zip_codes: list[str]) -> dict[str, dict[str, Any] | None]:
        """Market figures per ZIP, from the properties the platform knows. A ZIP seen for
        the first time waits for its figures; figures older than `market_ttl_seconds` are
        used while they are recomputed in the background (an aggregate over every home of
        the ZIPs: it has no place on the batch's path)."""
        if unknown := [code for code in zip_codes if code not in self.market]:
            await self._refresh_market(unknown)
        now = time.monotonic()
        stale = [code for code in zip_codes if now - self.market[code][0] > self.market_ttl_seconds]
        if stale and (self.market_refresh is None or self.market_refresh.done()):
            self.market_refresh = asyncio.create_task(self._refresh_market(stale))
            self.market_refresh.add_done_callback(_log_refresh_failure)
        return {code: self.market[code][1] for code in zip_codes}

    async def _refresh_market(self, zip_codes: list[str]) -> None:
        """On a connection of its own: the figures need nothing a batch writes."""
        async with self.sessions() as session:
            fresh = await store.market_stats(session, zip_codes)
        now = time.monotonic()
        for code in zip_codes:
            self.market[code] = (now, fresh.get(code))

    @staticmethod
    def _property_row(outcome: Outcome) -> dict[str, Any]:
        latest = max(outcome.home.prospects, key=lambda prospect: prospect.observed_at)
        result = outcome.result
        return {
            **result.columns,
            "property_key": result.property_key,
            "prospect_id": latest.prospect_id,
            "enrichment_data": result.enrichment_data,
            "enrichment_sources": result.enrichment_sources,
            "field_provenance": outcome.merged.provenance,
            "source_listings": {
                ref: {
                    "observed_at": item.observed_at.isoformat(),
                    "listing": item.listing.model_dump(mode="json", exclude_defaults=True),
                }
                for ref, item in outcome.observations.items()
            },
            "dag_run_id": latest.event.run_id,
        }

    @staticmethod
    def _history(outcomes: dict[str, Outcome], ids: dict[str, int]) -> list[dict[str, Any]]:
        """What each arriving listing changed of its home, which source said so, and the
        event that brought it: every turn, so two sources' prices in one batch are two
        changes, as they would be one batch after the other."""
        rows = []
        for key, outcome in outcomes.items():
            for turn in outcome.turns:
                event_id = outcome.home.prospects[turn.arrival].event.event_id
                arriving = outcome.home.arriving[turn.arrival].origin()
                for name, (old, new) in turn.changes.items():
                    origin = turn.merged.provenance.get(name) or arriving
                    rows.append(
                        {
                            "property_id": ids[key],
                            "field": name,
                            "old_value": old,
                            "new_value": new,
                            "source": origin["source"],
                            "source_id": origin["source_id"],
                            "observed_at": datetime.fromisoformat(origin["observed_at"]),
                            "event_id": event_id,
                        }
                    )
        return rows

    @staticmethod
    def _quality(outcomes: dict[str, Outcome], ids: dict[str, int]) -> list[dict[str, Any]]:
        return [
            {
                "metric_type": m.metric_type,
                "metric_name": m.metric_name,
                "value": m.value,
                "threshold": m.threshold,
                "is_passing": m.is_passing,
                "entity_type": "property",
                "entity_id": str(ids[key]),
                "details": m.details,
                "dag_run_id": outcome.home.prospects[-1].event.run_id,
            }
            for key, outcome in outcomes.items()
            for m in outcome.result.quality
        ]

    def _success(
        self, prospect: Prospect, property_id: int, result: EnrichedProperty
    ) -> dict[str, Any]:
        return {
            **self._job(prospect, "success"),
            "property_id": property_id,
            "data_sources_used": [item["name"] for item in result.enrichment_sources],
            "fields_enriched": result.fields_enriched,
        }

    @staticmethod
    def _job(listing: Prospect, status: str) -> dict[str, Any]:
        return {
            "dag_id": listing.dag_id,
            "dag_run_id": listing.event.run_id,
            "prospect_id": listing.prospect_id,
            "status": status,
            "source_event_id": listing.event.event_id,
        }

    async def _archive(self, listings: list[Prospect]) -> None:
        """The raw events, as received, in one JSON-lines object per batch: written before
        anything else, keyed by the events it holds, so a redelivered batch rewrites it."""
        lines = [listing.event.model_dump_json() for listing in listings]
        digest = hashlib.sha256(
            json.dumps(sorted(str(listing.event.event_id) for listing in listings)).encode()
        ).hexdigest()
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        await self.archive.aput(
            f"raw/prospects/{day}/{digest}.jsonl",
            ("\n".join(lines) + "\n").encode(),
            "application/x-ndjson",
        )

    async def _record_rejection(self, listing: Prospect, error: str) -> None:
        """Keep the failed job row although the event's own transaction rolls back."""
        async with self.sessions() as session, session.begin():
            await store.record_jobs(
                session, datetime.now(UTC), [{**self._job(listing, "failed"), "error_log": error}]
            )


def _log_refresh_failure(task: asyncio.Task[None]) -> None:
    """A failed refresh leaves the figures as they were; the next batch tries again."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("market figures not refreshed", extra={"error": repr(error)})


def _count(counter: Any, counts: Counter[str]) -> None:
    """Add a batch's counts: one `labels` look-up per label value, not one per listing."""
    for label, count in counts.items():
        counter.labels(label).inc(count)


def _observations(source_listings: dict[str, Any]) -> dict[str, Observation]:
    return {
        ref: Observation(
            Listing.model_validate(item["listing"]), datetime.fromisoformat(item["observed_at"])
        )
        for ref, item in source_listings.items()
    }
