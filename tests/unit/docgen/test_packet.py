from __future__ import annotations

import math

from services.docgen.packet import (
    MAX_COMPONENT_ROWS,
    MAX_LOCATION_ROWS,
    MISSING,
    Row,
    build_packet,
    describe_source,
    display,
    flatten,
    format_money,
    format_number,
    humanize,
    packet_key,
)
from tests.unit.docgen.samples import GENERATED_AT, property_row, score_row


def packet_of(prop: dict | None = None, score: dict | None = None):
    return build_packet(
        prop or property_row(), score or score_row(), generated_at=GENERATED_AT, run_id="run-1"
    )


def test_numbers_read_as_people_write_them() -> None:
    assert format_number(1234567.891) == "1,234,568"
    assert format_number(3.0) == "3"
    assert format_number(2.5) == "2.5"
    assert format_number(72.456) == "72.46"
    assert format_number(0.07341) == "0.0734"
    assert format_number(-3200.77) == "-3,201"
    assert format_number(math.nan) == MISSING
    assert format_number(None) == MISSING


def test_money_has_a_dollar_sign_and_cents_only_when_small() -> None:
    assert format_money(425000) == "$425,000"
    assert format_money(12.5) == "$12.50"
    assert format_money(-1200) == "-$1,200"
    assert format_money(None) == MISSING


def test_money_named_values_get_a_dollar_sign_and_ratios_do_not() -> None:
    assert display(84069.0, "median_household_income") == "$84,069"
    assert display(1081, "medianRent") == "$1,081"
    assert display(1189.1, "rent_estimate_monthly") == "$1,189"
    assert display(14269.2, "gross_rent_annual") == "$14,269"
    assert display(294.12, "price_per_sqft") == "$294"
    assert display(512000, "estimated_value") == "$512,000"
    assert display(5.95, "price_to_income") == "5.95"
    assert display(35.04, "gross_rent_multiplier") == "35.04"
    assert display(1.5, "value") == "1.5"
    assert display(45911.0, "population") == "45,911"


def test_percent_named_values_get_a_percent_sign() -> None:
    assert display(1.627, "cap_rate_percent") == "1.63%"
    assert display(0.238, "rent_to_price_pct") == "0.238%"


def test_years_and_codes_have_no_thousands_separator() -> None:
    assert display(2016, "year") == "2016"
    assert display(53033, "county_fips") == "53033"


def test_other_json_values_are_readable() -> None:
    assert display(None) == MISSING
    assert display(True) == "Yes"
    assert display(["a", 1, 2.5]) == "a, 1, 2.5"
    assert display([{"price": 1}, {"price": 2}]) == "2 entries"
    assert display("x" * 500).endswith("…")
    assert len(display("x" * 500)) == 160


def test_keys_become_labels() -> None:
    assert humanize("median_household_income") == "Median household income"
    assert humanize("roi_estimate") == "ROI estimate"
    assert humanize("medianRent") == "Median rent"
    assert humanize("price_per_sqft") == "Price per sq ft"
    assert humanize("zip_centroid") == "ZIP centroid"
    assert humanize("cap_rate_percent") == "Cap rate %"


def test_nested_objects_flatten_into_labelled_rows_in_key_order() -> None:
    rows = flatten({"shap": {"sqft": 12345.2, "zip_code": -3200.77}, "cap_rate": 0.0612})
    assert rows == [
        Row("Cap rate", "0.0612"),
        Row("SHAP \u203a Sq ft", "12,345"),
        Row("SHAP \u203a ZIP code", "-3,201"),
    ]


def test_numbered_keys_are_listed_in_natural_order() -> None:
    rows = flatten({"feature_10": 1, "feature_2": 2, "feature_1": 3})
    assert [row.label for row in rows] == ["Feature 1", "Feature 2", "Feature 10"]


def test_packet_carries_facts_scores_and_provenance() -> None:
    packet = packet_of()
    facts = {row.label: row.value for row in packet.facts}
    assert packet.address == "1234 Lakeview Dr"
    assert packet.locality == "Seattle, WA 98103"
    assert facts["Property type"] == "Single family"
    assert facts["Living area"] == "1,700 sq ft"
    assert facts["List price"] == "$500,000"
    assert facts["Price per sq ft"] == "$294"
    assert "Estimated value" not in facts
    assert packet.overall_score == "72.5"
    scores = {row.label: row.value for row in packet.scores}
    assert scores["Overall score"] == "72.5 / 100"
    assert scores["ROI estimate"] == "1.63%"
    assert scores["Model version"] == "transparent-v1"
    components = {row.label: row.value for row in packet.components.items}
    assert components["Assumptions \u203a Vacancy rate"] == "0.05"
    assert components["Cap rate %"] == "1.63%"
    assert components["Net operating income"] == "$8,133"
    assert components["Meets one percent rule"] == "No"
    assert components["Missing facts"] == MISSING
    location = {row.label: row.value for row in packet.location.items}
    assert location["Coordinates"] == "47.6733, -122.3425"
    assert location["Location \u203a County FIPS"] == "53033"
    assert location["Demographics \u203a Median household income"] == "$84,069"
    assert location["Demographics \u203a Median household income top coded"] == "No"
    assert not any(label.startswith("Provenance") for label in location)
    assert packet.sources.items == (
        "zillow (Kind: listing)",
        "census_acs_2016_b19013 (Key: 98103; Kind: reference)",
    )
    assert packet.field_origins == (
        "zillow: Address, Price",
        "zip_centroids: Latitude, Longitude",
    )
    assert packet.listing_source == "zillow — http://127.0.0.1:9180/homes/1"
    assert packet.generated_at == "2025-11-27 14:30:05 UTC"
    assert packet.run_id == "run-1"


def test_unknown_facts_show_a_dash_instead_of_a_guess() -> None:
    prop = property_row(
        price=None, sqft=None, bedrooms=None, property_type=None, latitude=None, year_built=None
    )
    facts = dict((row.label, row.value) for row in packet_of(prop).facts)
    assert facts["List price"] == MISSING
    assert facts["Price per sq ft"] == MISSING
    assert facts["Living area"] == MISSING
    assert facts["Bedrooms"] == MISSING
    assert facts["Property type"] == MISSING
    assert facts["Year built"] == MISSING
    assert "Coordinates" not in {row.label for row in packet_of(prop).location.items}


def test_long_component_and_location_lists_are_cut_and_counted() -> None:
    components = {f"feature_{index:03}": index / 7 for index in range(50)}
    enrichment = {f"figure_{index:03}": index for index in range(40)}
    packet = packet_of(
        property_row(enrichment_data=enrichment, latitude=None),
        score_row(score_components=components),
    )
    assert len(packet.components.items) == MAX_COMPONENT_ROWS
    assert packet.components.omitted == 50 - MAX_COMPONENT_ROWS
    assert len(packet.location.items) == MAX_LOCATION_ROWS
    assert packet.location.omitted == 40 - MAX_LOCATION_ROWS


def test_sources_may_be_names_or_objects() -> None:
    assert describe_source("uszips") == "uszips"
    assert describe_source({"provider": "census_geocoder", "precision": "rooftop"}) == (
        "census_geocoder (Precision: rooftop)"
    )
    assert describe_source({"fetched": "2025-11-27"}) == "Source (Fetched: 2025-11-27)"


def test_packet_key_names_property_score_and_template() -> None:
    assert packet_key(7, 11, "v1") == "packets/7/score-11-v1.pdf"


def test_condensed_packet_halves_open_ended_sections_and_counts_what_it_hides() -> None:
    components = {f"feature_{index:03}": index for index in range(40)}
    packet = packet_of(score=score_row(score_components=components))

    condensed = packet.condensed()

    assert len(condensed.components.items) == MAX_COMPONENT_ROWS // 2
    assert condensed.components.omitted == 40 - MAX_COMPONENT_ROWS // 2
    assert condensed.location.omitted == len(packet.location.items) - len(condensed.location.items)
    assert condensed.sources.items == packet.sources.items[:1]
    assert condensed.sources.omitted == 1
    assert condensed.facts == packet.facts
