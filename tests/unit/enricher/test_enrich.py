from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.enricher.enrich import (
    EnrichedProperty,
    UnusableListing,
    demographics,
    enrich,
    locate,
    market_position,
    parse_listing,
)
from services.enricher.merge import Observation, merge
from services.enricher.quality import measure
from services.enricher.reference import ReferenceData
from shared.listing import Listing, listing_from_payload
from tests.conftest import DATA_DIR

SEEN = datetime(2026, 12, 1, 12, tzinfo=UTC)
LISTING = Listing(
    source="demo",
    source_id="DM-000001",
    status="for_sale",
    street="1200 Maple Street",
    city="Redmond",
    state="WA",
    zip_code="98052",
    property_type="single_family",
    bedrooms=3,
    bathrooms=2.5,
    sqft=1980,
    lot_sqft=10_890.0,
    year_built=1994,
    price=625_000.0,
)
CENSUS_MATCH = {
    "latitude": 47.6801,
    "longitude": -122.1201,
    "matched_address": "1200 MAPLE ST, REDMOND, WA, 98052",
    "exact": True,
    "county_fips": "53033",
    "tract": "53033032321",
}


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return ReferenceData.load(DATA_DIR)


def enriched(
    listing: Listing,
    reference: ReferenceData,
    census: dict | None = None,
    acs: dict | None = None,
    market: dict | None = None,
    tract_acs: dict | None = None,
) -> EnrichedProperty:
    home = parse_listing(listing)
    merged = merge([Observation(home.listing, SEEN)])
    zip_code = merged.listing.zip_code
    outcome = "matched" if census else "disabled"
    location = locate(merged.listing, census, outcome, reference)
    area = demographics(zip_code, reference, by_zcta=acs, by_tract=tract_acs)
    zip_place = reference.zips.get(zip_code) if zip_code else None
    return enrich(home, merged, zip_place, location, area, market, date(2026, 12, 3))


def test_a_version_1_payload_of_flat_facts_is_read_as_a_listing() -> None:
    listing = listing_from_payload(
        {"address": "5 Elm St", "zip": "98103", "price": "$410,000", "bedrooms": "2",
         "lot_size": 10_890.0, "property_type": "Single-Family", "listing_type": "for_sale"},
        "demo",
        "DM-1",
        None,
    )  # fmt: skip
    assert (listing.street, listing.zip_code, listing.price, listing.bedrooms) == (
        "5 Elm St",
        "98103",
        410_000.0,
        2,
    )


def test_the_normalised_address_travels_on_the_listing(reference: ReferenceData) -> None:
    result = enriched(LISTING.model_copy(update={"unit": "Apt 4"}), reference)
    assert result.property_key == "1200 MAPLE ST|4|98052"
    assert (result.listing.street, result.listing.unit) == ("1200 MAPLE ST", "APT 4")
    assert result.columns["address"] == "1200 MAPLE ST APT 4"
    assert result.listing.latitude == result.columns["latitude"]


def test_without_coordinates_the_zip_centroid_is_used_and_said(reference: ReferenceData) -> None:
    result = enriched(LISTING, reference)
    location = result.enrichment_data["location"]
    assert (location["precision"], location["source"]) == ("zip_centroid", "zip_centroids")
    assert location["county"] == "King"
    assert result.columns["latitude"] == pytest.approx(47.6813)
    assert result.columns["location_precision"] == "zip_centroid"
    assert result.enrichment_data["provenance"]["latitude"] == "zip_centroids"
    assert result.enrichment_data["provenance"]["price"] == "demo"
    codes = [w["code"] for w in result.enrichment_data["quality"]["warnings"]]
    assert "location_zip_centroid" in codes


def test_the_listings_own_coordinates_are_labelled_listing_and_kept(
    reference: ReferenceData,
) -> None:
    result = enriched(
        LISTING.model_copy(update={"latitude": 47.4174, "longitude": -122.2}), reference
    )
    location = result.enrichment_data["location"]
    assert location["precision"] == "listing"
    assert (result.columns["latitude"], location["latitude"]) == (47.4174, 47.4174)
    assert result.listing.latitude == 47.4174


def test_a_census_match_wins_with_county_and_tract(reference: ReferenceData) -> None:
    result = enriched(
        LISTING.model_copy(update={"latitude": 47.4174, "longitude": -122.2}),
        reference,
        census=CENSUS_MATCH,
    )
    location = result.enrichment_data["location"]
    assert location["precision"] == "interpolated"
    assert (location["county_fips"], location["census_tract"]) == ("53033", "53033032321")
    assert (result.columns["census_tract"], result.columns["latitude"]) == (
        "53033032321",
        47.6801,
    )


def test_offline_census_figures_fill_what_they_have_and_warn_of_the_rest(
    reference: ReferenceData,
) -> None:
    result = enriched(LISTING, reference)
    figures = result.enrichment_data["demographics"]
    assert figures["median_household_income"] == 111129.0
    assert figures["median_rent"] == 1301.0
    assert figures["median_home_value"] is None
    (warning,) = [
        w
        for w in result.enrichment_data["quality"]["warnings"]
        if w["code"] == "demographics_missing"
    ]
    assert "median_home_value" in warning["fields"]
    assert "median_household_income" not in warning["fields"]


ZCTA_ACS = {
    "median_household_income": 150_000.0,
    "median_home_value": 900_000.0,
    "median_gross_rent": 2_400.0,
    "population": 70_000.0,
    "vacancy_rate_percent": 4.2,
    "owner_occupied_percent": 61.0,
    "source": "census_acs5_2022",
    "geography": "zcta",
    "geoid": "98052",
}


def test_the_acs_api_figures_win_over_the_offline_files(reference: ReferenceData) -> None:
    figures = enriched(LISTING, reference, acs=ZCTA_ACS).enrichment_data["demographics"]
    assert figures["median_household_income"] == 150_000.0
    assert figures["field_sources"]["median_home_value"] == "census_acs5_2022"
    assert (figures["geography"], figures["tract"]) == ("zcta", None)
    assert figures["median_rent"] == 1301.0


def test_the_tracts_figures_win_and_the_zctas_fill_what_the_tract_lacks(
    reference: ReferenceData,
) -> None:
    tract = {
        **ZCTA_ACS,
        "median_household_income": 181_000.0,
        "median_home_value": None,
        "geography": "tract",
        "geoid": "53033032321",
    }
    result = enriched(LISTING, reference, census=CENSUS_MATCH, acs=ZCTA_ACS, tract_acs=tract)
    figures = result.enrichment_data["demographics"]
    assert (figures["geography"], figures["tract"]) == ("tract", "53033032321")
    assert figures["median_household_income"] == 181_000.0
    assert figures["median_home_value"] == 900_000.0
    assert figures["field_geographies"]["median_household_income"] == "tract"
    assert figures["field_geographies"]["median_home_value"] == "zcta"
    assert {"name": "census_acs5_2022", "kind": "api", "key": "53033032321"}.items() <= (
        result.enrichment_sources[-2].items()
    )


def test_without_reference_data_nothing_is_invented(tmp_path: Path) -> None:
    result = enriched(LISTING, ReferenceData.load(tmp_path))
    assert "location" not in result.enrichment_data
    assert "demographics" not in result.enrichment_data
    assert result.columns["latitude"] is None
    codes = [w["code"] for w in result.enrichment_data["quality"]["warnings"]]
    assert {"location_unknown", "demographics_missing"} <= set(codes)


def test_the_market_position_compares_the_home_with_its_zip() -> None:
    market = {"median_price_per_sqft": 250.0, "median_days_on_market": 20.0, "active_listings": 9}
    position = market_position(
        {"listing_type": "for_sale", "price": 600_000.0, "sqft": 2_000, "days_on_market": 30},
        market,
    )
    assert position is not None
    assert position["position"] == {
        "price_per_sqft": 300.0,
        "price_per_sqft_vs_median_percent": 20.0,
        "days_on_market": 30,
        "days_on_market_vs_median": 10.0,
    }


def test_suppressed_census_values_are_left_out_and_top_codes_flagged(
    reference: ReferenceData,
) -> None:
    assert "00786" not in reference.income
    top_coded = reference.income["07078"]
    assert top_coded["median_household_income"] == 250_000.0
    assert top_coded["median_household_income_top_coded"] is True


def test_a_listing_without_address_is_unusable() -> None:
    with pytest.raises(UnusableListing, match="no street address"):
        parse_listing(LISTING.model_copy(update={"street": None}))


def test_an_unparseable_address_is_kept_and_flagged(reference: ReferenceData) -> None:
    result = enriched(LISTING.model_copy(update={"street": "Lot 7 Whispering Pines"}), reference)
    assert result.columns["address_kind"] == "unparsed"
    assert result.enrichment_data["address"]["parsed"] is False
    assert "address_parsed" in result.enrichment_data["quality"]["failed_rules"]


def test_quality_reports_completeness_and_broken_rules() -> None:
    completeness, validation = measure(
        {"address": "1 A ST", "price": 50.0, "sqft": 1500, "year_built": 3000}
    )
    assert completeness.value == pytest.approx(100 * 4 / 13, abs=0.01)
    assert not completeness.is_passing
    assert validation.details["failed_rules"] == ["price_in_range", "year_built_in_range"]
    assert not validation.is_passing
