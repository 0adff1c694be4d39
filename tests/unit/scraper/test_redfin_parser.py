"""The Redfin parser on hand-made pages and API bodies shaped like Redfin's (invented values)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.scraper.parsers import redfin
from shared.listing import Broker, Listing, PriceEvent

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scraper" / "redfin"
ORIGIN = "https://www.redfin.com"
SEARCH_API_URL = (
    f"{ORIGIN}/stingray/api/gis?al=1&num_homes=8&page_number=1&region_id=20001&region_type=2"
    "&sf=1,2,3,5,6,7&status=9&uipt=1,2,3,4,5,6,7,8&v=8"
)
FOR_SALE_URL = f"{ORIGIN}/CO/Boulder/1847-Larkspur-Ridge-Rd-80304/home/58310427"
SOLD_CONDO_URL = f"{ORIGIN}/CO/Denver/2250-N-Ogden-St-80205/unit-4B/home/71934406"
SPARSE_URL = f"{ORIGIN}/NV/Reno/930-Sagebrush-Hollow-Way-89523/home/30477215"
MALFORMED_URL = f"{ORIGIN}/WA/Spokane/4418-W-Ridgecrest-Dr-99208/home/9912043"
BUILDING_URL = f"{ORIGIN}/CO/Denver/The-Cottonwood-Flats/apartment/183300412"
RENTAL_ID = "5f0c2a9e-7d41-4b8e-9c3a-21e6d0b4f7a2"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def home_page(responses: dict[str, Any], jsonld: str = "") -> str:
    """A home page whose server state caches `responses` (endpoint path -> payload), each
    behind the stingray prefix as a JSON string, the way Redfin embeds them."""
    data_cache = {
        f"/stingray/api/home/details/{endpoint}?propertyId=555&accessLevel=1": {
            "res": {"text": "{}&&" + json.dumps({"resultCode": 0, "payload": payload})}
        }
        for endpoint, payload in responses.items()
    }
    state = json.dumps({"ReactServerAgent.cache": {"dataCache": data_cache}})
    return (
        f"<html><head>{jsonld}</head><body><script>_tLAB.wait(function(){{\n"
        "root.__reactServerState || (root.__reactServerState = {});\n"
        f"root.__reactServerState.InitialContext = {state};\n"
        "root.__reactServerState.Config = {};\n});</script></body></html>"
    )


def only_listing(name: str, url: str) -> Listing:
    page = redfin.parse(fixture(name), url)
    assert page.failures == []
    assert len(page.listings) == 1
    return page.listings[0]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("detail_for_sale.html", "redfin.detail"),
        ("detail_sold_condo.html", "redfin.detail"),
        ("detail_sparse.html", "redfin.detail"),
        ("detail_malformed_state.html", "redfin.detail"),
        ("building_rentals.html", "redfin.building"),
        ("search_api.json", "redfin.search_api"),
        ("search_api_malformed.json", "redfin.search_api"),
        ("floor_plans_api.json", "redfin.floor_plans_api"),
        ("search_page.html", "redfin.search"),
        ("rentals_search_api.json", "redfin.rentals_search_api"),
    ],
)
def test_detect_names_the_kind_of_every_redfin_fixture(name: str, kind: str) -> None:
    assert redfin.detect(fixture(name)) == kind


def test_saved_body_with_a_byte_order_mark_is_still_read() -> None:
    body = "\ufeff" + fixture("search_api.json")

    assert redfin.detect(body) == "redfin.search_api"
    assert len(redfin.parse(body, SEARCH_API_URL).listings) == 7


@pytest.mark.parametrize(
    "body",
    [
        '<html><head><script type="application/ld+json">'
        '{"@type": "SingleFamilyResidence", "address": {"streetAddress": "1 Elm St"}}'
        "</script></head><body></body></html>",
        '<html><script id="__NEXT_DATA__" type="application/json">{"props": {}}</script></html>',
        '{"props": {"pageProps": {"searchPageState": {"cat1": {"searchResults": {}}}}}}',
        '{"data": {"home_search": {"results": []}}}',
        "",
    ],
)
def test_detect_leaves_other_sites_pages_alone(body: str) -> None:
    assert redfin.detect(body) is None


def test_home_for_sale_reads_the_server_state_and_fills_gaps_from_jsonld() -> None:
    listing = only_listing("detail_for_sale.html", FOR_SALE_URL)

    assert listing == Listing(
        source="redfin",
        source_id="58310427",
        url=FOR_SALE_URL,
        status="for_sale",
        price=1_185_000.0,
        list_date=date(2025, 2, 27),
        street="1847 Larkspur Ridge Rd",
        city="Boulder",
        state="CO",
        zip_code="80304",
        latitude=40.0412276,
        longitude=-105.2879115,
        property_type="single_family",
        bedrooms=4,
        bathrooms=2.5,
        bathrooms_full=2,
        bathrooms_half=1,
        sqft=2640,
        lot_sqft=9148.0,
        year_built=1998,
        year_renovated=2016,
        stories=2.0,
        hoa_fee=75.0,
        days_on_market=12,
        mls_id="IR1029384",
        photos=tuple(
            f"https://ssl.cdn-redfin.com/photo/126/bigphoto/384/IR1029384{suffix}.jpg"
            for suffix in ("_0", "_1_0", "_2_0")
        ),
        description=(
            "Light-filled two-story on a quiet cul-de-sac below the Flatirons. Vaulted great "
            "room, remodeled kitchen with quartz counters, and a fenced backyard with mature "
            "aspens."
        ),
        price_history=(
            PriceEvent(
                event_date=date(2025, 3, 10), event="price_change", price=1_185_000, source="IRES"
            ),
            PriceEvent(
                event_date=date(2025, 2, 27), event="listed", price=1_225_000, source="IRES"
            ),
            PriceEvent(
                event_date=date(2014, 6, 20), event="sold", price=640_000, source="Public Records"
            ),
        ),
        tax_assessed_value=950_500.0,
        tax_annual_amount=6123.44,
        broker=Broker(
            name="Flatiron Peak Realty", agent_name="Marisol Quintero-Baird", phone="303-555-0187"
        ),
    )


def test_server_state_price_wins_over_the_jsonld_offer() -> None:
    listing = only_listing("detail_for_sale.html", FOR_SALE_URL)

    assert listing.price == 1_185_000.0, "the JSON-LD offer says 1,199,000"
    assert (listing.latitude, listing.longitude) == (40.0412276, -105.2879115), "JSON-LD only"


def test_sold_condo_has_its_sale_its_last_asking_price_and_its_unit() -> None:
    listing = only_listing("detail_sold_condo.html", SOLD_CONDO_URL)

    assert (listing.status, listing.sold_price, listing.sold_date) == (
        "sold",
        412_500.0,
        date(2025, 1, 17),
    )
    assert listing.price == 419_000.0, "the newest asking price before the sale"
    assert listing.list_date == date(2024, 11, 5)
    assert (listing.street, listing.unit) == ("2250 N Ogden St", "Unit 4B")
    assert (listing.property_type, listing.bedrooms, listing.bathrooms) == ("condo", 2, 1.5)
    assert listing.hoa_fee == 420.0, "1,260 a quarter"
    assert listing.lot_sqft is None, "public records write 0 for a condo's lot"
    assert listing.year_renovated is None, "public records repeat the year built"
    assert listing.tax_assessed_value is None, "the land value is not given"
    assert [event.event for event in listing.price_history] == [
        "sold",
        "pending",
        "price_change",
        "listed",
        "sold",
    ]


def test_sparse_home_page_keeps_what_it_has_and_reports_the_broken_response() -> None:
    page = redfin.parse(fixture("detail_sparse.html"), SPARSE_URL)

    assert len(page.failures) == 1
    assert "belowTheFold: malformed JSON" in page.failures[0]
    assert page.listings == [
        Listing(
            source="redfin",
            source_id="30477215",
            url=SPARSE_URL,
            status="for_sale",
            price=389_000.0,
            street="930 Sagebrush Hollow Way",
            city="Reno",
            state="NV",
            zip_code="89523",
            latitude=39.5301822,
            longitude=-119.8735562,
            sqft=1210,
        )
    ]


def test_cut_off_server_state_is_a_failure_and_jsonld_still_gives_the_home() -> None:
    page = redfin.parse(fixture("detail_malformed_state.html"), MALFORMED_URL)

    assert len(page.failures) == 1
    assert "server state: malformed JSON" in page.failures[0]
    assert page.listings == [
        Listing(
            source="redfin",
            source_id="9912043",
            url=MALFORMED_URL,
            status="for_sale",
            price=467_500.0,
            street="4418 W Ridgecrest Dr",
            city="Spokane",
            state="WA",
            zip_code="99208",
            latitude=47.7310456,
            longitude=-117.4691203,
            property_type="single_family",
            sqft=1876,
        )
    ]


def test_search_api_gives_each_result_in_order_and_reports_the_bad_one() -> None:
    page = redfin.parse(fixture("search_api.json"), SEARCH_API_URL)

    assert [listing.source_id for listing in page.listings] == [
        "71820455",
        "71904512",
        "71877340",
        "71733018",
        "71988410",
        "71990021",
        "71995577",
    ]
    assert page.failures == [
        "result 7 (propertyId 71999134): state: Value error, not a US state: 'Colorado Territory'"
    ]
    assert page.detail_urls[0] == f"{ORIGIN}/CO/Denver/3312-N-Gilpin-St-80205/home/71820455"
    assert page.detail_urls[-1] == f"{ORIGIN}/CO/Denver/3120-N-High-St-80205/home/71999134"
    assert len(page.detail_urls) == 8


def test_search_api_result_fields() -> None:
    first = redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings[0]

    assert first == Listing(
        source="redfin",
        source_id="71820455",
        url=f"{ORIGIN}/CO/Denver/3312-N-Gilpin-St-80205/home/71820455",
        status="for_sale",
        price=689_000.0,
        street="3312 N Gilpin St",
        city="Denver",
        state="CO",
        zip_code="80205",
        latitude=39.7610352,
        longitude=-104.9671809,
        property_type="single_family",
        bedrooms=3,
        bathrooms=2.5,
        bathrooms_full=2,
        bathrooms_half=1,
        sqft=1834,
        lot_sqft=6250.0,
        year_built=1904,
        stories=2.0,
        days_on_market=5,
        mls_id="4820455",
        description="Restored 1904 Denver Square with a two-car garage off the alley.",
    )
    assert first.sold_date is None, "an earlier sale is not this listing's sale"


def test_search_api_statuses_and_property_types_map_onto_the_platform_vocabulary() -> None:
    listings = redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings

    assert [(item.status, item.property_type) for item in listings] == [
        ("for_sale", "single_family"),
        ("pending", "condo"),  # Contingent
        ("for_sale", "townhouse"),  # Coming Soon
        ("sold", "multi_family"),
        ("for_sale", "land"),  # only the search filter's code is given
        ("pending", "other"),  # Active Under Contract, an unknown type code
        ("other", None),  # no status, no type
    ]


def test_sold_search_result_has_a_sale_and_no_asking_price() -> None:
    sold = redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings[3]

    assert (sold.price, sold.sold_price, sold.sold_date) == (None, 901_000.0, date(2025, 2, 14))


def test_search_result_with_a_unit_and_monthly_hoa() -> None:
    condo = redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings[1]

    assert (condo.street, condo.unit, condo.hoa_fee) == ("1600 E 19th Ave", "#304", 385.0)


def test_zero_valued_search_facts_are_unknown() -> None:
    zeros = redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings[5]

    assert (zeros.price, zeros.sqft, zeros.lot_sqft, zeros.year_built) == (None, None, None, None)
    assert (zeros.latitude, zeros.longitude, zeros.hoa_fee) == (None, None, None)
    assert (zeros.bedrooms, zeros.days_on_market) == (2, 0), "0 days on market is a fact"


def test_search_result_with_null_fields_has_none() -> None:
    bare = redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings[6]

    assert bare == Listing(
        source="redfin",
        source_id="71995577",
        url=f"{ORIGIN}/CO/Denver/Undisclosed-Address-80205/home/71995577",
        status="other",
        city="Denver",
        state="CO",
    )


def test_full_search_api_page_leads_to_the_next_page_number() -> None:
    page = redfin.parse(fixture("search_api.json"), SEARCH_API_URL)

    assert page.next_pages == [SEARCH_API_URL.replace("page_number=1", "page_number=2")]


def test_search_api_page_with_fewer_homes_than_asked_is_the_last() -> None:
    last_page = SEARCH_API_URL.replace("num_homes=8", "num_homes=350")

    assert redfin.parse(fixture("search_api.json"), last_page).next_pages == []


def test_search_api_without_url_has_links_on_redfin() -> None:
    page = redfin.parse(fixture("search_api.json"))

    assert page.detail_urls[0] == f"{ORIGIN}/CO/Denver/3312-N-Gilpin-St-80205/home/71820455"
    assert page.next_pages == []


def test_malformed_search_api_body_is_an_empty_page_with_a_failure() -> None:
    page = redfin.parse(fixture("search_api_malformed.json"), SEARCH_API_URL)

    assert (page.kind, page.listings, page.detail_urls) == ("redfin.search_api", [], [])
    assert len(page.failures) == 1
    assert "malformed JSON" in page.failures[0]


def test_search_api_error_result_is_reported() -> None:
    body = '{}&&{"version":412,"errorMessage":"Invalid argument","resultCode":1,"payload":{}}'

    page = redfin.parse(body, SEARCH_API_URL)

    assert page.listings == []
    assert page.failures == [f"{SEARCH_API_URL}: resultCode 1: Invalid argument"]


def test_search_page_gives_the_homes_of_its_location_not_the_nearby_ones() -> None:
    page = redfin.parse(fixture("search_page.html"), f"{ORIGIN}/zipcode/80205")

    assert page.failures == []
    assert [listing.source_id for listing in page.listings] == ["71820455", "71904512", "71877340"]
    assert page.listings[0] == redfin.parse(fixture("search_api.json"), SEARCH_API_URL).listings[0]
    assert page.detail_urls == [
        f"{ORIGIN}/CO/Denver/3312-N-Gilpin-St-80205/home/71820455",
        f"{ORIGIN}/CO/Denver/1600-E-19th-Ave-80218/unit-304/home/71904512",
        f"{ORIGIN}/CO/Denver/2971-Marion-Ct-80205/home/71877340",
    ]


@pytest.mark.parametrize(
    ("page_url", "next_page"),
    [
        (f"{ORIGIN}/zipcode/80205", f"{ORIGIN}/zipcode/80205/page-2"),
        (f"{ORIGIN}/zipcode/80205/page-2", f"{ORIGIN}/zipcode/80205/page-3"),
    ],
)
def test_search_page_links_the_page_after_it(page_url: str, next_page: str) -> None:
    assert redfin.parse(fixture("search_page.html"), page_url).next_pages == [next_page]


def test_last_search_page_has_no_next_page() -> None:
    page = redfin.parse(fixture("search_page.html"), f"{ORIGIN}/zipcode/80205/page-3")

    assert page.next_pages == []


def test_rentals_search_api_links_building_pages_and_the_next_start() -> None:
    url = f"{ORIGIN}/stingray/api/v1/search/rentals?al=1&region_id=20001&region_type=2"

    page = redfin.parse(fixture("rentals_search_api.json"), f"{url}&num_homes=2&start=0")

    assert (page.listings, page.failures) == ([], [])
    assert page.detail_urls == [
        BUILDING_URL,
        f"{ORIGIN}/CO/Denver/2246-Lawrence-St-80205/home/183300977",
    ]
    assert page.next_pages == [f"{url}&num_homes=2&start=2"]
    last = redfin.parse(fixture("rentals_search_api.json"), f"{url}&num_homes=2&start=4")
    assert last.next_pages == [], "5 homes matched"


def test_building_page_gives_one_rental_per_unit_or_unitless_floor_plan() -> None:
    page = redfin.parse(fixture("building_rentals.html"), BUILDING_URL)

    assert page.failures == []
    assert [
        (item.source_id, item.unit, item.price, item.bedrooms, item.bathrooms, item.sqft)
        for item in page.listings
    ] == [
        (f"{RENTAL_ID}:plan-ut-3101", None, 1595.0, 0, 1.0, 488),
        (f"{RENTAL_ID}:210", "210", 2140.0, 1, 1.0, 702),
        (f"{RENTAL_ID}:318", "318", 2195.0, 1, 1.0, 702),
        (f"{RENTAL_ID}:605", "605", 3050.0, 2, 2.0, 1104),
    ]
    assert page.listings[1] == Listing(
        source="redfin",
        source_id=f"{RENTAL_ID}:210",
        url=BUILDING_URL,
        status="for_rent",
        price=2140.0,
        street="1720 Wazee St",
        unit="210",
        city="Denver",
        state="CO",
        zip_code="80202",
        latitude=39.7563317,
        longitude=-104.9966204,
        property_type="apartment",
        bedrooms=1,
        bathrooms=1.0,
        bathrooms_full=1,
        bathrooms_half=0,
        sqft=702,
    )


def test_floor_plan_api_gives_the_same_units_without_the_building_address() -> None:
    from_api = redfin.parse(fixture("floor_plans_api.json")).listings
    from_page = redfin.parse(fixture("building_rentals.html"), BUILDING_URL).listings

    assert [item.source_id for item in from_api] == [item.source_id for item in from_page]
    assert all(item.status == "for_rent" for item in from_api)
    assert (from_api[0].street, from_api[0].url, from_api[0].unit) == (None, None, None)


def test_leased_unit_is_off_market() -> None:
    plans = json.loads(fixture("floor_plans_api.json"))
    plans["unitTypesByBedroom"][0]["availableUnitTypes"][1]["units"][0]["status"] = "Leased"

    listings = redfin.parse(json.dumps(plans)).listings

    assert [item.status for item in listings] == ["for_rent", "off_market", "for_rent", "for_rent"]


def test_unrelated_body_is_not_parsed_as_redfin() -> None:
    page = redfin.parse("<html><body>Nothing here</body></html>", "https://example.test/")

    assert page.listings == []
    assert page.failures == ["https://example.test/: not a Redfin page"]


HOME_URL = f"{ORIGIN}/TX/Austin/88-Quarry-Bend-78745/home/555"


def test_off_market_home_keeps_its_last_sale_and_has_no_asking_price() -> None:
    section = {
        "status": {"displayValue": "Off Market"},
        "priceInfo": {"amount": 310000, "label": "Last Sold Price"},
        "soldDate": 1_500_000_000_000,
        "city": "Austin",
        "state": "TX",
    }
    history = {"events": [{"eventDescription": "Listed", "price": 325000, "eventDate": 1}]}
    body = home_page(
        {
            "aboveTheFold": {"addressSectionInfo": section},
            "belowTheFold": {"propertyHistoryInfo": history},
        }
    )

    listing = redfin.parse(body, HOME_URL).listings[0]

    assert (listing.source_id, listing.status) == ("555", "off_market")
    assert (listing.price, listing.sold_price, listing.sold_date) == (
        None,
        310_000.0,
        date(2017, 7, 14),
    )


def test_home_page_without_its_facts_falls_back_to_jsonld() -> None:
    residence = {
        "@type": "SingleFamilyResidence",
        "address": {"streetAddress": "88 Quarry Bend", "addressRegion": "TX"},
    }
    jsonld = f'<script type="application/ld+json">{json.dumps(residence)}</script>'

    page = redfin.parse(home_page({"avm": {"predictedValue": 401000}}, jsonld), HOME_URL)

    assert page.failures == []
    assert page.listings == [
        Listing(
            source="redfin",
            source_id="555",
            url=HOME_URL,
            status="other",
            street="88 Quarry Bend",
            state="TX",
            property_type="single_family",
        )
    ]


def test_home_page_with_nothing_about_the_home_has_no_listing() -> None:
    page = redfin.parse(home_page({"avm": {"predictedValue": 401000}}), HOME_URL)

    assert (page.kind, page.listings, page.failures) == ("redfin.detail", [], [])


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Active", "for_sale"),
        ("Coming Soon", "for_sale"),
        ("Active Under Contract", "pending"),
        ("Pending - Taking Backups", "pending"),
        ("Contingent", "pending"),
        ("Closed", "sold"),
        ("Withdrawn", "off_market"),
        ("Expired", "off_market"),
        ("For Rent", "for_rent"),
        ("Auction", "other"),
    ],
)
def test_mls_status_words_map_onto_the_platform_statuses(status: str, expected: str) -> None:
    body = home_page({"aboveTheFold": {"addressSectionInfo": {"status": {"displayValue": status}}}})

    assert redfin.parse(body, HOME_URL).listings[0].status == expected


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"propertyType": 6}, "single_family"),
        ({"propertyType": 3}, "condo"),
        ({"propertyType": 13}, "townhouse"),
        ({"propertyType": 4}, "multi_family"),
        ({"propertyType": 8}, "land"),
        ({"propertyType": 42}, "other"),
        ({"propertyType": "VACANT_LAND"}, "land"),
        ({}, None),
    ],
)
def test_property_type_codes_map_onto_the_platform_types(
    section: dict[str, Any], expected: str | None
) -> None:
    body = home_page({"aboveTheFold": {"addressSectionInfo": section}})

    assert redfin.parse(body, HOME_URL).listings[0].property_type == expected
