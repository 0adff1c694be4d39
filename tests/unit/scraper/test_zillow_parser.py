"""The Zillow parser on pages and API bodies written in Zillow's structure (invented homes)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from services.scraper.parsers import zillow
from shared.listing import Broker, DistressSignal, Listing, PriceEvent

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scraper" / "zillow"
ZILLOW = "https://www.zillow.com"
BEND_SEARCH = f"{ZILLOW}/bend-or/"
BOISE_RENTALS = f"{ZILLOW}/homes/for_rent/Boise,-ID_rb/"
SEARCH_API = f"{ZILLOW}/async-create-search-page-state"
BEND_HOME = f"{ZILLOW}/homedetails/2417-NW-Crossing-Dr-Bend-OR-97703/48213377_zpid/"
FOUNDRY = f"{ZILLOW}/apartments/boise-id/the-foundry-lofts/5Ztq8W/"
SPOKANE_QUERY = {
    "pagination": {"currentPage": 2},
    "usersSearchTerm": "Spokane WA",
    "regionSelection": [{"regionId": 28291, "regionType": 6}],
}
SPOKANE_SEARCH = f"{ZILLOW}/homes/for_sale/?searchQueryState=" + quote(json.dumps(SPOKANE_QUERY))


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parsed(name: str, url: str | None) -> zillow.ParsedPage:
    return zillow.parse(fixture(name), url)


def photo(digest_and_size: str) -> str:
    return f"https://photos.zillowstatic.com/fp/{digest_and_size}.jpg"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("search_for_sale.html", "zillow.search"),
        ("search_rentals.html", "zillow.search"),
        ("search_legacy_store.html", "zillow.search"),
        ("malformed_search.html", "zillow.search"),
        ("search_api_sold.json", "zillow.search_api"),
        ("search_api_partial.json", "zillow.search_api"),
        ("detail_for_sale.html", "zillow.detail"),
        ("detail_rental.html", "zillow.detail"),
        ("detail_sold_legacy.html", "zillow.detail"),
        ("detail_sparse_lot.html", "zillow.detail"),
        ("malformed_detail_cache.html", "zillow.detail"),
        ("building_rentals.html", "zillow.building"),
    ],
)
def test_detect_names_the_kind_of_every_zillow_page(name: str, kind: str) -> None:
    assert zillow.detect(fixture(name)) == kind


@pytest.mark.parametrize(
    "body",
    [
        '<html><head><script type="application/ld+json">{"@type": "SingleFamilyResidence",'
        '"address": {"streetAddress": "1 Main St"}}</script></head></html>',
        '<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":'
        '{"property":{"property_id":"123","list_price":450000}}}}</script>',
        '{}&&{"payload":{"homes":[]}}',
        '{"data":{"home_search":{"results":[]}}}',
        "",
    ],
)
def test_detect_leaves_other_sites_pages_alone(body: str) -> None:
    assert zillow.detect(body) is None


def test_detect_claims_none_of_the_other_sites_fixtures() -> None:
    others = [
        path
        for path in FIXTURES.parent.rglob("*")
        if path.is_file() and FIXTURES not in path.parents
    ]

    claimed = [path.name for path in others if zillow.detect(path.read_text(errors="replace"))]

    assert claimed == []


def test_search_page_reads_list_results_then_new_map_pins_in_page_order() -> None:
    page = parsed("search_for_sale.html", BEND_SEARCH)

    assert page.kind == "zillow.search"
    assert page.failures == []
    assert [listing.source_id for listing in page.listings] == [
        "48213377", "2071456620", "2058813490", "48241902", "48199015", "2081177043", "48230456",
    ]  # fmt: skip
    assert page.next_pages == [f"{ZILLOW}/bend-or/2_p/"]
    assert page.detail_urls == [
        f"{ZILLOW}/homedetails/2417-NW-Crossing-Dr-Bend-OR-97703/48213377_zpid/",
        f"{ZILLOW}/homedetails/915-SW-Rimrock-Way-204-Bend-OR-97702/2071456620_zpid/",
        f"{ZILLOW}/homedetails/65120-Tumalo-Reservoir-Rd-Bend-OR-97703/2058813490_zpid/",
        f"{ZILLOW}/homedetails/1834-NE-Purcell-Blvd-Bend-OR-97701/48241902_zpid/",
        f"{ZILLOW}/homedetails/20548-Brentwood-Ave-Bend-OR-97702/48199015_zpid/",
        f"{ZILLOW}/community/petrosa-ridge/41902_plid/",
        f"{ZILLOW}/homedetails/20374-Pinebrook-Blvd-UNIT-12-Bend-OR-97702/2081177043_zpid/",
        f"{ZILLOW}/homedetails/61455-Linton-Loop-Bend-OR-97702/48230456_zpid/",
    ]


def test_search_result_prefers_the_home_info_facts() -> None:
    first = parsed("search_for_sale.html", BEND_SEARCH).listings[0]

    assert first == Listing(
        source="zillow",
        source_id="48213377",
        url=f"{ZILLOW}/homedetails/2417-NW-Crossing-Dr-Bend-OR-97703/48213377_zpid/",
        status="for_sale",
        price=749_000,
        street="2417 NW Crossing Dr",
        city="Bend",
        state="OR",
        zip_code="97703",
        latitude=44.06312,
        longitude=-121.35247,
        property_type="single_family",
        bedrooms=4,
        bathrooms=2.5,
        sqft=2310,
        lot_sqft=9147.6,
        days_on_market=6,
        photos=(
            photo("b0f0ed2847bb75bf01bcae655701fff3-p_e"),
            photo("307954d5fcb9b6235bd7f735263c54a1-p_e"),
        ),
        price_history=(
            PriceEvent(event_date=date(2024, 6, 4), event="price_change", price=749_000),
        ),
        tax_assessed_value=412_350,
        broker=Broker(name="High Desert Realty Group"),
    )


def test_search_results_map_zillow_words_and_unknowns() -> None:
    by_id = {
        listing.source_id: listing
        for listing in parsed("search_for_sale.html", BEND_SEARCH).listings
    }

    condo, lot = by_id["2071456620"], by_id["2058813490"]
    assert (condo.street, condo.unit, condo.property_type) == (
        "915 SW Rimrock Way",
        "#204",
        "condo",
    )
    assert condo.days_on_market == 12  # daysOnZillow -1, timeOnZillow 12 days in ms
    assert (lot.property_type, lot.bedrooms, lot.bathrooms, lot.sqft) == ("land", None, None, None)
    assert lot.lot_sqft == 108_900  # 2.5 acres
    assert by_id["48199015"].status == "pending"
    assert by_id["48199015"].property_type == "townhouse"
    assert by_id["48241902"].distress_signals == (DistressSignal(kind="bank_owned", feed="zillow"),)


def test_search_result_without_home_info_falls_back_to_the_card() -> None:
    by_id = {
        listing.source_id: listing
        for listing in parsed("search_for_sale.html", BEND_SEARCH).listings
    }

    manufactured = by_id["2081177043"]
    assert manufactured.price == 219_900
    assert (manufactured.street, manufactured.unit) == ("20374 Pinebrook Blvd", "UNIT 12")
    assert manufactured.property_type == "manufactured"  # from "Manufactured home for sale"
    assert (manufactured.bedrooms, manufactured.bathrooms, manufactured.sqft) == (3, 2.0, 1456)


def test_rental_search_reads_monthly_rents_and_one_listing_per_building_unit() -> None:
    page = parsed("search_rentals.html", BOISE_RENTALS)

    assert page.failures == []
    assert [(item.source_id, item.price, item.bedrooms) for item in page.listings] == [
        ("2063358810", 1650, 1),
        ("2077420168", 2150, 3),
        ("1004523317:beds-0", 1295, 0),
        ("1004523317:beds-1", 1540, 1),
        ("1004523317:beds-2", 1985, 2),
        ("2079911442", 1195, 0),
    ]
    assert all(listing.status == "for_rent" for listing in page.listings)
    assert page.next_pages == [f"{ZILLOW}/homes/for_rent/Boise,-ID_rb/2_p/"]
    assert f"{ZILLOW}/b/the-foundry-lofts-boise-id-5Ztq8W/" in page.detail_urls


def test_building_card_unit_takes_the_building_address_not_zillows_key() -> None:
    studio = parsed("search_rentals.html", BOISE_RENTALS).listings[2]

    assert studio == Listing(
        source="zillow",
        source_id="1004523317:beds-0",
        url=f"{ZILLOW}/b/the-foundry-lofts-boise-id-5Ztq8W/",
        status="for_rent",
        price=1295,
        street="610 S 9th St",
        city="Boise",
        state="ID",
        zip_code="83702",
        latitude=43.61492,
        longitude=-116.20231,
        property_type="apartment",
        bedrooms=0,
        photos=(photo("244cc8ee785ecc1f5fc4b13cfb5a0213-p_e"),),
    )


def test_rental_card_photos_come_from_the_composable_carousel() -> None:
    apartment = parsed("search_rentals.html", BOISE_RENTALS).listings[0]

    assert apartment.photos == (
        photo("1bb620ee8222fac7785e219f572fd961-p_e"),
        photo("d6e4733e5bb3a7a97f7b008e975a996c-p_e"),
        photo("718d852136a3615c55de7e74e4978bc6-p_e"),
    )


def test_rental_without_home_info_reads_the_text_rent() -> None:
    house = parsed("search_rentals.html", BOISE_RENTALS).listings[1]

    assert (house.price, house.property_type, house.street) == (
        2150,
        "single_family",
        "4411 N Sawyer Ave",
    )


def test_studio_condo_keeps_zero_bedrooms() -> None:
    studio = parsed("search_rentals.html", BOISE_RENTALS).listings[5]

    assert (studio.property_type, studio.bedrooms, studio.unit) == ("condo", 0, "Unit 508")


def test_legacy_search_store_and_query_state_pagination() -> None:
    page = parsed("search_legacy_store.html", SPOKANE_SEARCH)

    assert [listing.source_id for listing in page.listings] == ["23584410", "23611273"]
    assert page.listings[0].lot_sqft == 5662
    assert page.listings[1].status == "pending"  # for sale, flagged is_pending
    [next_page] = page.next_pages
    state = json.loads(parse_qs(urlsplit(next_page).query)["searchQueryState"][0])
    assert state["pagination"] == {"currentPage": 3}
    assert state["usersSearchTerm"] == "Spokane WA"


def test_search_api_reads_sold_homes_with_their_sale_price_and_date() -> None:
    page = parsed("search_api_sold.json", SEARCH_API)

    assert page.kind == "zillow.search_api"
    assert page.failures == []
    assert page.next_pages == []
    first, condo, unknown_type = page.listings
    assert first == Listing(
        source="zillow",
        source_id="28105447",
        url=f"{ZILLOW}/homedetails/2931-E-Hampton-St-Tucson-AZ-85716/28105447_zpid/",
        status="sold",
        sold_price=412_000,
        sold_date=date(2023, 11, 10),
        street="2931 E Hampton St",
        city="Tucson",
        state="AZ",
        zip_code="85716",
        latitude=32.23561,
        longitude=-110.92803,
        property_type="single_family",
        bedrooms=3,
        bathrooms=2,
        sqft=1622,
        photos=first.photos,
    )
    assert (condo.street, condo.unit, condo.sold_date) == (
        "1550 N Wilmot Rd",
        "UNIT 214",
        date(2023, 11, 24),
    )
    assert (unknown_type.status, unknown_type.property_type, unknown_type.bedrooms) == (
        "sold",
        None,
        None,
    )


def test_search_api_reports_a_broken_result_and_reads_the_others() -> None:
    page = parsed("search_api_partial.json", SEARCH_API)

    assert [listing.source_id for listing in page.listings] == ["2091733561", "2091733564"]
    assert page.failures == [
        "zillow 2091733562: latitude: Input should be less than or equal to 90",
        "zillow result 2: a building without an identifier",
    ]
    coming_soon, zeros = page.listings
    assert (coming_soon.status, coming_soon.property_type) == ("other", "other")
    assert (coming_soon.latitude, coming_soon.longitude, coming_soon.sqft) == (None, None, None)
    assert coming_soon.price == 1_049_000  # homeInfo price null: the card's
    assert (coming_soon.street, coming_soon.city, coming_soon.zip_code) == (
        "71 Juniper Ln",
        "Sisters",
        "97759",
    )
    assert zeros.model_dump(exclude_defaults=True) == {
        "source": "zillow",
        "source_id": "2091733564",
        "status": "for_sale",
        "street": "15 Ponderosa Ct",
        "city": "Sisters",
        "state": "OR",
        "zip_code": "97759",
        "property_type": "single_family",
    }


def test_detail_page_reads_the_property_out_of_the_json_string_cache() -> None:
    page = parsed("detail_for_sale.html", BEND_HOME)

    assert page.kind == "zillow.detail"
    assert page.failures == []
    [home] = page.listings
    assert home.model_dump(exclude={"photos", "description"}) == Listing(
        source="zillow",
        source_id="48213377",
        url=BEND_HOME,
        status="for_sale",
        price=749_000,
        list_date=date(2024, 6, 1),
        street="2417 NW Crossing Dr",
        city="Bend",
        state="OR",
        zip_code="97703",
        latitude=44.06312,
        longitude=-121.35247,
        property_type="single_family",
        bedrooms=4,
        bathrooms=2.5,
        bathrooms_full=2,
        bathrooms_half=1,
        sqft=2310,
        lot_sqft=9147.6,
        year_built=2016,
        stories=2,
        hoa_fee=54,
        days_on_market=6,
        mls_id="220168841",
        price_history=(
            PriceEvent(
                event_date=date(2024, 6, 4),
                event="price_change",
                price=749_000,
                source="Oregon Datashare",
            ),
            PriceEvent(
                event_date=date(2024, 6, 1),
                event="listed",
                price=769_000,
                source="Oregon Datashare",
            ),
            PriceEvent(
                event_date=date(2018, 8, 17), event="sold", price=512_000, source="Public Record"
            ),
        ),
        tax_assessed_value=412_350,
        tax_annual_amount=6873.42,
        broker=Broker(
            name="High Desert Realty Group", agent_name="Marisol Tenney", phone="541-555-0142"
        ),
    ).model_dump(exclude={"photos", "description"})
    assert home.description is not None and home.description.startswith("Light-filled")
    assert home.photos == (
        photo("0731cb72a74a6544fd02b1076ef93f52-cc_ft_1536"),
        photo("d91069235b77e72094160ad7dff5e779-cc_ft_1536"),
        photo("307954d5fcb9b6235bd7f735263c54a1-cc_ft_1536"),
    )


def test_rental_detail_reads_the_monthly_rent_and_moved_photo_gallery() -> None:
    [house] = parsed("detail_rental.html", None).listings

    assert (house.status, house.price, house.bedrooms, house.bathrooms) == ("for_rent", 2150, 3, 2)
    assert house.sqft == 1380 and house.lot_sqft == 7405
    assert house.price_history == (
        PriceEvent(
            event_date=date(2024, 5, 24), event="listed", price=2150, source="Zillow Rental Manager"
        ),
    )
    assert house.broker == Broker(agent_name="Corbin Vale", phone="208-555-0177")
    assert house.photos == (
        photo("db6c6c6b89859e826dab182e1c7c2ac0-uncropped_scaled_within_1536_1152"),
    )


def test_legacy_apollo_detail_of_a_sold_home() -> None:
    [home] = parsed("detail_sold_legacy.html", None).listings

    assert (home.source_id, home.status, home.price) == ("28105447", "sold", None)
    assert (home.sold_price, home.sold_date) == (412_000, date(2023, 11, 10))
    assert home.list_date == date(2023, 9, 14)  # the latest "Listed for sale" event
    assert [event.event for event in home.price_history] == ["sold", "pending", "listed"]
    assert (home.lot_sqft, home.year_built, home.mls_id) == (8276, 1957, "22324419")
    assert len(home.photos) == 1


def test_sparse_detail_turns_zeros_and_nulls_into_unknowns() -> None:
    url = f"{ZILLOW}/homedetails/65120-Tumalo-Reservoir-Rd-Bend-OR-97703/2058813490_zpid/"
    page = parsed("detail_sparse_lot.html", url)

    assert page.failures == []
    assert page.listings[0] == Listing(
        source="zillow",
        source_id="2058813490",
        url=url,
        status="for_sale",
        price=289_000,
        street="65120 Tumalo Reservoir Rd",
        city="Bend",
        state="OR",
        zip_code="97703",
        property_type="land",
        lot_sqft=108_900,
    )


def test_building_page_gives_one_listing_per_unit_and_per_empty_floor_plan() -> None:
    page = parsed("building_rentals.html", FOUNDRY)

    assert page.kind == "zillow.building"
    assert page.failures == []
    assert [
        (item.source_id, item.unit, item.price, item.bedrooms, item.sqft) for item in page.listings
    ] == [
        ("2081556201", "Unit 208", 1295, 0, 455),
        ("2081556202", "Unit 314", 1350, 0, 455),
        ("1004523317:plan-B2", None, 1985, 2, 1010),
        ("2081556230", "Unit PH1", 3150, 3, 1460),
    ]
    first = page.listings[0]
    assert first.url == f"{ZILLOW}/homedetails/610-S-9th-St-208-Boise-ID-83702/2081556201_zpid/"
    assert page.listings[2].url == FOUNDRY
    assert (first.street, first.city, first.state, first.zip_code) == (
        "610 S 9th St",
        "Boise",
        "ID",
        "83702",
    )
    assert (first.status, first.property_type, first.list_date) == (
        "for_rent",
        "apartment",
        date(2024, 6, 15),
    )


def detail_body(home: dict[str, object], *, cache_as_text: bool = True) -> str:
    cache = {'ForSaleShopperPlatformFullRenderQuery{"zpid":1}': {"property": home}}
    component = {"gdpClientCache": json.dumps(cache) if cache_as_text else cache}
    next_data = {"props": {"pageProps": {"componentProps": component}}}
    return f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(next_data)}</script>'


def test_detail_facts_given_only_as_text_or_under_other_names() -> None:
    home = {
        "zpid": 1,
        "homeStatus": "FOR_SALE",
        "homeType": "HOME_TYPE_UNKNOWN",
        "streetAddress": "5 Oak Ct APT 2B",
        "price": 300_000,
        "datePostedString": "2024-03-02",
        "resoFacts": {"associationFee": "$1,200 annually", "bathroomsFloat": 1.5},
    }

    [listing] = zillow.parse(detail_body(home, cache_as_text=False), None).listings

    assert (listing.street, listing.unit) == ("5 Oak Ct", "APT 2B")
    assert (listing.property_type, listing.bathrooms) == (None, 1.5)
    assert (listing.hoa_fee, listing.list_date) == (100, date(2024, 3, 2))


def test_sold_detail_takes_the_last_sold_price_over_the_page_price() -> None:
    home = {
        "zpid": 2,
        "homeStatus": "SOLD",
        "streetAddress": "8 Birch Rd",
        "price": 0,
        "lastSoldPrice": 455_000,
        "dateSold": "2024-02-09",
    }

    [listing] = zillow.parse(detail_body(home), None).listings

    assert (listing.status, listing.price) == ("sold", None)
    assert (listing.sold_price, listing.sold_date) == (455_000, date(2024, 2, 9))


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("malformed_search.html", "__NEXT_DATA__ is not valid JSON"),
        ("malformed_detail_cache.html", "gdpClientCache is not valid JSON"),
    ],
)
def test_malformed_embedded_json_gives_an_empty_page_with_a_failure(
    name: str, problem: str
) -> None:
    page = parsed(name, f"{ZILLOW}/some/page/")

    assert page.listings == []
    assert len(page.failures) == 1
    assert page.failures[0].startswith(f"{ZILLOW}/some/page/: {problem}")


@pytest.mark.parametrize(
    "body",
    [
        "{not json at all",
        "[1, 2, 3]",
        '{"cat1": {"searchResults": "nothing here"}}',
        '<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":'
        '{"searchPageState":null}}}</script>',
        '<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":'
        '{"componentProps":{"gdpClientCache":"{}"}}}}</script>',
        "<html><body>nothing</body></html>",
    ],
)
def test_broken_or_empty_bodies_never_raise(body: str) -> None:
    page = zillow.parse(body, SEARCH_API)

    assert page.listings == []


def test_search_state_moved_elsewhere_in_next_data_is_still_found() -> None:
    result = {"zpid": "7", "addressStreet": "9 Elm St", "unformattedPrice": 250_000}
    state = {"cat1": {"searchResults": {"listResults": [result]}}}
    next_data = {"props": {"pageProps": {"componentProps": {"searchPageState": state}}}}
    body = (
        '<html><body><script id="__NEXT_DATA__" type="application/json">'
        f"{json.dumps(next_data)}</script></body></html>"
    )

    page = zillow.parse(body, BEND_SEARCH)

    assert [(listing.source_id, listing.street, listing.price) for listing in page.listings] == [
        ("7", "9 Elm St", 250_000)
    ]


def test_search_api_get_url_advances_its_query_state_page() -> None:
    query = {"pagination": {}, "usersSearchTerm": "85716"}
    wants = quote(json.dumps({"cat1": ["listResults"]}))
    url = (
        f"{ZILLOW}/search/GetSearchPageState.htm?searchQueryState={quote(json.dumps(query))}"
        f"&wants={wants}&requestId=3"
    )
    body = json.dumps(
        {"cat1": {"searchResults": {"listResults": []}, "searchList": {"totalPages": 2}}}
    )

    [next_page] = zillow.parse(body, url).next_pages

    query_string = parse_qs(urlsplit(next_page).query)
    assert json.loads(query_string["searchQueryState"][0])["pagination"] == {"currentPage": 2}
    assert query_string["requestId"] == ["3"]
    assert zillow.parse(body, SEARCH_API).next_pages == []  # a PUT: the spider sends the page


def test_search_api_body_with_a_byte_order_mark_is_read() -> None:
    body = "\ufeff" + fixture("search_api_sold.json")

    assert zillow.detect(body) == "zillow.search_api"
    assert len(zillow.parse(body, SEARCH_API).listings) == 3


def test_next_page_stops_at_the_last_page() -> None:
    body = fixture("search_rentals.html")

    last = zillow.parse(body, f"{ZILLOW}/homes/for_rent/Boise,-ID_rb/2_p/")

    assert last.next_pages == []


@pytest.mark.parametrize(
    ("home_status", "status"),
    [
        ("FOR_SALE", "for_sale"),
        ("FOR_RENT", "for_rent"),
        ("RECENTLY_SOLD", "sold"),
        ("SOLD", "sold"),
        ("PENDING", "pending"),
        ("OFF_MARKET", "off_market"),
        ("PRE_FORECLOSURE", "off_market"),
        ("COMING_SOON", "other"),
        ("SOMETHING_NEW", "other"),
    ],
)
def test_zillow_statuses_map_onto_the_platform_vocabulary(home_status: str, status: str) -> None:
    result = {
        "zpid": "1",
        "addressStreet": "1 Main St",
        "unformattedPrice": 100_000,
        "hdpData": {"homeInfo": {"homeStatus": home_status}},
    }
    body = json.dumps({"cat1": {"searchResults": {"listResults": [result]}}})

    [listing] = zillow.parse(body, SEARCH_API).listings

    assert listing.status == status
