"""What the enricher does with each event: short handlers over the pure logic.

One core, `_enrich_all`, serves a single event and a batch alike: archive the raw
prospects, parse their addresses, locate them (geocode cache, then one Census batch
request), fetch the ZCTAs' ACS figures, then, holding the homes' keys, merge each listing
with what the other sources said of the same home, and write properties, merge history,
quality measures and job rows with one statement per table.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.enricher import store
from services.enricher.census import AddressQuery, CensusAcs, CensusGeocoder, CensusUnavailable
from services.enricher.enrich import (
    EnrichedProperty,
    GeocoderOutcome,
    ParsedHome,
    UnusableListing,
    demographics,
    enrich,
    locate,
    parse_listing,
)
from services.enricher.merge import MergedHome, Observation, changed_fields, merge
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

CACHE_LIMIT = 200_000


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
    """One home of a batch while it is merged: its stored and new observations."""

    parsed: ParsedHome
    property_id: int | None
    before: MergedHome | None
    observations: dict[str, Observation]
    prospects: list[Prospect] = field(default_factory=list)


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    if len(cache) >= CACHE_LIMIT:
        del cache[next(iter(cache))]
    cache[key] = value


@dataclass
class Enricher:
    reference: ReferenceData
    archive: ObjectStore
    metrics: ServiceMetrics
    sessions: async_sessionmaker
    geocoder: CensusGeocoder | None = None
    acs: CensusAcs | None = None
    market_ttl_seconds: float = 60.0

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
        self.geocodes: dict[str, Any] = {}
        self.acs_figures: dict[str, dict[str, Any] | None] = {}
        self.market: dict[str, tuple[float, dict[str, Any] | None]] = {}

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
        await self._archive(prospects)
        parsed = [(prospect, self._parse(prospect)) for prospect in prospects]
        geocodes = await self._geocode(session, [home for _, home in parsed])
        zip_codes = sorted({home.address.zip_code for _, home in parsed if home.address.zip_code})
        figures = await self._census_figures(zip_codes)
        homes = await self._homes(session, parsed)
        market = await self._market(session, zip_codes)
        today = started_at.date()
        results: dict[str, tuple[MergedHome, EnrichedProperty]] = {}
        areas: dict[str | None, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        precisions: Counter[str] = Counter()
        for key, home in homes.items():
            merged = merge(list(home.observations.values()))
            zip_code = merged.listing.zip_code
            match, outcome = geocodes.get(home.parsed.geocode_key or "", (None, "not_geocodable"))
            location = locate(merged.listing, match, outcome, self.reference)
            if zip_code not in areas:
                areas[zip_code] = demographics(
                    zip_code, figures.get(zip_code or ""), self.reference
                )
            area = areas[zip_code]
            zip_place = self.reference.zips.get(zip_code) if zip_code else None
            context = market.get(zip_code or "")
            results[key] = (
                merged,
                enrich(home.parsed, merged, zip_place, location, area, context, today),
            )
            precisions[location["precision"] if location else "unknown"] += 1
        rows = [self._property_row(homes[key], *pair) for key, pair in results.items()]
        ids = await store.upsert_properties(session, rows)
        await store.record_history(session, self._history(homes, results, ids))
        await store.record_quality(session, self._quality(homes, results, ids))
        await store.record_jobs(
            session,
            started_at,
            [
                self._success(prospect, ids[home.key], results[home.key][1])
                for prospect, home in parsed
            ],
        )
        _count(self.located, precisions)
        _count(self.enriched, Counter(prospect.source for prospect in prospects))
        return {
            prospect.event.event_id: [
                PropertyEnriched(
                    event_id=derived_event_id("enricher", prospect.event.event_id),
                    run_id=prospect.event.run_id,
                    property_id=ids[home.key],
                    prospect_id=prospect.prospect_id,
                    property_key=home.key,
                    address=results[home.key][1].columns["address"],
                    listing=results[home.key][1].listing,
                    enrichment=results[home.key][1].enrichment_data,
                )
            ]
            for prospect, home in parsed
        }

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
        """The batch's homes, each with every source's latest listing, keys held."""
        keys = sorted({home.key for _, home in parsed})
        await store.lock_homes(session, keys)
        stored = await store.load_homes(session, keys)
        homes: dict[str, Home] = {}
        merged = 0
        for prospect, parsed_home in parsed:
            home = homes.get(parsed_home.key)
            if home is None:
                known = stored.get(parsed_home.key)
                observations = _observations(known["source_listings"]) if known else {}
                before = merge(list(observations.values())) if observations else None
                home = Home(parsed_home, known and known["id"], before, observations)
                homes[parsed_home.key] = home
            observation = Observation(parsed_home.listing, prospect.observed_at)
            if home.before is None and home.observations:
                home.before = merge(list(home.observations.values()))
            previous = home.observations.get(observation.ref)
            if previous is None or previous.observed_at <= observation.observed_at:
                home.observations[observation.ref] = observation
            if home.before is not None or len(home.observations) > 1:
                merged += 1
            home.prospects.append(prospect)
        if merged:
            self.merged.inc(merged)
        return homes

    async def _geocode(
        self, session: AsyncSession, homes: list[ParsedHome]
    ) -> dict[str, tuple[dict[str, Any] | None, GeocoderOutcome]]:
        """Each geocodable address's Census match: from memory, the cache table, or one
        batch request for the rest; `unavailable` where the Census did not answer."""
        queries = {home.geocode_key: home for home in homes if home.geocode_key}
        if self.geocoder is None:
            return {key: (None, "disabled") for key in queries}
        found = {key: self.geocodes[key] for key in queries if key in self.geocodes}
        missing = [key for key in queries if key not in found]
        if missing:
            cached = await store.load_geocodes(session, missing)
            for key, match in cached.items():
                _remember(self.geocodes, key, match)
            found.update(cached)
        asked = [key for key in queries if key not in found]
        answers: dict[str, Any] = {}
        if asked:
            try:
                located = await self.geocoder.locate(
                    [_query(str(index), queries[key]) for index, key in enumerate(asked)]
                )
            except CensusUnavailable:
                self.census_down.labels("geocoder").inc()
                located = None
            if located is not None:
                for index, key in enumerate(asked):
                    match = located.get(str(index))
                    answers[key] = match.as_json() if match else None
                    _remember(self.geocodes, key, answers[key])
                await store.save_geocodes(session, answers)
                found.update(answers)
        return {
            key: (found[key], "matched" if found[key] else "no_match")
            if key in found
            else (None, "unavailable")
            for key in queries
        }

    async def _census_figures(self, zip_codes: list[str]) -> dict[str, dict[str, Any] | None]:
        """The ACS API's figures of each ZCTA, asked once per process for all unknown ones."""
        if self.acs is None:
            return {}
        missing = [code for code in zip_codes if code not in self.acs_figures]
        if missing:
            try:
                answered = await self.acs.zctas(missing)
            except CensusUnavailable:
                self.census_down.labels("acs").inc()
                answered = None
            if answered is not None:
                for code in missing:
                    self.acs_figures[code] = answered.get(code)
        return {code: self.acs_figures.get(code) for code in zip_codes}

    async def _market(
        self, session: AsyncSession, zip_codes: list[str]
    ) -> dict[str, dict[str, Any] | None]:
        """Market figures per ZIP, recomputed from the properties at most once a minute."""
        now = time.monotonic()
        stale = [
            code
            for code in zip_codes
            if code not in self.market or now - self.market[code][0] > self.market_ttl_seconds
        ]
        if stale:
            fresh = await store.market_stats(session, stale)
            for code in stale:
                self.market[code] = (now, fresh.get(code))
        return {code: self.market[code][1] for code in zip_codes}

    @staticmethod
    def _property_row(home: Home, merged: MergedHome, result: EnrichedProperty) -> dict[str, Any]:
        latest = max(home.prospects, key=lambda prospect: prospect.observed_at)
        return {
            **result.columns,
            "property_key": result.property_key,
            "prospect_id": latest.prospect_id,
            "enrichment_data": result.enrichment_data,
            "enrichment_sources": result.enrichment_sources,
            "field_provenance": merged.provenance,
            "source_listings": {
                ref: {
                    "observed_at": item.observed_at.isoformat(),
                    "listing": item.listing.model_dump(mode="json", exclude_defaults=True),
                }
                for ref, item in home.observations.items()
            },
            "dag_run_id": latest.event.run_id,
        }

    @staticmethod
    def _history(
        homes: dict[str, Home],
        results: dict[str, tuple[MergedHome, EnrichedProperty]],
        ids: dict[str, int],
    ) -> list[dict[str, Any]]:
        """What the batch changed of each home already known, and which source said so."""
        rows = []
        for key, home in homes.items():
            merged = results[key][0]
            event_id = home.prospects[-1].event.event_id
            changes = changed_fields(home.before.listing if home.before else None, merged.listing)
            for name, (old, new) in changes.items():
                origin = merged.provenance.get(name) or merged.sources[0]
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
    def _quality(
        homes: dict[str, Home],
        results: dict[str, tuple[MergedHome, EnrichedProperty]],
        ids: dict[str, int],
    ) -> list[dict[str, Any]]:
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
                "dag_run_id": homes[key].prospects[-1].event.run_id,
            }
            for key, (_, result) in results.items()
            for m in result.quality
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


def _query(ident: str, home: ParsedHome) -> AddressQuery:
    address = home.address
    return AddressQuery(ident, address.street, address.city, address.state, address.zip_code)
