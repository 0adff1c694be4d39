"""The Realtor.com parser on search pages, detail pages and GraphQL search responses written
in Realtor.com's structure (invented homes)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services.scraper.demo_pages import listing_page
from services.scraper.parsers import realtor
from services.scraper.parsers.page import ParsedPage
from shared.listing import Broker, DistressSignal, Listing, PriceEvent
from tests.unit.scraper.samples import demo_listing

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scraper" / "realtor"
SITE = "https://www.realtor.com"
DETAIL = f"{SITE}/realestateandhomes-detail/"
SEARCH_URL = f"{SITE}/realestateandhomes-search/Springfield_IL/pg-2"
RENTALS_URL = f"{SITE}/apartments/Decatur_IL"
FOX_RUN_URL = DETAIL + "1908-Fox-Run-Dr_Chatham_IL_62629_M38214-50926"
API_URL = f"{SITE}/api/v1/rdc_search_srp?client_id=rdc-search-new-communities&schema=vesta"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def parse(name: str, url: str | None = None) -> ParsedPage:
    return realtor.parse(fixture(name), url)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("search_for_sale.html", "realtor.search"),
        ("search_rentals.html", "realtor.search"),
        ("search_malformed.html", "realtor.search"),
        ("search_empty.html", "realtor.search"),
        ("detail_rental_community.html", "realtor.detail"),
        ("detail_for_sale.html", "realtor.detail"),
        ("detail_sold.html", "realtor.detail"),
        ("detail_unknowns.html", "realtor.detail"),
        ("search_api_sold.json", "realtor.search_api"),
    ],
)
def test_detect_names_every_fixture_with_or_without_its_url(name: str, kind: str) -> None:
    assert realtor.detect(fixture(name)) == kind
    assert realtor.detect(fixture(name), SEARCH_URL if "search" in kind else FOX_RUN_URL) == kind
    assert parse(name).kind == kind
    assert realtor.detect("\ufeff" + fixture(name)) == kind


def test_detect_leaves_other_sites_pages_alone() -> None:
    json_ld_page = listing_page(demo_listing(3)).decode()
    other_next_page = (
        '<html><body><script id="__NEXT_DATA__" type="application/json">'
        '{"props":{"pageProps":{"componentProps":{"gdpClientCache":"{\\"zpid\\":1}"}}}}'
        "</script></body></html>"
    )
    other_api = json.dumps({"cat1": {"searchResults": {"listResults": []}}})

    assert realtor.detect(json_ld_page) is None
    assert realtor.detect(other_next_page) is None
    assert realtor.detect(other_api) is None
    assert realtor.detect("{}&&" + other_api) is None


OTHER_SITES_FIXTURES = sorted(
    path for path in FIXTURES.parent.rglob("*") if path.is_file() and path.parent != FIXTURES
)


@pytest.mark.parametrize("path", OTHER_SITES_FIXTURES, ids=lambda path: path.name)
def test_detect_claims_no_other_sites_fixture(path: Path) -> None:
    assert realtor.detect(path.read_text(errors="replace")) is None


def test_search_page_yields_each_result_in_page_order() -> None:
    page = parse("search_for_sale.html", SEARCH_URL)

    assert [listing.source_id for listing in page.listings] == [
        "4471029385",
        "9130567742",
        "7720493118",
        "5528813390",
        "M6094417725",
        "8841106637",
        "2204951176",
    ]
    assert page.listings[0] == Listing(
        source="realtor",
        source_id="4471029385",
        url=DETAIL + "2417-Wexford-Ln_Springfield_IL_62704_M44710-29385",
        status="for_sale",
        price=289_900,
        sold_price=142_000,
        sold_date=date(2011, 6, 17),
        list_date=date(2024, 3, 2),
        street="2417 Wexford Ln",
        city="Springfield",
        state="IL",
        zip_code="62704",
        latitude=39.771204,
        longitude=-89.698117,
        property_type="single_family",
        bedrooms=3,
        bathrooms=2.5,
        bathrooms_full=2,
        bathrooms_half=1,
        sqft=1864,
        lot_sqft=8712,
        year_built=1978,
        stories=2,
        mls_id="CA24011873",
        photos=(
            "https://ap.rdcpix.com/3fa81c0d9be2447a6c15e0d8b4f72a19l-m2290418836s.jpg",
            "https://ap.rdcpix.com/3fa81c0d9be2447a6c15e0d8b4f72a19l-m1175503921s.jpg",
        ),
        broker=Broker(name="Prairie Gate Realty", agent_name="Dana Whitcomb", phone="2175550143"),
    )


def test_search_page_maps_statuses_types_units_and_flags() -> None:
    condo, townhouse, duplex, land, plan, mobile = parse("search_for_sale.html").listings[1:]

    assert (condo.status, condo.property_type) == ("pending", "condo")  # flags.is_contingent
    assert (condo.street, condo.unit, condo.hoa_fee) == ("640 N 4th St", "Unit 5C", 215)
    assert (townhouse.status, townhouse.property_type, townhouse.bathrooms) == (
        "pending",
        "townhouse",
        2.5,
    )
    assert duplex.property_type == "multi_family"
    assert duplex.distress_signals == (
        DistressSignal(kind="other", detail="listed as a foreclosure"),
    )
    assert (land.property_type, land.lot_sqft, land.bedrooms, land.photos) == (
        "land",
        43_560,
        None,
        (),
    )
    assert (land.latitude, land.longitude) == (None, None)
    assert (plan.status, plan.price, plan.list_date) == ("for_sale", 412_500, None)
    assert plan.url == DETAIL + "Plan-Aspen_Hawthorne-Meadows_Springfield_IL_62712_P601884110663"
    assert (mobile.property_type, mobile.unit, mobile.street) == (
        "manufactured",
        "Lot 14",
        "4820 Pleasant Ridge Rd",
    )


def test_zero_as_unknown_becomes_none() -> None:
    mobile = parse("search_for_sale.html").listings[-1]

    assert (mobile.sqft, mobile.year_built, mobile.lot_sqft, mobile.hoa_fee) == (None,) * 4
    assert mobile.bathrooms == 1  # `baths` 0 is unknown, one full bath is known


def test_a_result_that_cannot_be_read_is_a_failure_and_the_page_goes_on() -> None:
    page = parse("search_for_sale.html", SEARCH_URL)

    assert page.failures == [
        "result 6 (property 3306718854): zip_code: Value error, not a ZIP code: '6270A'"
    ]
    assert len(page.listings) == 7


def test_search_page_links_its_detail_pages_and_the_next_page() -> None:
    page = parse("search_for_sale.html", SEARCH_URL)

    assert page.detail_urls[:2] == [
        DETAIL + "2417-Wexford-Ln_Springfield_IL_62704_M44710-29385",
        DETAIL + "640-N-4th-St-Unit-5C_Springfield_IL_62702_M91305-67742",
    ]
    assert len(page.detail_urls) == 8
    assert page.next_pages == [f"{SITE}/realestateandhomes-search/Springfield_IL/pg-3"]


@pytest.mark.parametrize(
    ("url", "next_pages"),
    [
        (RENTALS_URL, [RENTALS_URL + "/pg-2"]),
        (RENTALS_URL + "/pg-20?view=map", [RENTALS_URL + "/pg-21?view=map"]),
        (RENTALS_URL + "/pg-21", []),
        (None, []),
    ],
)
def test_next_page_follows_the_page_number_until_the_total_is_reached(
    url: str | None, next_pages: list[str]
) -> None:
    assert parse("search_rentals.html", url).next_pages == next_pages  # 3 a page, 61 in all


def test_older_search_shape_reads_rentals_with_absent_fields() -> None:
    apartment, community, bare = parse("search_rentals.html", RENTALS_URL).listings

    assert (apartment.status, apartment.price, apartment.property_type) == (
        "for_rent",
        1150,
        "apartment",
    )
    assert (apartment.street, apartment.unit) == ("1406 W Main St", "Apt 2")
    assert apartment.broker == Broker(name="Millikin Property Management")
    assert community.price is None  # a rent range is not one rent
    assert bare == Listing(
        source="realtor",
        source_id="6650218893",
        url=DETAIL + "925-N-Edward-St_Decatur_IL_62522_M66502-18893",
        status="for_rent",
        price=1725,
    )


def test_detail_page_yields_the_home_with_its_history_and_taxes() -> None:
    page = parse("detail_for_sale.html", FOX_RUN_URL)

    assert (page.failures, page.detail_urls, page.next_pages) == ([], [], [])
    (home,) = page.listings
    assert home == Listing(
        source="realtor",
        source_id="3821450926",
        url=FOX_RUN_URL,
        status="for_sale",
        price=309_000,
        sold_price=187_500,
        sold_date=date(2016, 8, 5),
        list_date=date(2024, 2, 10),
        street="1908 Fox Run Dr",
        city="Chatham",
        state="IL",
        zip_code="62629",
        latitude=39.675822,
        longitude=-89.704415,
        property_type="single_family",
        bedrooms=4,
        bathrooms=2.5,
        bathrooms_full=2,
        bathrooms_half=1,
        sqft=2236,
        lot_sqft=10_454,
        year_built=2004,
        stories=2,
        hoa_fee=35,
        days_on_market=47,
        mls_id="CA24005561",
        photos=tuple(
            f"https://ap.rdcpix.com/a6d2e90c4f1b38577e0c2d9a1b6f4e30l-m{number}s.jpg"
            for number in ("3120984471", "2044719930", "905512688")
        ),
        description=(
            "Bright two-story on a quiet cul-de-sac with a finished basement, "
            "fenced yard and new roof (2022)."
        ),
        price_history=(
            PriceEvent(
                event_date=date(2024, 3, 15),
                event="price_change",
                price=309_000,
                source="Central Illinois Board of REALTORS",
            ),
            PriceEvent(
                event_date=date(2024, 2, 10),
                event="listed",
                price=319_000,
                source="Central Illinois Board of REALTORS",
            ),
            PriceEvent(
                event_date=date(2016, 8, 5), event="sold", price=187_500, source="Public Record"
            ),
        ),
        tax_assessed_value=88_710,
        tax_annual_amount=5688,
        broker=Broker(
            name="Lincoln Trail Realtors", agent_name="Morgan Ellery", phone="2175550178"
        ),
    )


def test_sold_detail_page_kept_under_page_props_property() -> None:
    (home,) = parse("detail_sold.html").listings

    assert (home.status, home.price, home.sold_price, home.sold_date) == (
        "sold",
        229_000,
        224_500,
        date(2023, 9, 29),
    )
    assert home.mls_id == "CA23031877"  # `mls.id` when there is no `source`
    assert [event.event for event in home.price_history] == [
        "sold",
        "pending",
        "listed",
        "delisted",
    ]
    assert (home.tax_assessed_value, home.tax_annual_amount) == (51_830, 3120.44)
    assert home.broker == Broker(name="Sangamon Valley Homes", agent_name="Riley Osgood")
    assert home.bathrooms == 1.5


def test_detail_page_of_zeros_and_nulls_gives_none_not_guesses() -> None:
    (home,) = parse("detail_unknowns.html").listings

    assert home == Listing(
        source="realtor",
        source_id="6012384475",
        url=DETAIL + "3-Quarry-Rd_Rochester_IL_62563_M60123-84475",
        status="off_market",
        street="3 Quarry Rd",
        city="Rochester",
        state="IL",
        zip_code="62563",
        property_type="other",
    )


def test_search_api_response_yields_sold_homes_and_their_pages() -> None:
    page = parse("search_api_sold.json", API_URL)

    assert page.failures == []
    first, condo, farm, condo_in_line = page.listings
    assert (first.status, first.price, first.sold_price, first.sold_date) == (
        "sold",
        175_000,
        181_000,
        date(2024, 2, 23),
    )
    assert (condo.street, condo.unit, condo.property_type) == ("2701 Hedley Rd", "Apt 11", "condo")
    assert (farm.price, farm.sold_price, farm.property_type, farm.bathrooms) == (
        None,
        455_000,
        "land",
        3.5,
    )
    assert (condo_in_line.street, condo_in_line.unit) == ("88 Ridgely Ave", "#4")
    # `taxHistory` is the GraphQL alias; 2023 states no tax, 2022 does
    assert (condo_in_line.tax_assessed_value, condo_in_line.tax_annual_amount) == (36_020, 2210)
    assert page.detail_urls == [listing.url for listing in page.listings]
    assert page.next_pages == []  # the API pages by an offset in the POST body


def test_malformed_page_state_is_an_empty_page_with_a_failure() -> None:
    page = parse("search_malformed.html", SEARCH_URL)

    assert (page.kind, page.listings, page.detail_urls, page.next_pages) == (
        "realtor.search",
        [],
        [],
        [],
    )
    assert len(page.failures) == 1
    assert page.failures[0].startswith("page: __NEXT_DATA__ is not JSON")


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        ("{not json", "response: not JSON"),
        ('{"data": null, "errors": [{"message": "rate limited"}]}', "response: rate limited"),
        ('{"data": {"home_search": null}}', "response: no home_search results"),
    ],
)
def test_broken_api_responses_are_failures_not_exceptions(body: str, failure: str) -> None:
    page = realtor.parse(body, API_URL)

    assert page.listings == []
    assert page.failures[0].startswith(failure)


def test_results_that_are_not_objects_are_failures() -> None:
    body = json.dumps({"data": {"home_search": {"count": 2, "total": 2, "results": ["x", None]}}})

    page = realtor.parse(body)

    assert page.failures == [
        "result 0: TypeError: a result is a JSON object, not str",
        "result 1: TypeError: a result is a JSON object, not NoneType",
    ]


def test_rental_community_gives_one_listing_per_floor_plan() -> None:
    page = parse("detail_rental_community.html")

    assert page.failures == []
    assert [
        (plan.source_id, plan.price, plan.bedrooms, plan.bathrooms, plan.sqft)
        for plan in page.listings
    ] == [
        ("M7704418120:beds-1", 1195, 1, 1, 712),
        ("M7704418120:beds-2", 1340, 2, 1, 905),
        ("M7704418120:beds-2-2", 1480, 2, 2, 1010),
    ]
    one_bed, two_bed, _ = page.listings
    assert (one_bed.status, one_bed.property_type, one_bed.street, one_bed.zip_code) == (
        "for_rent",
        "apartment",
        "2290 E Lake Shore Dr",
        "62521",
    )
    assert one_bed.url == DETAIL + (
        "Lakeshore-Commons_2290-E-Lake-Shore-Dr_Decatur_IL_62521_M77044-18120"
    )
    assert one_bed.photos == (
        "https://ar.rdcpix.com/8e1d7a39c0b24f5e96d2a4c1b7e3f058c0rd-w640_h480.jpg",
    )
    assert two_bed.photos == (  # a plan without photos shows the community's
        "https://ap.rdcpix.com/c4e19b07d2a85f36e0d1b9c7a3f25e81l-m1029957460s.jpg",
    )
    assert one_bed.broker == Broker(name="Lakeshore Commons Leasing")


def test_search_without_results_is_an_empty_page() -> None:
    page = parse("search_empty.html", f"{SITE}/realestateandhomes-search/62999")

    assert (page.kind, page.listings, page.failures, page.next_pages) == (
        "realtor.search",
        [],
        [],
        [],
    )


def next_data_page(page_props: object) -> str:
    state = json.dumps({"props": {"pageProps": page_props}, "page": "/realestateandhomes-detail"})
    return f'<html><body><script id="__NEXT_DATA__" type="application/json">{state}</script>'


def test_a_home_nested_one_level_deeper_is_still_found() -> None:
    home = {"property_id": "1002003004", "status": "for_sale", "list_price": 150000}
    body = next_data_page({"initialReduxState": {"propertyDetails": {"property": home}}})

    (listing,) = realtor.parse(body, FOX_RUN_URL).listings

    assert (listing.source_id, listing.price, listing.url) == ("1002003004", 150_000, FOX_RUN_URL)


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (next_data_page({"deviceType": "desktop"}), "page: __NEXT_DATA__ holds neither"),
        ("<html><body><p>Access denied</p></body></html>", "page: no __NEXT_DATA__ script"),
    ],
)
def test_pages_without_a_home_or_results_are_failures(body: str, failure: str) -> None:
    page = realtor.parse(body, FOX_RUN_URL)

    assert (page.kind, page.listings) == ("realtor.detail", [])
    assert page.failures[0].startswith(failure)


def test_a_result_without_an_id_is_a_failure_naming_the_field() -> None:
    results = [{"status": "for_sale", "list_price": 99000}, {"property_id": "7", "status": "sold"}]
    body = json.dumps({"data": {"home_search": {"count": 2, "total": 2, "results": results}}})

    page = realtor.parse(body)

    assert [listing.source_id for listing in page.listings] == ["7"]
    assert page.failures == ["result 0: source_id: Input should be a valid string"]
