"""Off-market public-record feeds: their configuration and the parser, on CSV, JSON and
Socrata fixtures written in each format's real shape, with invented records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.scraper.feeds import (
    FEEDS_FILE_VARIABLE,
    FeedConfig,
    FeedConfigError,
    SocrataPaging,
    configured_feeds,
    feed_by_name,
    feeds_from_document,
)
from services.scraper.parsers import feeds
from shared.listing import DistressSignal, Listing

REPOSITORY = Path(__file__).resolve().parents[3]
FIXTURES = REPOSITORY / "tests" / "fixtures" / "scraper" / "feeds"
EXAMPLE_FEEDS_FILE = REPOSITORY / "deploy" / "feeds.example.yaml"

TAX_FEED = "lakeview-county-tax-delinquent"
VIOLATIONS_FEED = "lakeview-code-violations"
FILINGS_FEED = "lakeview-pre-foreclosures"
VIOLATIONS_URL = "https://data.lakeview.example/resource/x8vq-3kfn.json"
VIOLATIONS_PAGE_1 = f"{VIOLATIONS_URL}?$limit=5&$offset=0&$order=:id&$select=:*,%20*"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def feed(**fields: Any) -> FeedConfig:
    return FeedConfig.model_validate(fields)


def example_feed(name: str) -> FeedConfig:
    """A feed of `deploy/feeds.example.yaml`, whose columns are those of the fixtures."""
    return feed_by_name(name, {FEEDS_FILE_VARIABLE: str(EXAMPLE_FEEDS_FILE)})


def tax_delinquent_feed() -> FeedConfig:
    return example_feed(TAX_FEED)


def code_violations_feed() -> FeedConfig:
    return example_feed(VIOLATIONS_FEED)


def json_feed(**columns: Any) -> FeedConfig:
    """A small JSON feed of vacant homes: `id`, a one-line `addr`, and `columns`."""
    return feed(
        name="oakdale-vacant",
        format="json",
        url="https://oakdale.example/vacant.json",
        signals={"kinds": ["vacant"]},
        columns={"record_id": "id", "address": "addr", **columns},
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
        url="https://treasurer.lakeview.example/parcels/14-21-307-019-0000",
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


def test_csv_header_without_a_mapped_column_is_reported_and_the_rows_still_read() -> None:
    renamed = fixture("lakeview-tax-delinquent.csv").replace("TOTAL DUE", "AMOUNT DUE", 1)

    page = feeds.parse(renamed, None, tax_delinquent_feed())

    assert page.failures[0] == f"{TAX_FEED}: the CSV header has no column 'TOTAL DUE'"
    assert len(page.listings) == 5
    assert {listing.distress_signals[0].amount for listing in page.listings} == {None}


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


def test_socrata_page_without_its_url_is_full_by_the_configured_limit() -> None:
    configured = code_violations_feed()
    five_a_page = configured.model_copy(update={"socrata": SocrataPaging(limit=5)})
    body = fixture("code-violations.page1.json")

    assert feeds.parse(body, None, configured).next_pages == []
    assert feeds.parse(body, None, five_a_page).next_pages == [
        f"{VIOLATIONS_URL}?$limit=5&$offset=5&$order=:id"
    ]


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
        ("77 OAK CT 62702", feeds.AddressParts("77 OAK CT", None, None, None, "62702")),
        ("3 ELM RD, NJ 07030", feeds.AddressParts("3 ELM RD", None, None, "NJ", "07030")),
        ("1482 W ELMHURST ST APT 3", feeds.AddressParts("1482 W ELMHURST ST", "APT 3")),
        ("12 CT ST", feeds.AddressParts("12 CT ST")),
    ],
)
def test_one_line_addresses_split_into_parts(text: str, parts: feeds.AddressParts) -> None:
    assert feeds.parse_address(text) == parts


def test_one_line_address_without_commas_or_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="no street suffix"):
        feeds.parse_address("17 BROADMOOR SPRINGFIELD IL 62704")


# --- JSON: a recorder's foreclosure filings ---------------------------------------------------


def test_json_filings_become_listings_tagged_by_document_type() -> None:
    page = feeds.parse(fixture("pre-foreclosures.json"), None, example_feed(FILINGS_FEED))

    assert page.kind == "feed.json"
    default, lis_pendens, trustee_sale = page.listings
    assert default == Listing(
        source=FILINGS_FEED,
        source_id="2024R0031877",
        url="https://recorder.lakeview.example/documents/2024R0031877",
        status="off_market",
        street="1482 W ELMHURST ST",
        city="Lakeview",
        state="IL",
        zip_code="60640",
        distress_signals=(
            DistressSignal(
                kind="notice_of_default",
                recorded_date=date(2024, 3, 4),
                amount=18_422.10,
                detail="NOTICE OF DEFAULT; FIRST LAKEVIEW SAVINGS",
                record_id="2024R0031877",
                feed=FILINGS_FEED,
            ),
        ),
    )
    assert (lis_pendens.unit, lis_pendens.distress_signals[0].kind) == ("2B", "lis_pendens")
    assert lis_pendens.distress_signals[0].amount is None
    assert [signal.kind for signal in trustee_sale.distress_signals] == [
        "pre_foreclosure",
        "foreclosure_auction",
    ]
    assert {signal.amount for signal in trustee_sale.distress_signals} == {41_906.33}


def test_broken_json_records_are_failures_and_rescissions_are_left_out() -> None:
    page = feeds.parse(fixture("pre-foreclosures.json"), None, example_feed(FILINGS_FEED))

    assert page.failures == [
        "row 4: BrokenRecord: no address",
        "row 5: BrokenRecord: recorded date 'March 11th' is not a date",
    ]
    assert "2024R0033520" not in {listing.source_id for listing in page.listings}
    assert page.next_pages == []


def test_json_list_without_records_path_and_a_record_that_is_not_an_object() -> None:
    body = '[{"id": "L-1", "addr": "5 PINE RD, OAKDALE, CA 95361"}, "L-2", null]'

    page = feeds.parse(body, None, json_feed())

    assert [(listing.street, listing.city, listing.state) for listing in page.listings] == [
        ("5 PINE RD", "OAKDALE", "CA")
    ]
    assert page.failures == [
        "row 2: BrokenRecord: a record is an object, not str",
        "row 3: BrokenRecord: a record is an object, not NoneType",
    ]


def test_json_document_without_the_records_list_is_one_failure() -> None:
    page = feeds.parse('{"filings": null}', None, example_feed(FILINGS_FEED))

    assert page.listings == []
    assert page.failures == [f"{FILINGS_FEED}: no list of records at 'filings'"]


@pytest.mark.parametrize(
    "location",
    [
        {"type": "Point", "coordinates": [-120.85, 37.77]},
        {"latitude": "37.77", "longitude": "-120.85", "human_address": '{"address": ""}'},
        "POINT (-120.85 37.77)",
        "(37.77, -120.85)",
    ],
)
def test_locations_in_every_shape_give_latitude_and_longitude(location: object) -> None:
    body = json.dumps([{"id": "L-1", "addr": "5 PINE RD", "where": location}])

    (listing,) = feeds.parse(body, None, json_feed(location="where")).listings

    assert (listing.latitude, listing.longitude) == (37.77, -120.85)


def test_unreadable_location_leaves_coordinates_unknown() -> None:
    body = json.dumps([{"id": "L-1", "addr": "5 PINE RD", "where": "near the mill"}])

    (listing,) = feeds.parse(body, None, json_feed(location="where")).listings

    assert (listing.latitude, listing.longitude) == (None, None)


# --- source ids ---------------------------------------------------------------------------


def test_feed_without_ids_hashes_address_kind_and_date_stably() -> None:
    body = json.dumps(
        [
            {"addr": "5 PINE RD, OAKDALE, CA 95361", "on": "2024-01-02"},
            {"addr": "5 PINE RD, OAKDALE, CA 95361", "on": "2024-02-09"},
        ]
    )
    no_ids = json_feed(record_id=None, recorded_date="on")

    first = [listing.source_id for listing in feeds.parse(body, None, no_ids).listings]
    again = [listing.source_id for listing in feeds.parse(body, None, no_ids).listings]

    assert first == again
    assert len(set(first)) == 2
    assert all(source_id.startswith("addr-") for source_id in first)


def test_same_record_id_twice_in_a_page_gets_two_source_ids() -> None:
    body = json.dumps(
        [
            {"id": "CASE-9", "addr": "5 PINE RD", "what": "ROOF"},
            {"id": "CASE-9", "addr": "5 PINE RD", "what": "PORCH"},
        ]
    )

    listings = feeds.parse(body, None, json_feed()).listings

    first, second = (listing.source_id for listing in listings)
    assert first == "CASE-9"
    assert second.startswith("CASE-9-") and len(second) == len("CASE-9-") + 16
    assert [listing.distress_signals[0].record_id for listing in listings] == ["CASE-9"] * 2


# --- configuration ----------------------------------------------------------------------------


def test_example_feeds_file_configures_a_feed_of_each_format() -> None:
    configured = configured_feeds({FEEDS_FILE_VARIABLE: str(EXAMPLE_FEEDS_FILE)})

    assert {name: feed.format for name, feed in configured.items()} == {
        TAX_FEED: "csv",
        VIOLATIONS_FEED: "socrata",
        FILINGS_FEED: "json",
    }


def test_feeds_file_may_be_json(tmp_path: Path) -> None:
    path = tmp_path / "feeds.json"
    path.write_text(json.dumps({"feeds": [json_feed().model_dump(mode="json")]}))

    assert feed_by_name("oakdale-vacant", {FEEDS_FILE_VARIABLE: str(path)}) == json_feed()


def test_socrata_first_request_asks_for_the_date_window_in_a_stable_order() -> None:
    url = code_violations_feed().first_request_url(date(2024, 3, 1))

    assert url == (
        f"{VIOLATIONS_URL}?$limit=1000&$offset=0&$order=:id&$select=:*,%20*"
        "&$where=violation_date%20%3E%3D%20'2023-12-02T00:00:00'"
    )


def test_csv_and_json_feeds_are_one_request_to_their_url() -> None:
    tax = tax_delinquent_feed()

    assert tax.first_request_url(date(2024, 3, 1)) == tax.url
    assert tax.request_headers({"REOS_SOCRATA_APP_TOKEN": "token"}) == {}


def test_socrata_app_token_comes_from_its_variable_when_set() -> None:
    violations = code_violations_feed()

    assert violations.request_headers({"REOS_SOCRATA_APP_TOKEN": "t0ken"}) == {
        "X-App-Token": "t0ken"
    }
    assert violations.request_headers({}) == {}


def test_record_url_needs_every_column_it_names() -> None:
    tax = tax_delinquent_feed()

    assert tax.record_url_for({"PIN": "14-21 307"}.get) == (
        "https://treasurer.lakeview.example/parcels/14-21%20307"
    )
    assert tax.record_url_for({}.get) is None


def test_feeds_file_variable_unset_says_what_to_set() -> None:
    with pytest.raises(FeedConfigError, match=FEEDS_FILE_VARIABLE):
        configured_feeds({})


def test_unknown_feed_name_lists_the_configured_ones() -> None:
    known = f"configured feeds: {VIOLATIONS_FEED}, {TAX_FEED}, {FILINGS_FEED}$"

    with pytest.raises(FeedConfigError, match=known):
        feed_by_name("nowhere", {FEEDS_FILE_VARIABLE: str(EXAMPLE_FEEDS_FILE)})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signals": {"kinds": ["foreclosed"]}}, "feed oakdale-vacant: signals.kinds.0"),
        ({"signals": {"kinds": ["vacant"], "kind_values": {"X": "lien"}}}, "needs kind_column"),
        ({"columns": {"record_id": "id"}}, "map at least one of address, street or location"),
        ({"columns": {"address": "addr", "owner": "name"}}, "columns.owner"),
        ({"socrata": {"limit": 10}}, "only for format socrata"),
        ({"format": "socrata", "socrata": {"where": "d > '{since}'"}}, "window_days"),
        ({"name": "Oakdale Vacant"}, "name"),
    ],
)
def test_a_wrong_feed_is_refused_naming_the_feed_and_the_field(
    change: dict[str, Any], message: str
) -> None:
    entry = {**json_feed().model_dump(mode="json", exclude_none=True), **change}

    with pytest.raises(FeedConfigError, match=message):
        feeds_from_document({"feeds": [entry]})


def test_two_feeds_of_one_name_are_refused() -> None:
    entry = json_feed().model_dump(mode="json")

    with pytest.raises(FeedConfigError, match="used twice"):
        feeds_from_document({"feeds": [entry, entry]})
