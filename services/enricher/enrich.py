"""Turning a home's merged listing into a normalised, enriched property. Pure: no I/O.

The steps, each a function the handlers call in turn:
- `parse_listing`: the listing's address parsed and keyed (`normalize`), or `UnusableListing`;
- `locate`: where the home is, from the best source that knows: the Census Geocoder's
  match (precision `interpolated`, with county and tract), else the listing's own
  coordinates (`listing`), else the ZIP code's centroid (`zip_centroid`); the county of the
  last two comes from the ZIP reference and says so;
- `demographics`: the ACS 5-year figures of the home's census tract, else its ZCTA's, from
  the ACS API when it answered, else from the offline files; what none gives stays empty
  and is named in a warning;
- `market_position`: the home against its ZIP's market (median $/sq ft, days on market);
- `enrich`: the `properties` columns, `enrichment_data` and what the job used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from services.enricher.merge import MergedHome
from services.enricher.normalize import AddressError, NormalizedAddress, normalize_address
from services.enricher.quality import QualityMeasure, measure, quality_summary
from services.enricher.reference import SOURCE_NAMES, USZIPS, ReferenceData
from shared.listing import Listing

Precision = Literal["interpolated", "listing", "zip_centroid"]
GeocoderOutcome = Literal["matched", "no_match", "unavailable", "disabled", "not_geocodable"]
ACS_FIELDS = (
    "median_household_income",
    "median_home_value",
    "median_gross_rent",
    "population",
    "vacancy_rate_percent",
    "owner_occupied_percent",
)


class UnusableListing(ValueError):
    """The listing lacks what a property needs (an address we can key)."""


@dataclass(frozen=True)
class ParsedHome:
    """A listing with its address parsed, in the platform's address words."""

    address: NormalizedAddress
    listing: Listing

    @property
    def key(self) -> str:
        return self.address.key

    @property
    def geocode_key(self) -> str | None:
        """What the geocoder is asked (the street, not the unit); None for what it cannot
        place: PO boxes, rural routes, unparsed lines."""
        if self.address.kind != "street":
            return None
        place = self.address.zip_code or f"{self.address.city},{self.address.state}"
        return f"{self.address.street}|{place}"


@dataclass(frozen=True)
class EnrichedProperty:
    property_key: str
    listing: Listing
    columns: dict[str, Any]
    enrichment_data: dict[str, Any]
    enrichment_sources: list[dict[str, Any]]
    fields_enriched: list[str]
    quality: list[QualityMeasure]


def parse_listing(listing: Listing) -> ParsedHome:
    if not listing.street:
        raise UnusableListing("listing has no street address")
    street = f"{listing.street} {listing.unit}" if listing.unit else listing.street
    try:
        address = normalize_address(street, listing.city, listing.state, listing.zip_code)
    except AddressError as error:
        raise UnusableListing(str(error)) from error
    if not address.zip_code and not (address.city and address.state):
        raise UnusableListing("listing has neither a ZIP code nor a city and state")
    normalised = listing.model_copy(
        update={
            "street": address.street,
            "unit": address.unit_label,
            "city": address.city,
            "state": address.state,
            "zip_code": address.zip_code,
        }
    )
    return ParsedHome(address, normalised)


def locate(
    listing: Listing,
    census: dict[str, Any] | None,
    outcome: GeocoderOutcome,
    reference: ReferenceData,
) -> dict[str, Any] | None:
    """The home's location with its precision told truthfully (see the module doc)."""
    zip_place = reference.zips.get(listing.zip_code) if listing.zip_code else None
    county = (
        {"county": zip_place["county"], "county_fips": zip_place["county_fips"]}
        if zip_place
        else {}
    )
    if census is not None:
        same_county = county.get("county_fips") == census["county_fips"]
        return {
            "latitude": census["latitude"],
            "longitude": census["longitude"],
            "precision": "interpolated",
            "source": "census_geocoder",
            "matched_address": census["matched_address"],
            "county": county["county"] if same_county else None,
            "county_fips": census["county_fips"],
            "census_tract": census["tract"],
            "geocoder": outcome,
        }
    if listing.latitude is not None and listing.longitude is not None:
        return {
            "latitude": listing.latitude,
            "longitude": listing.longitude,
            "precision": "listing",
            "source": listing.source,
            **county,
            "county_source": SOURCE_NAMES[USZIPS] if county else None,
            "census_tract": None,
            "geocoder": outcome,
        }
    if zip_place and zip_place["latitude"] is not None:
        return {
            "latitude": zip_place["latitude"],
            "longitude": zip_place["longitude"],
            "precision": "zip_centroid",
            "source": SOURCE_NAMES[USZIPS],
            **county,
            "county_source": SOURCE_NAMES[USZIPS],
            "census_tract": None,
            "geocoder": outcome,
        }
    return None


def demographics(
    zcta: str | None,
    reference: ReferenceData,
    by_zcta: dict[str, Any] | None = None,
    by_tract: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The home's ACS figures and the sources used. Each figure comes from the finest level
    that has it: the census tract's (ACS API), the ZCTA's (ACS API), then the offline ZCTA
    files; `field_sources` and `field_geographies` say which, `geography` is the finest
    level that gave any."""
    offline, offline_sources = reference.offline_demographics(zcta) if zcta else ({}, [])
    sources = [{"name": name, "kind": "reference", "key": zcta} for name in offline_sources]
    layers: list[tuple[dict[str, Any], str, str]] = []
    for answer in (by_tract, by_zcta):
        if answer:
            layers.append((answer, answer["source"], answer["geography"]))
            sources.append(
                {
                    "name": answer["source"],
                    "kind": "api",
                    "key": answer["geoid"],
                    "geography": answer["geography"],
                }
            )
    if offline:
        layers.append((offline, offline_sources[0], "zcta"))
    figures: dict[str, Any] = {}
    field_sources: dict[str, str] = {}
    field_geographies: dict[str, str] = {}
    for name in ACS_FIELDS:
        for layer, source, level in layers:
            if layer.get(name) is not None:
                figures[name] = layer[name]
                field_sources[name] = source
                field_geographies[name] = level
                break
    if not figures and not offline:
        return {}, sources
    tract_used = "tract" in field_geographies.values()
    result: dict[str, Any] = {
        "zcta": zcta,
        "tract": by_tract["geoid"] if by_tract and tract_used else None,
        "geography": "tract" if tract_used else "zcta",
        **{name: figures.get(name) for name in ACS_FIELDS},
    }
    result.update({name: value for name, value in offline.items() if name not in result})
    result["field_sources"] = field_sources
    result["field_geographies"] = field_geographies
    return result, sources


def market_position(
    columns: dict[str, Any], market: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The ZIP's market figures and where this home stands against them."""
    if not market:
        return None
    position: dict[str, Any] = {}
    price, sqft = columns.get("price"), columns.get("sqft")
    median = market.get("median_price_per_sqft")
    if columns.get("listing_type") == "for_sale" and price and sqft:
        position["price_per_sqft"] = round(price / sqft, 2)
        if median:
            position["price_per_sqft_vs_median_percent"] = round(
                100 * (price / sqft / median - 1), 1
            )
    days, median_days = columns.get("days_on_market"), market.get("median_days_on_market")
    if days is not None:
        position["days_on_market"] = days
        if median_days is not None:
            position["days_on_market_vs_median"] = round(days - median_days, 1)
    return {**market, "position": position}


def days_on_market(listing: Listing, today: date) -> int | None:
    if listing.list_date is not None:
        return max((today - listing.list_date).days, 0)
    return listing.days_on_market


def list_date(listing: Listing, observed_at: datetime) -> date | None:
    """The day the home was listed, or the day it must have been for its days on market."""
    if listing.list_date is not None or listing.days_on_market is None:
        return listing.list_date
    return date.fromordinal(observed_at.date().toordinal() - listing.days_on_market)


def enrich(
    home: ParsedHome,
    merged: MergedHome,
    zip_place: dict[str, Any] | None,
    location: dict[str, Any] | None,
    area: tuple[dict[str, Any], list[dict[str, Any]]],
    market: dict[str, Any] | None,
    today: date,
) -> EnrichedProperty:
    listing = merged.listing
    figures, area_sources = area
    columns = _columns(home.address, listing)
    provenance = {name: origin["source"] for name, origin in merged.provenance.items()}
    if location:
        columns.update(latitude=location["latitude"], longitude=location["longitude"])
        columns.update(location_precision=location["precision"])
        columns.update(
            county_fips=location.get("county_fips"), census_tract=location.get("census_tract")
        )
        provenance["latitude"] = provenance["longitude"] = location["source"]
    for name in ("city", "state"):
        if columns[name] is None and zip_place:
            columns[name] = zip_place[name]
            provenance[name] = SOURCE_NAMES[USZIPS]
    columns["list_date"] = list_date(
        listing, datetime.fromisoformat(merged.sources[0]["observed_at"])
    )
    dom = days_on_market(listing.model_copy(update={"list_date": columns["list_date"]}), today)
    data: dict[str, Any] = {
        "address": {
            "kind": home.address.kind,
            "line": home.address.line,
            "parsed": home.address.parsed,
        },
        "provenance": provenance,
        "alternatives": merged.alternatives,
        "sources": merged.sources,
    }
    if location:
        data["location"] = location
    if figures:
        data["demographics"] = figures
    position = market_position({**columns, "days_on_market": dom}, market)
    if position:
        data["market"] = position
    warnings = _warnings(home, location, figures)
    quality = measure(columns)
    data["quality"] = {**quality_summary(quality), "warnings": warnings}
    sources = [
        {"name": item["source"], "kind": "listing", "key": item["source_id"]}
        for item in merged.sources
    ]
    if location and location["precision"] != "listing":
        sources.append({"name": location["source"], "kind": "location", "key": home.geocode_key})
    sources.extend(area_sources)
    fields_enriched = sorted(
        {name for name, origin in provenance.items() if origin == SOURCE_NAMES[USZIPS]}
        | {f"location.{key}" for key in data.get("location", {})}
        | {f"demographics.{key}" for key, value in figures.items() if value is not None}
        | {f"market.{key}" for key in data.get("market", {})}
    )
    event_listing = listing.model_copy(
        update={
            "latitude": columns["latitude"],
            "longitude": columns["longitude"],
            "list_date": columns["list_date"],
            "days_on_market": dom,
        }
    )
    return EnrichedProperty(
        property_key=home.key,
        listing=event_listing,
        columns=columns,
        enrichment_data=data,
        enrichment_sources=sources,
        fields_enriched=fields_enriched,
        quality=quality,
    )


def _warnings(
    home: ParsedHome, location: dict[str, Any] | None, figures: dict[str, Any]
) -> list[dict[str, Any]]:
    warnings: list[dict[str, Any]] = []
    if not home.address.parsed:
        warnings.append({"code": "address_unparsed", "detail": home.address.line})
    if location is None:
        warnings.append({"code": "location_unknown"})
    elif location["precision"] == "zip_centroid":
        warnings.append({"code": "location_zip_centroid"})
    missing = [name for name in ACS_FIELDS if figures.get(name) is None]
    if missing:
        warnings.append({"code": "demographics_missing", "fields": missing})
    return warnings


def _columns(address: NormalizedAddress, listing: Listing) -> dict[str, Any]:
    """The `properties` columns of a merged listing, under its normalised address."""
    return {
        "address": address.line,
        "address_kind": address.kind,
        "city": listing.city,
        "state": listing.state,
        "zip_code": listing.zip_code,
        "property_type": listing.property_type,
        "listing_type": listing.status,
        "bedrooms": listing.bedrooms,
        "bathrooms": listing.bathrooms,
        "sqft": listing.sqft,
        "lot_size": listing.lot_sqft,
        "year_built": listing.year_built,
        "price": listing.price,
        "latitude": listing.latitude,
        "longitude": listing.longitude,
        "location_precision": None,
        "county_fips": None,
        "census_tract": None,
    }
