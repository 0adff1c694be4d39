from pathlib import Path

import pytest

from services.enricher.enrich import UnusableListing, enrich_listing
from services.enricher.quality import measure
from services.enricher.reference import ReferenceData
from shared.listing import Listing, listing_from_payload
from tests.conftest import DATA_DIR

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


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return ReferenceData.load(DATA_DIR)


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
    assert (listing.lot_sqft, listing.property_type, listing.status) == (
        10_890.0,
        "single_family",
        "for_sale",
    )


def test_the_normalised_address_travels_on_the_listing(reference: ReferenceData) -> None:
    enriched = enrich_listing(LISTING.model_copy(update={"unit": "Apt 4"}), reference)
    assert enriched.property_key == "1200 MAPLE ST|4|98052"
    assert (enriched.listing.street, enriched.listing.unit) == ("1200 MAPLE ST", "4")
    assert enriched.columns["address"] == "1200 MAPLE ST # 4"
    assert enriched.listing.latitude == enriched.columns["latitude"]


def test_enrichment_adds_zip_centroid_and_census_figures(reference: ReferenceData) -> None:
    enriched = enrich_listing(LISTING, reference)
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
    enriched = enrich_listing(LISTING, ReferenceData.load(tmp_path))
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
        enrich_listing(LISTING.model_copy(update={"street": None}), reference)


def test_quality_reports_completeness_and_broken_rules() -> None:
    completeness, validation = measure(
        {"address": "1 A ST", "price": 50.0, "sqft": 1500, "year_built": 3000}
    )
    assert completeness.value == pytest.approx(100 * 4 / 13, abs=0.01)
    assert not completeness.is_passing
    assert validation.details["failed_rules"] == ["price_in_range", "year_built_in_range"]
    assert not validation.is_passing
