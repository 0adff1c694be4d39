from pathlib import Path

import pytest

from services.enricher.enrich import UnusableListing, enrich_listing
from services.enricher.listing import read_listing
from services.enricher.quality import measure
from services.enricher.reference import ReferenceData
from tests.conftest import DATA_DIR

SCRAPED_PAYLOAD = {
    "listing_id": "DM-000001",
    "address": "1200 Maple Street",
    "city": "Redmond",
    "state": "WA",
    "zip_code": "98052",
    "property_type": "single_family",
    "bedrooms": 3,
    "bathrooms": 2.5,
    "sqft": 1980,
    "lot_size": 10_890.0,
    "year_built": 1994,
    "price": 625_000.0,
    "jsonld": [{"@type": "RealEstateListing"}],
}


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return ReferenceData.load(DATA_DIR)


def test_the_facts_the_scraper_parsed_are_read() -> None:
    facts = read_listing(SCRAPED_PAYLOAD)
    assert (facts.street, facts.city, facts.state, facts.zip_code) == (
        "1200 Maple Street",
        "Redmond",
        "WA",
        "98052",
    )
    assert facts.property_type == "single_family"
    assert (facts.bedrooms, facts.bathrooms, facts.sqft) == (3, 2.5, 1980)
    assert facts.lot_size == pytest.approx(0.25 * 43_560)
    assert read_listing({**SCRAPED_PAYLOAD, "property_type": "Single-Family"}).property_type == (
        "single_family"
    )
    assert (facts.year_built, facts.price) == (1994, 625_000.0)


def test_flat_records_are_read_too() -> None:
    facts = read_listing(
        {"address": "5 Elm St", "zip": "98103", "price": "$410,000", "bedrooms": "2"}
    )
    assert (facts.street, facts.zip_code, facts.price, facts.bedrooms) == (
        "5 Elm St",
        "98103",
        410_000.0,
        2,
    )


def test_enrichment_adds_zip_centroid_and_census_figures(reference: ReferenceData) -> None:
    enriched = enrich_listing(SCRAPED_PAYLOAD, "demo", reference)
    assert enriched.property_key == "1200 MAPLE ST||98052"
    location = enriched.enrichment_data["location"]
    assert location["precision"] == "zip_centroid"
    assert location["county"] == "King"
    assert enriched.columns["latitude"] == pytest.approx(47.6813)
    demographics = enriched.enrichment_data["demographics"]
    assert demographics["median_household_income"] == 111129.0
    assert demographics["median_rent"] == 1301.0
    assert enriched.enrichment_data["provenance"]["latitude"] == "zip_centroids"
    assert enriched.enrichment_data["provenance"]["price"] == "demo"
    assert "location.county" in enriched.fields_enriched


def test_without_reference_data_nothing_is_invented(tmp_path: Path) -> None:
    enriched = enrich_listing(SCRAPED_PAYLOAD, "demo", ReferenceData.load(tmp_path))
    assert "location" not in enriched.enrichment_data
    assert "demographics" not in enriched.enrichment_data
    assert enriched.columns["latitude"] is None
    assert len(enriched.enrichment_data["unavailable"]) == 3


def test_suppressed_census_values_are_left_out_and_top_codes_flagged(
    reference: ReferenceData,
) -> None:
    assert "00786" not in reference.income  # the Census wrote "-" for this ZCTA
    assert "00786" in reference.zips
    top_coded = reference.income["07078"]  # written "250,000+"
    assert top_coded["median_household_income"] == 250_000.0
    assert top_coded["median_household_income_top_coded"] is True
    assert reference.income["98052"]["median_household_income_top_coded"] is False


def test_a_listing_without_address_is_unusable(reference: ReferenceData) -> None:
    with pytest.raises(UnusableListing, match="no street address"):
        enrich_listing({"price": 100_000}, "demo", reference)


def test_quality_reports_completeness_and_broken_rules() -> None:
    completeness, validation = measure(
        {"address": "1 A ST", "price": 50.0, "sqft": 1500, "year_built": 3000}
    )
    assert completeness.value == pytest.approx(100 * 4 / 13, abs=0.01)
    assert not completeness.is_passing
    assert validation.details["failed_rules"] == ["price_in_range", "year_built_in_range"]
    assert not validation.is_passing
