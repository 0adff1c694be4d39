"""Turning a scraped listing into a normalised, enriched property. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.enricher.normalize import (
    UNIT_DESIGNATORS,
    AddressError,
    NormalizedAddress,
    normalize_address,
)
from services.enricher.quality import quality_summary
from services.enricher.reference import (
    ACS_DEMOGRAPHICS,
    ACS_INCOME,
    SOURCE_NAMES,
    USZIPS,
    ReferenceData,
)
from shared.listing import Listing


class UnusableListing(ValueError):
    """The listing lacks what a property needs (an address we can key)."""


@dataclass(frozen=True)
class EnrichedProperty:
    property_key: str
    listing: Listing
    columns: dict[str, Any]
    enrichment_data: dict[str, Any]
    enrichment_sources: list[dict[str, Any]]
    fields_enriched: list[str]


def enrich_listing(listing: Listing, reference: ReferenceData) -> EnrichedProperty:
    source = listing.source
    if not listing.street:
        raise UnusableListing("listing has no street address")
    try:
        address = normalize_address(
            _street_with_unit(listing.street, listing.unit),
            listing.city,
            listing.state,
            listing.zip_code,
        )
    except AddressError as error:
        raise UnusableListing(str(error)) from error
    if not address.zip_code and not (address.city and address.state):
        raise UnusableListing("listing has neither a ZIP code nor a city and state")

    columns = _columns(listing, address)
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
    data["quality"] = quality_summary(columns)
    fields_enriched = sorted(
        {name for name, origin in provenance.items() if origin != source}
        | {f"location.{key}" for key in data.get("location", {})}
        | {f"demographics.{key}" for key in demographics}
    )
    normalised = listing.model_copy(
        update={
            "street": address.street,
            "unit": address.unit,
            "city": columns["city"],
            "state": columns["state"],
            "zip_code": columns["zip_code"],
            "latitude": columns["latitude"],
            "longitude": columns["longitude"],
        }
    )
    return EnrichedProperty(
        property_key=address.key,
        listing=normalised,
        columns=columns,
        enrichment_data=data,
        enrichment_sources=sources,
        fields_enriched=fields_enriched,
    )


def _street_with_unit(street: str, unit: str | None) -> str:
    """One street line for the normaliser: `Apt 4` keeps its designator, a bare `4` gets `#`."""
    if not unit:
        return street
    designator = unit.split()[0].upper().rstrip(".")
    return f"{street} {unit}" if designator in UNIT_DESIGNATORS else f"{street} # {unit}"


def _columns(listing: Listing, address: NormalizedAddress) -> dict[str, Any]:
    """The `properties` columns of a listing, under its normalised address."""
    return {
        "address": address.line,
        "city": address.city,
        "state": address.state,
        "zip_code": address.zip_code,
        "property_type": listing.property_type,
        "listing_type": listing.status,
        "bedrooms": listing.bedrooms,
        "bathrooms": listing.bathrooms,
        "sqft": None if listing.sqft is None else round(listing.sqft),
        "lot_size": listing.lot_sqft,
        "year_built": listing.year_built,
        "price": listing.price,
        "latitude": listing.latitude,
        "longitude": listing.longitude,
    }
