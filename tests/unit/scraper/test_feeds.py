"""Off-market public-record feeds: their configuration and the parser, on CSV, JSON and
Socrata fixtures written in each format's real shape, with invented records."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.scraper.feeds import FeedConfig
from services.scraper.parsers import feeds
from shared.listing import DistressSignal, Listing

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scraper" / "feeds"

TAX_FEED = "lakeview-county-tax-delinquent"
VIOLATIONS_FEED = "lakeview-code-violations"
VIOLATIONS_URL = "https://data.lakeview.example/resource/x8vq-3kfn.json"
VIOLATIONS_PAGE_1 = f"{VIOLATIONS_URL}?$limit=5&$offset=0&$order=:id&$select=:*,%20*"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def feed(**fields: Any) -> FeedConfig:
    return FeedConfig.model_validate(fields)


def tax_delinquent_feed() -> FeedConfig:
    return feed(
        name=TAX_FEED,
        format="csv",
        url="https://treasurer.lakeview.example/delinquent/2022.csv",
        signals={"kinds": ["tax_delinquent"]},
        columns={
            "record_id": "PIN",
            "address": "SITUS ADDRESS",
            "amount": "TOTAL DUE",
            "recorded_date": "FORFEIT DATE",
            "detail": ["TAX YEAR", "STATUS"],
            "tax_assessed_value": "ASSESSED VALUE",
            "tax_annual_amount": "TAX BILLED",
        },
        date_format="%m/%d/%Y",
        filters=[{"column": "STATUS", "exclude": ["redeemed", "paid"]}],
        record_url="https://treasurer.lakeview.example/parcel/{PIN}",
    )


def code_violations_feed() -> FeedConfig:
    return feed(
        name=VIOLATIONS_FEED,
        format="socrata",
        url=VIOLATIONS_URL,
        signals={"kinds": ["code_violation"]},
        columns={
            "record_id": ["case_number", "violation_code"],
            "address": "address",
            "zip_code": "zip_code",
            "location": "location",
            "recorded_date": "violation_date",
            "amount": "fine_amount",
            "detail": "violation_description",
        },
        defaults={"city": "Lakeview", "state": "IL"},
        filters=[{"column": "violation_status", "include": ["open"]}],
        socrata={"limit": 5, "select": ":*, *"},
    )


def violation(
    case: str, code: str, street: str, zip_code: str, **facts: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The listing fields and the signal fields of one code violation."""
    record_id = f"{case}:{code}"
    coordinates = facts.pop("coordinates", (None, None))
    listing = {
        "source": VIOLATIONS_FEED,
        "source_id": record_id,
        "status": "off_market",
        "street": street,
        "unit": facts.pop("unit", None),
        "city": "Lakeview",
        "state": "IL",
        "zip_code": zip_code,
        "latitude": coordinates[0],
        "longitude": coordinates[1],
    }
    signal = {"kind": "code_violation", "record_id": record_id, "feed": VIOLATIONS_FEED, **facts}
    return listing, signal


def expected_listing(fields: dict[str, Any], *signals: dict[str, Any]) -> Listing:
    return Listing(
        **fields, distress_signals=tuple(DistressSignal.model_validate(s) for s in signals)
    )


# --- CSV: a county tax-delinquent list -------------------------------------------------------


def test_tax_delinquent_csv_rows_become_off_market_listings_with_their_signal() -> None:
    page = feeds.parse(fixture("lakeview-tax-delinquent.csv"), None, tax_delinquent_feed())

    assert page.kind == "feed.csv"
    assert [listing.source_id for listing in page.listings] == [
        "14-21-307-019-0000",
        "14-21-307-022-1004",
        "14-32-305-040-0000",
        "14-33-120-011-0000",
    ]
    assert page.listings[0] == Listing(
        source=TAX_FEED,
        source_id="14-21-307-019-0000",
        url="https://treasurer.lakeview.example/parcel/14-21-307-019-0000",
        status="off_market",
        street="4418 N HOLLISTER AVE",
        city="LAKEVIEW",
        state="IL",
        zip_code="60641",
        tax_assessed_value=24_310.0,
        tax_annual_amount=5_872.14,
        distress_signals=(
            DistressSignal(
                kind="tax_delinquent",
                recorded_date=date(2024, 3, 14),
                amount=7_118.40,
                detail="2022; DELINQUENT",
                record_id="14-21-307-019-0000",
                feed=TAX_FEED,
            ),
        ),
    )


def test_csv_address_with_a_unit_and_one_without_commas_are_split() -> None:
    page = feeds.parse(fixture("lakeview-tax-delinquent.csv"), None, tax_delinquent_feed())
    with_unit, without_commas = page.listings[1], page.listings[2]

    assert (with_unit.street, with_unit.unit, with_unit.city, with_unit.zip_code) == (
        "2907 W BRAMBLE ST",
        "APT 2",
        "LAKEVIEW",
        "60647",
    )
    assert (without_commas.street, without_commas.city, without_commas.state) == (
        "77 OAK CT",
        "LAKEVIEW",
        "IL",
    )


def test_csv_blank_cells_are_none_not_failures() -> None:
    page = feeds.parse(fixture("lakeview-tax-delinquent.csv"), None, tax_delinquent_feed())
    last = page.listings[-1]

    assert last.tax_assessed_value is None
    assert last.tax_annual_amount is None
    assert last.distress_signals[0].recorded_date is None
    assert last.distress_signals[0].amount == 1_250.0


def test_broken_csv_rows_are_failures_naming_row_line_and_reason() -> None:
    page = feeds.parse(fixture("lakeview-tax-delinquent.csv"), None, tax_delinquent_feed())

    assert page.failures == [
        "row 3 (line 4): BrokenRecord: no address",
        "row 4 (line 5): BrokenRecord: amount '#VALUE!' is not an amount",
        "row 5 (line 6): BrokenRecord: recorded date '14/03/2024' does not match '%m/%d/%Y'",
        "row 7 (line 8): BrokenRecord: 11 fields where the header names 9",
    ]


def test_filtered_csv_rows_are_skipped_silently() -> None:
    page = feeds.parse(fixture("lakeview-tax-delinquent.csv"), None, tax_delinquent_feed())

    assert "14-30-211-008-0000" not in {listing.source_id for listing in page.listings}
    assert not any("row 6 " in failure for failure in page.failures)
    assert page.next_pages == []


def test_csv_with_another_delimiter_and_address_in_parts() -> None:
    body = "case|house|street|apt|town|st|zip\nV-1|12|ELM ST|3|Rivertown|OH|4312\n"
    parts_feed = feed(
        name="rivertown-vacant",
        format="csv",
        url="https://rivertown.example/vacant.txt",
        signals={"kinds": ["vacant"]},
        columns={
            "record_id": "case",
            "street": ["house", "street"],
            "unit": "apt",
            "city": "town",
            "state": "st",
            "zip_code": "zip",
        },
        csv_delimiter="|",
    )

    (listing,) = feeds.parse(body, None, parts_feed).listings

    assert (listing.street, listing.unit, listing.city, listing.state, listing.zip_code) == (
        "12 ELM ST",
        "3",
        "Rivertown",
        "OH",
        "04312",
    )


def test_empty_csv_body_is_one_failure() -> None:
    page = feeds.parse("", None, tax_delinquent_feed())

    assert page.listings == []
    assert page.failures == [f"{TAX_FEED}: the CSV body is empty: no header row"]


# --- Socrata: a city's code-violations dataset, paged -----------------------------------------


def test_socrata_full_page_yields_its_violations_and_the_next_page() -> None:
    page = feeds.parse(
        fixture("code-violations.page1.json"), VIOLATIONS_PAGE_1, code_violations_feed()
    )

    roof, wall = (
        violation(
            "CV24-001873",
            code,
            "2217 S HOLLIS AVE",
            "60623",
            coordinates=(41.8521, -87.7103),
            recorded_date=date(2024, 2, 14),
            amount=amount,
            detail=detail,
        )
        for code, amount, detail in (
            ("14X-8-801", 250.0, "ROOF - REPAIR OR REPLACE LEAKING ROOF"),
            ("14X-3-705", 150.0, "EXTERIOR WALL - REPAIR MASONRY"),
        )
    )
    smoke = violation(
        "CV24-002055",
        "14X-12-1203",
        "871 N LORIMER ST",
        "60651",
        unit="UNIT 3R",
        recorded_date=date(2024, 2, 16),
        detail="SMOKE DETECTOR - INSTALL",
    )
    assert page.kind == "feed.socrata"
    assert page.listings == [expected_listing(*facts) for facts in (roof, wall, smoke)]
    assert page.failures == ["row 3: BrokenRecord: no address"]
    assert page.next_pages == [f"{VIOLATIONS_URL}?$limit=5&$offset=5&$order=:id&$select=:*,%20*"]


def test_socrata_short_page_is_the_last_and_numbers_rows_from_its_offset() -> None:
    page_2_url = f"{VIOLATIONS_URL}?$limit=5&$offset=5&$order=:id&$select=:*,%20*"

    page = feeds.parse(fixture("code-violations.page2.json"), page_2_url, code_violations_feed())

    assert [listing.source_id for listing in page.listings] == ["CV24-002131:7-28-060"]
    assert page.failures == ["row 7: BrokenRecord: amount 'PENDING HEARING' is not an amount"]
    assert page.next_pages == []


def test_socrata_page_without_its_url_pages_on_from_the_feed_url() -> None:
    page = feeds.parse(fixture("code-violations.page1.json"), None, code_violations_feed())

    assert page.next_pages == [f"{VIOLATIONS_URL}?$limit=5&$offset=5&$order=:id"]


def test_socrata_legacy_location_gives_coordinates_and_its_human_address() -> None:
    registry = feed(
        name="lakeview-vacant-buildings",
        format="socrata",
        url="https://data.lakeview.example/resource/kq4d-7n2w.json",
        signals={"kinds": ["vacant"]},
        columns={
            "record_id": "registration_number",
            "address": "property_address",
            "location": "location",
            "recorded_date": "registration_date",
            "detail": "owner_type",
        },
        date_format="%m/%d/%Y",
        defaults={"state": "IL"},
    )

    first_page = registry.first_request_url(date(2024, 3, 1))

    page = feeds.parse(fixture("vacant-buildings.json"), first_page, registry)

    lender, individual = page.listings
    assert (lender.street, lender.city, lender.state, lender.zip_code) == (
        "5521 W WINDMERE AVE",
        None,
        "IL",
        None,
    )
    assert (lender.latitude, lender.longitude) == (41.9412, -87.764)
    assert (individual.street, individual.city, individual.zip_code) == (
        "7740 S PARLEY AVE",
        "LAKEVIEW",
        "60620",
    )
    assert individual.distress_signals == (
        DistressSignal(
            kind="vacant",
            recorded_date=date(2024, 1, 5),
            detail="INDIVIDUAL",
            record_id="VBR-2024-00147",
            feed="lakeview-vacant-buildings",
        ),
    )
    assert page.failures == [
        "row 3: BrokenRecord: recorded date '02/30/2024' does not match '%m/%d/%Y'"
    ]
    assert page.next_pages == []


def test_socrata_error_body_is_one_failure_and_no_next_page() -> None:
    body = (
        '{"code":"query.soql.no-such-column","error":true,'
        '"message":"No such column: fine_amt","data":{"column":"fine_amt"}}'
    )

    page = feeds.parse(body, VIOLATIONS_PAGE_1, code_violations_feed())

    assert page.listings == []
    assert page.next_pages == []
    assert page.failures == [
        f"{VIOLATIONS_FEED}: Socrata answered query.soql.no-such-column: No such column: fine_amt"
    ]


def test_malformed_json_is_one_failure() -> None:
    page = feeds.parse('[{"case_number": "CV24-1", ', VIOLATIONS_PAGE_1, code_violations_feed())

    assert page.listings == []
    assert len(page.failures) == 1
    assert page.failures[0].startswith(f"{VIOLATIONS_FEED}: the body is not JSON")


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "123 MAIN ST, SPRINGFIELD IL 62701",
            feeds.AddressParts("123 MAIN ST", None, "SPRINGFIELD", "IL", "62701"),
        ),
        (
            "9 Elm St Apt 4, Lake Forest, Illinois 60045-1234",
            feeds.AddressParts("9 Elm St", "Apt 4", "Lake Forest", "IL", "60045-1234"),
        ),
        (
            "500 Oak Ave, Suite 200, New York, New York, USA",
            feeds.AddressParts("500 Oak Ave", "Suite 200", "New York", "NY", None),
        ),
        (
            "4410 W AUGUSTINE BLVD #2 RIVER GROVE IL 60171",
            feeds.AddressParts("4410 W AUGUSTINE BLVD", "#2", "RIVER GROVE", "IL", "60171"),
        ),
        (
            "18 N COURT ST NE CANTON OH 44702",
            feeds.AddressParts("18 N COURT ST NE", None, "CANTON", "OH", "44702"),
        ),
        (
            "220 MAIN ST ST LOUIS MO 63101",
            feeds.AddressParts("220 MAIN ST", None, "ST LOUIS", "MO", "63101"),
        ),
        ("1482 W ELMHURST ST APT 3", feeds.AddressParts("1482 W ELMHURST ST", "APT 3")),
        ("12 CT ST", feeds.AddressParts("12 CT ST")),
    ],
)
def test_one_line_addresses_split_into_parts(text: str, parts: feeds.AddressParts) -> None:
    assert feeds.parse_address(text) == parts


def test_one_line_address_without_commas_or_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="no street suffix"):
        feeds.parse_address("17 BROADMOOR SPRINGFIELD IL 62704")
