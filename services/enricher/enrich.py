"""Turning a raw listing into a normalised, enriched property. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.enricher.listing import ListingFacts, read_listing
from services.enricher.normalize import AddressError, normalize_address
from services.enricher.reference import (
    ACS_DEMOGRAPHICS,
    ACS_INCOME,
    SOURCE_NAMES,
    USZIPS,
    ReferenceData,
)


class UnusableListing(ValueError):
    """The listing lacks what a property needs (an address we can key)."""


@dataclass(frozen=True)
class EnrichedProperty:
    property_key: str
    columns: dict[str, Any]
    enrichment_data: dict[str, Any]
    enrichment_sources: list[dict[str, Any]]
    fields_enriched: list[str]


def enrich_listing(
    payload: dict[str, Any], source: str, reference: ReferenceData
) -> EnrichedProperty:
    facts = read_listing(payload)
    if not facts.street:
        raise UnusableListing("listing has no street address")
    try:
        address = normalize_address(facts.street, facts.city, facts.state, facts.zip_code)
    except AddressError as error:
        raise UnusableListing(str(error)) from error
    if not address.zip_code and not (address.city and address.state):
        raise UnusableListing("listing has neither a ZIP code nor a city and state")

    columns = _columns(facts, address.line, address.city, address.state, address.zip_code)
    provenance = {name: source for name, value in columns.items() if value is not None}
    data: dict[str, Any] = {}
    sources: list[dict[str, Any]] = [{"name": source, "kind": "listing"}]
    zip_code = address.zip_code
    location = reference.zips.get(zip_code) if zip_code else None
    if location:
        data["location"] = {**location, "precision": "zip_centroid"}
        sources.append({"name": SOURCE_NAMES[USZIPS], "kind": "reference", "key": zip_code})
        for name in ("city", "state"):
            if columns[name] is None:
                columns[name] = location[name]
                provenance[name] = SOURCE_NAMES[USZIPS]
        if columns["latitude"] is None or columns["longitude"] is None:
            columns["latitude"], columns["longitude"] = location["latitude"], location["longitude"]
            provenance["latitude"] = provenance["longitude"] = SOURCE_NAMES[USZIPS]
        elif "latitude" in provenance:
            data["location"]["precision"] = "listing"
    demographics: dict[str, Any] = {}
    for table, source_file in (
        (reference.income, ACS_INCOME),
        (reference.demographics, ACS_DEMOGRAPHICS),
    ):
        found = table.get(zip_code) if zip_code else None
        if found:
            demographics.update(found)
            sources.append(
                {"name": SOURCE_NAMES[source_file], "kind": "reference", "key": zip_code}
            )
    if demographics:
        data["demographics"] = {"zcta": zip_code, **demographics}
    if reference.missing:
        data["unavailable"] = sorted(reference.missing)
    data["provenance"] = provenance
    fields_enriched = sorted(
        {name for name, origin in provenance.items() if origin != source}
        | {f"location.{key}" for key in data.get("location", {})}
        | {f"demographics.{key}" for key in demographics}
    )
    return EnrichedProperty(
        property_key=address.key,
        columns=columns,
        enrichment_data=data,
        enrichment_sources=sources,
        fields_enriched=fields_enriched,
    )


def _columns(
    facts: ListingFacts, line: str, city: str | None, state: str | None, zip_code: str | None
) -> dict[str, Any]:
    return {
        "address": line,
        "city": city,
        "state": state,
        "zip_code": zip_code,
        "property_type": facts.property_type,
        "listing_type": facts.listing_type,
        "bedrooms": facts.bedrooms,
        "bathrooms": facts.bathrooms,
        "sqft": facts.sqft,
        "lot_size": facts.lot_size,
        "year_built": facts.year_built,
        "price": facts.price,
        "latitude": facts.latitude,
        "longitude": facts.longitude,
    }
