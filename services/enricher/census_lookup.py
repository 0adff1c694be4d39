"""What the Census says of a batch of homes: each address's Geocoder match and the ACS
5-year figures of their ZCTAs and tracts, from the caches or else from the APIs.

Answers are reused for `ttl_seconds` (in memory, at most `entries` of each kind, and the
Geocoder's in the `geocode_cache` table too), then asked again. Nothing here runs in the
batch's transaction: the cache table is read and written on connections of their own (a
match is worth keeping whatever becomes of the batch). An API that does not answer is
counted and the batch goes on without it (the callers fall back).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.enricher import store
from services.enricher.cache import ExpiringCache
from services.enricher.census import (
    AddressQuery,
    CensusAcs,
    CensusGeocoder,
    CensusUnavailable,
    tract_requests,
)
from services.enricher.concurrency import concurrently
from services.enricher.enrich import GeocoderOutcome, ParsedHome

Figures = dict[str, Any]


@dataclass(frozen=True)
class CensusAnswers:
    """What the Census said of a batch: each address's match and how it was found, the
    ACS figures by ZCTA and by tract GEOID."""

    geocodes: dict[str, tuple[Figures | None, GeocoderOutcome]]
    by_zcta: dict[str, Figures | None]
    by_tract: dict[str, Figures | None]


@dataclass
class CensusLookup:
    """The Geocoder's and the ACS API's answers for batches, with their caches; either
    client may be off (None)."""

    sessions: async_sessionmaker
    unavailable: Counter
    geocoder: CensusGeocoder | None
    acs: CensusAcs | None
    ttl_seconds: float
    entries: int

    def __post_init__(self) -> None:
        self.matches: ExpiringCache[Figures | None] = ExpiringCache(self.ttl_seconds, self.entries)
        self.zctas: ExpiringCache[Figures | None] = ExpiringCache(self.ttl_seconds, self.entries)
        self.tracts: ExpiringCache[Figures | None] = ExpiringCache(self.ttl_seconds, self.entries)

    async def answers(
        self, addresses: dict[str, ParsedHome], zip_codes: list[str]
    ) -> CensusAnswers:
        """What the Census says of the batch: the cached matches, the other addresses in
        one geocoder batch request alongside the ZCTAs' ACS figures, then the figures of
        the tracts the homes are in while the new matches are saved. Off the batch's
        transaction: this runs while the batch's homes are locked and loaded."""
        cached = await self._cached_geocodes(addresses)
        asked = [key for key in addresses if key not in cached]
        answered, by_zcta = await concurrently(
            self._geocoder_answers(addresses, asked), self._acs_zctas(zip_codes)
        )
        found = {**cached, **(answered or {})}
        outcomes: dict[str, tuple[Figures | None, GeocoderOutcome]]
        if self.geocoder is None:
            outcomes = {key: (None, "disabled") for key in addresses}
        else:
            outcomes = {
                key: (found[key], "matched" if found[key] else "no_match")
                if key in found
                else (None, "unavailable")
                for key in addresses
            }
        tracts = sorted({match["tract"] for match in found.values() if match and match["tract"]})
        by_tract, _ = await concurrently(self._acs_tracts(tracts), self._save(answered or {}))
        return CensusAnswers(outcomes, by_zcta, by_tract)

    async def _cached_geocodes(self, addresses: dict[str, ParsedHome]) -> dict[str, Figures | None]:
        """The Census matches still fresh of the batch's addresses: from memory, else from
        the cache table, read on a connection of its own (None: the Census has no match)."""
        if self.geocoder is None:
            return {}
        found = self.matches.fresh(addresses)
        if missing := [key for key in addresses if key not in found]:
            async with self.sessions() as session:
                cached = await store.load_geocodes(session, missing, self.ttl_seconds)
            for key, (match, age_seconds) in cached.items():
                self.matches.remember(key, match, age_seconds)
                found[key] = match
        return found

    async def _save(self, matches: dict[str, Figures | None]) -> None:
        if matches:
            async with self.sessions() as session, session.begin():
                await store.save_geocodes(session, matches)

    async def _geocoder_answers(
        self, addresses: dict[str, ParsedHome], asked: list[str]
    ) -> dict[str, Figures | None] | None:
        """The geocoder's match of each asked address (None: no match); None when the
        Census did not answer."""
        if self.geocoder is None or not asked:
            return {}
        try:
            located = await self.geocoder.locate(
                [_query(str(index), addresses[key]) for index, key in enumerate(asked)]
            )
        except CensusUnavailable:
            self.unavailable.labels("geocoder").inc()
            return None
        answers = {}
        for index, key in enumerate(asked):
            match = located.get(str(index))
            answers[key] = match.as_json() if match else None
            self.matches.remember(key, answers[key])
        return answers

    async def _acs_zctas(self, zip_codes: list[str]) -> dict[str, Figures | None]:
        """The ACS figures of each ZCTA: cached, else all unknown ones in one request."""
        if self.acs is None:
            return {}
        known = self.zctas.fresh(zip_codes)
        if missing := [code for code in zip_codes if code not in known]:
            self._remember(self.zctas, await self._acs_answer(self.acs.zctas(missing)))
        return self.zctas.fresh(zip_codes)

    async def _acs_tracts(self, tracts: list[str]) -> dict[str, Figures | None]:
        """The ACS figures of each tract (by GEOID): cached, else asked at once, one
        request per county."""
        if self.acs is None or not tracts:
            return {}
        known = self.tracts.fresh(tracts)
        requests = tract_requests(tract for tract in tracts if tract not in known)
        answers = await concurrently(
            *(self._acs_answer(self.acs.tracts(*request)) for request in requests)
        )
        for answered in answers:
            self._remember(self.tracts, answered)
        return self.tracts.fresh(tracts)

    async def _acs_answer(
        self, ask: Awaitable[dict[str, Figures | None]]
    ) -> dict[str, Figures | None]:
        try:
            return await ask
        except CensusUnavailable:
            self.unavailable.labels("acs").inc()
            return {}

    @staticmethod
    def _remember(cache: ExpiringCache[Figures | None], answers: dict[str, Figures | None]) -> None:
        for code, figures in answers.items():
            cache.remember(code, figures)


def _query(ident: str, home: ParsedHome) -> AddressQuery:
    address = home.address
    return AddressQuery(ident, address.street, address.city, address.state, address.zip_code)
