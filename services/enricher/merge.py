"""One home from several sources: the merged facts, where each came from, what lost.

Zillow, Redfin, Realtor.com and a county feed describe the same home in different words
and at different times. Each source's latest listing of the home is an `Observation`; the
home's facts are merged field by field under one stated rule:

    the value of the most recent observation that knows the field wins;
    between observations of the same moment, the more trusted source wins
    (`SOURCE_TRUST`), then the source name, so the result never depends on arrival order.

A source that does not know a field (None, an empty list) never erases what another one
said. Every winning value keeps its origin (source, listing id, when it was seen) and every
losing value is kept beside it, so an analyst can see the disagreement. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.listing import Listing, PriceEvent

MERGED_FIELDS: tuple[str, ...] = (
    "url", "status", "price", "sold_price", "sold_date", "list_date",
    "street", "unit", "city", "state", "zip_code", "latitude", "longitude",
    "property_type", "bedrooms", "bathrooms", "bathrooms_full", "bathrooms_half", "sqft",
    "lot_sqft", "year_built", "year_renovated", "stories", "hoa_fee", "days_on_market",
    "mls_id", "photos", "description", "tax_assessed_value", "tax_annual_amount", "broker",
    "distress_signals",
)  # fmt: skip

# Public-record feeds are the county's own books; the portals copy the MLS; the demo
# market and generic JSON-LD pages are the least vouched for.
SOURCE_TRUST: dict[str, int] = {"feed": 4, "realtor": 3, "redfin": 3, "zillow": 2}
DEFAULT_TRUST = 1


def trust(source: str) -> int:
    """How much a source is trusted when observations tie; `feed:<name>` is a feed."""
    return SOURCE_TRUST.get(source.split(":", 1)[0], DEFAULT_TRUST)


@dataclass(frozen=True)
class Observation:
    """One source's latest listing of a home and when the platform saw it."""

    listing: Listing
    observed_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.listing.source}:{self.listing.source_id}"

    def origin(self) -> dict[str, Any]:
        return {
            "source": self.listing.source,
            "source_id": self.listing.source_id,
            "observed_at": self.observed_at.isoformat(),
        }

    def rank(self) -> tuple[datetime, int, str]:
        return (self.observed_at, trust(self.listing.source), self.ref)


@dataclass(frozen=True)
class MergedHome:
    """The home's facts as one listing (`source` is the latest observation's), the origin
    of each field and the values that lost."""

    listing: Listing
    provenance: dict[str, dict[str, Any]]
    alternatives: dict[str, list[dict[str, Any]]]
    sources: list[dict[str, Any]]


def _known(value: Any) -> bool:
    return value is not None and value != ()


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def merge(observations: list[Observation]) -> MergedHome:
    """The merged home of at least one observation (see the module doc)."""
    ranked = sorted(observations, key=Observation.rank, reverse=True)
    latest = ranked[0]
    origins = {item.ref: item.origin() for item in ranked}
    facts: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    alternatives: dict[str, list[dict[str, Any]]] = {}
    for name in MERGED_FIELDS:
        knowing = [item for item in ranked if _known(getattr(item.listing, name))]
        if not knowing:
            continue
        winner = knowing[0]
        value = getattr(winner.listing, name)
        facts[name] = value
        provenance[name] = origins[winner.ref]
        losers = [
            {"value": _jsonable(getattr(item.listing, name)), **origins[item.ref]}
            for item in knowing[1:]
            if getattr(item.listing, name) != value
        ]
        if losers:
            alternatives[name] = losers
    facts["price_history"] = _price_history(ranked)
    listing = latest.listing.model_copy(update=facts)
    sources = [origins[item.ref] for item in ranked]
    return MergedHome(listing, provenance, alternatives, sources)


def _price_history(observations: list[Observation]) -> tuple[PriceEvent, ...]:
    """Every source's history lines, each once, newest first."""
    lines = {
        (line.event_date, line.event, line.price): line
        for item in reversed(observations)
        for line in item.listing.price_history
    }
    return tuple(
        sorted(lines.values(), key=lambda line: (line.event_date is not None, line.event_date),
               reverse=True)
    )  # fmt: skip


def changed_fields(before: Listing | None, after: Listing) -> dict[str, tuple[Any, Any]]:
    """The facts that differ between two merged versions of a home, as JSON values."""
    if before is None:
        return {}
    return {
        name: (_jsonable(getattr(before, name)), _jsonable(getattr(after, name)))
        for name in MERGED_FIELDS
        if getattr(before, name) != getattr(after, name)
    }


@dataclass(frozen=True)
class Turn:
    """One arriving observation merged into what the home was just before it: `arrival` is
    its position among the arriving ones, `changes` what it changed (see `changed_fields`)."""

    arrival: int
    merged: MergedHome
    changes: dict[str, tuple[Any, Any]]


def merge_in_turn(
    known: dict[str, Observation], arriving: list[Observation]
) -> tuple[dict[str, Observation], MergedHome, list[Turn]]:
    """The home's observations and merged facts once `arriving` is added to what was
    `known`, and each arriving observation's turn.

    The arriving observations are merged one at a time, in the order the platform saw them
    (`Observation.rank`), as if each had come alone: a batch holding two sources' listings
    of one home records the same changes as their arrival one after the other. A home seen
    for the first time changes nothing with its first observation; a listing older than the
    one already known from the same source takes no turn.
    """
    observations = dict(known)
    merged = merge(list(observations.values())) if observations else None
    turns: list[Turn] = []
    for arrival, item in sorted(enumerate(arriving), key=lambda pair: pair[1].rank()):
        previous = observations.get(item.ref)
        if previous is not None and previous.observed_at > item.observed_at:
            continue
        observations[item.ref] = item
        after = merge(list(observations.values()))
        before = merged.listing if merged else None
        turns.append(Turn(arrival, after, changed_fields(before, after.listing)))
        merged = after
    if merged is None:
        raise ValueError("a home needs at least one observation")
    return observations, merged, turns
