"""Reading Redfin: home pages, building pages with floor plans, search pages and the
map-search and floor-plan API responses.

Redfin's pages are rendered by its own React server, which writes the responses of the
internal "stingray" API calls it made into the page:

    root.__reactServerState.InitialContext = {"ReactServerAgent.cache": {"dataCache": {
        "/stingray/api/home/details/aboveTheFold?propertyId=...": {"res": {"text": "{}&&{...}"}},
        ...}}, ...};

Each cached `res.text` is the API body as a JSON *string*, behind the `{}&&` prefix Redfin
puts before every stingray response, wrapping `{"resultCode": 0, "payload": {...}}`.

- A home page (`/ST/City/<street>-<zip>/home/<propertyId>`) caches `initialInfo` (ids),
  `aboveTheFold` (`addressSectionInfo`: address, price, beds, baths, area, status, sold
  date; `mediaBrowserInfo`: photos; `mainHouseInfo`: remarks, agents, MLS status, HOA),
  `mainHouseInfoPanelInfo` (the same `mainHouseInfo` on newer pages) and `belowTheFold`
  (`publicRecordsInfo`: tax roll, stories, lot; `propertyHistoryInfo`: price history). It
  also carries schema.org JSON-LD (a `SingleFamilyResidence`, a `Product` with its offer,
  an open-house `Event`); the server state wins and the JSON-LD fills what it lacks.
- A rental building page (`/ST/City/<name>/apartment/<propertyId>`) caches
  `/stingray/api/v1/rentals/homecards` (the building's address) and
  `/stingray/api/v1/rentals/<rentalId>/floorPlans` (plain JSON: `unitTypesByBedroom`, each
  group's `availableUnitTypes` with their rent range, beds, baths, area and `units`; the
  "All" group repeats the others). Each unit, or each floor plan that lists no units, is
  one `for_rent` listing whose price is its monthly rent (a plan's starting rent).
- A search page (`/city/<id>/ST/<name>`, `/zipcode/<zip>`, then `.../page-2`) caches the
  map-search response (its `originalHomes` match the location; `homes` adds nearby ones).
- The map-search API (`/stingray/api/gis?...`) answers `{}&&{"payload": {"homes": [...]}}`;
  a home's facts are mostly `{"value": ...}` objects (`price`, `sqFt`, `lotSize`,
  `yearBuilt`, `latLong`, `streetLine`, `dom`, `hoa`, `mlsId`), its property type a code.
  The response does not say whether more pages exist.
- The rentals search API (`/stingray/api/v1/search/rentals?...`) answers `homes` of
  `homeData` (address, page URL) and `rentalExtension` (rent, bed and area ranges) with
  `numMatchedHomes`; its results are buildings, so they give links to building pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from services.scraper.parsers import jsonld
from services.scraper.parsers.page import ListingCollector, ParsedPage, absolute_urls
from shared import quantities
from shared.listing import (
    ListingStatus,
    PropertyType,
    price_event_kind,
    property_type,
)

SOURCE = "redfin"

KIND_DETAIL = "redfin.detail"
KIND_BUILDING = "redfin.building"
KIND_SEARCH = "redfin.search"
KIND_SEARCH_API = "redfin.search_api"
KIND_FLOOR_PLANS_API = "redfin.floor_plans_api"
KIND_RENTALS_SEARCH_API = "redfin.rentals_search_api"

ORIGIN = "https://www.redfin.com"
API_PREFIX = "{}&&"
WHITESPACE_AND_BOM = " \t\r\n\ufeff"
SERVER_STATE = "root.__reactServerState.InitialContext"
SERVER_STATE_ASSIGNMENT = re.compile(re.escape(SERVER_STATE) + r"\s*=\s*")
HOME_ID_IN_URL = re.compile(r"/(?:home|apartment)/(\d+)")
JSONLD_SCRIPT = re.compile(
    r"<script\b[^>]*application/ld\+json[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL
)
SEARCH_PAGE_NUMBER = re.compile(r"/page-(\d+)/?$")
SEARCH_PAGE_LINK = re.compile(r'href="([^"]*/page-(\d+))/?"')

# `propertyType` on homes and search results.
PROPERTY_TYPE_CODES: dict[int, PropertyType] = {
    3: "condo",  # condo or co-op
    4: "multi_family",  # 2-4 units
    5: "multi_family",  # 5+ units; an apartment building when it is for rent
    6: "single_family",
    7: "manufactured",
    8: "land",
    10: "other",
    13: "townhouse",
}
# `uiPropertyType`, the search filter's codes (`uipt`), when `propertyType` is absent.
UI_PROPERTY_TYPE_CODES: dict[int, PropertyType] = {
    1: "single_family",
    2: "condo",
    3: "townhouse",
    4: "multi_family",
    5: "land",
    6: "other",
    7: "manufactured",
    8: "condo",  # co-op
}
# Public-record type names (`propertyTypeName`) the shared vocabulary does not know.
PROPERTY_TYPE_NAMES: dict[str, PropertyType] = {
    "singlefamilyresidential": "single_family",
    "condocoop": "condo",
    "multifamilyunit": "multi_family",
    "multifamilyunits": "multi_family",
    "mobilemanufacturedhome": "manufactured",
    "ranch": "land",
}
# Redfin's `searchStatus` when no MLS status word is given: 1 active, 4 closed sale.
SEARCH_STATUS_CODES: dict[int, ListingStatus] = {1: "for_sale", 4: "sold"}
# MLS status words, most specific first: "Active Under Contract" is pending, not for sale.
STATUS_KEYWORDS: tuple[tuple[str, ListingStatus], ...] = (
    ("comingsoon", "for_sale"),
    ("pending", "pending"),
    ("contingent", "pending"),
    ("undercontract", "pending"),
    ("sold", "sold"),
    ("closed", "sold"),
    ("forrent", "for_rent"),
    ("rental", "for_rent"),
    ("leased", "off_market"),
    ("rented", "off_market"),
    ("withdrawn", "off_market"),
    ("expired", "off_market"),
    ("cancel", "off_market"),
    ("offmarket", "off_market"),
    ("delisted", "off_market"),
    ("active", "for_sale"),
    ("new", "for_sale"),
    ("pricechange", "for_sale"),
    ("backonmarket", "for_sale"),
)
HOA_MONTHS_PER_PERIOD = {
    "monthly": 1,
    "quarterly": 3,
    "semiannually": 6,
    "semiannual": 6,
    "annually": 12,
    "annual": 12,
    "yearly": 12,
}
UNAVAILABLE_UNIT_WORDS = ("leased", "rented", "unavailable")


def detect(body: str, url: str | None = None) -> str | None:
    """The kind of Redfin page or API body this is, None when it is not Redfin's."""
    start = body[:512].lstrip(WHITESPACE_AND_BOM)
    if start.startswith((API_PREFIX, "{")):
        if '"unitTypesByBedroom"' in body:
            return KIND_FLOOR_PLANS_API
        if '"rentalExtension"' in body and '"homes"' in body:
            return KIND_RENTALS_SEARCH_API
        is_map_search = start.startswith(API_PREFIX) and '"homes"' in body
        return KIND_SEARCH_API if is_map_search or "/stingray/api/gis" in (url or "") else None
    if SERVER_STATE not in body or "ReactServerAgent.cache" not in body:
        return None
    if "/floorPlans" in body or "/rentals/homecards" in body:
        return KIND_BUILDING
    if "/stingray/api/home/details/" in body:
        return KIND_DETAIL
    if "/stingray/api/gis" in body or "/stingray/api/v1/search/rentals" in body:
        return KIND_SEARCH
    return None


def parse(body: str, url: str | None = None) -> ParsedPage:
    """Every listing of the page or response in its own order, the links to home pages
    (search results) and the next search page; an unreadable page gives failures."""
    kind = detect(body, url)
    if kind == KIND_SEARCH_API:
        return _parse_search_api(body, url)
    if kind == KIND_FLOOR_PLANS_API:
        return _parse_floor_plans_api(body, url)
    if kind == KIND_RENTALS_SEARCH_API:
        return _parse_rentals_search_api(body, url)
    if kind in (KIND_DETAIL, KIND_BUILDING, KIND_SEARCH):
        return _parse_page(kind, body, url)
    return ParsedPage(kind="redfin.unknown", failures=[f"{url or 'page'}: not a Redfin page"])


# Pages -------------------------------------------------------------------------------


class CachedResponses:
    """The API responses a page's server state holds, decoded on demand by endpoint."""

    def __init__(self, data_cache: dict[str, Any]) -> None:
        self._entries = data_cache
        self.problems: list[str] = []

    def payload(self, endpoint: str) -> dict[str, Any]:
        """The payload of the first cached call whose path ends with `endpoint`; {} when
        the page has none or its body does not decode (recorded in `problems`)."""
        for key, entry in self._entries.items():
            if urlsplit(key).path.endswith(endpoint):
                text = _dict(_dict(entry).get("res")).get("text")
                if not isinstance(text, str):
                    return {}
                try:
                    return _payload(_api_json(text))
                except ValueError as error:
                    self.problems.append(f"{endpoint}: malformed JSON: {error}")
                    return {}
        return {}


def _parse_page(kind: str, body: str, url: str | None) -> ParsedPage:
    collector = ListingCollector()
    try:
        responses = CachedResponses(_data_cache(body))
    except ValueError as error:
        collector.failures.append(f"{url or 'page'}: server state: {error}")
        responses = CachedResponses({})
    base = url or ORIGIN
    detail_urls: list[str] = []
    next_pages: list[str] = []
    if kind == KIND_DETAIL:
        _collect_home(collector, responses, body, url)
    elif kind == KIND_BUILDING:
        homecard = _first(_dict(responses.payload("/rentals/homecards")).get("homes"))
        floor_plans = responses.payload("/floorPlans")
        _collect_units(collector, _dict(homecard), floor_plans, base)
    else:
        homes = _search_homes(responses.payload("/stingray/api/gis"))
        _collect_search_homes(collector, homes, base)
        rentals = _list(responses.payload("/search/rentals").get("homes"))
        links = [_dict(home).get("url") for home in homes]
        links += [_dict(_dict(home).get("homeData")).get("url") for home in rentals]
        detail_urls = absolute_urls(links, base)
        next_pages = _next_search_page(body, base)
    collector.failures.extend(responses.problems)
    return ParsedPage(kind, collector.listings, collector.failures, detail_urls, next_pages)


def _data_cache(body: str) -> dict[str, Any]:
    """`ReactServerAgent.cache.dataCache` of the page's server state; ValueError when the
    state is missing or is not JSON."""
    match = SERVER_STATE_ASSIGNMENT.search(body)
    if match is None:
        raise ValueError("no InitialContext")
    try:
        state, _ = json.JSONDecoder().raw_decode(body, match.end())
    except ValueError as error:
        raise ValueError(f"malformed JSON: {error}") from None
    return _dict(_dict(_dict(state).get("ReactServerAgent.cache")).get("dataCache"))


def _api_json(text: str) -> Any:
    text = text.strip(WHITESPACE_AND_BOM)
    return json.loads(text[len(API_PREFIX) :] if text.startswith(API_PREFIX) else text)


def _payload(response: Any) -> dict[str, Any]:
    """The `payload` of a stingray envelope, or the body itself when it has no envelope."""
    response = _dict(response)
    if "payload" in response or "resultCode" in response:
        return _dict(response.get("payload"))
    return response


# Home pages --------------------------------------------------------------------------


def _collect_home(
    collector: ListingCollector, responses: CachedResponses, body: str, url: str | None
) -> None:
    # Only the JSON-LD scripts are handed on: parsing a whole home page as HTML costs more
    # than everything else this parser does.
    scripts = "".join(JSONLD_SCRIPT.findall(body))
    from_jsonld = jsonld.parse(scripts, url, source=SOURCE, status="other").listings
    fallback = from_jsonld[0].model_dump(exclude={"schema_version"}) if from_jsonld else {}
    facts = _home_facts(responses, url)
    if facts is None and not fallback:
        return
    facts = facts or {"source_id": _home_id(url)}
    collector.add(url or "home page", lambda: _with_gaps_filled(facts, fallback))


def _with_gaps_filled(facts: dict[str, Any], fallback: dict[str, Any]) -> dict[str, Any]:
    """The server state's facts, with what only the JSON-LD states filled in."""
    merged = dict(fallback)
    merged.update({key: value for key, value in facts.items() if value not in (None, [], ())})
    merged["status"] = facts.get("status") or fallback.get("status") or "other"
    merged["source"] = SOURCE
    return merged


def _home_facts(responses: CachedResponses, url: str | None) -> dict[str, Any] | None:
    """The home as the cached API responses describe it; None when the page holds neither
    its `initialInfo` nor its `aboveTheFold`."""
    initial = responses.payload("/home/details/initialInfo")
    above = responses.payload("/home/details/aboveTheFold")
    if not initial and not above:
        return None
    below = responses.payload("/home/details/belowTheFold")
    panel = responses.payload("/home/details/mainHouseInfoPanelInfo")
    section = _dict(above.get("addressSectionInfo"))
    main = _dict(panel.get("mainHouseInfo")) or _dict(above.get("mainHouseInfo"))
    records = _dict(below.get("publicRecordsInfo"))
    basic = _dict(records.get("basicInfo"))
    history = [
        _dict(event) for event in _list(_dict(below.get("propertyHistoryInfo")).get("events"))
    ]

    status = _status(
        _dict(main.get("mlsStatusDisplay")).get("displayValue")
        or _dict(section.get("status")).get("displayValue"),
        section.get("searchStatus") or main.get("searchStatus"),
    )
    price_info = _dict(section.get("latestPriceInfo")) or _dict(section.get("priceInfo"))
    amount = quantities.positive(price_info.get("amount"))
    sold = status == "sold" or "sold" in str(price_info.get("label") or "").casefold()
    street, unit = _street_and_unit(section.get("streetAddress"))
    latitude, longitude = _lat_long(section.get("latLong") or initial.get("latLong"))
    year_built = quantities.positive_integer(
        _value(section.get("yearBuilt")) or basic.get("yearBuilt")
    )
    year_renovated = quantities.positive_integer(basic.get("yearRenovated"))
    page_url = section.get("url") or initial.get("url")
    return {
        "source": SOURCE,
        "source_id": _text(initial.get("propertyId") or section.get("propertyId") or _home_id(url)),
        "url": urljoin(url or ORIGIN, page_url) if isinstance(page_url, str) else url,
        "status": status,
        # A sold home's asking price is in its history; an off-market one has none.
        "price": (_list_price(history) if status == "sold" else None) if sold else amount,
        "sold_price": amount if sold else None,
        "sold_date": quantities.calendar_date(section.get("soldDate")) if sold else None,
        "list_date": _latest_event_date(history, "listed"),
        "street": street,
        "unit": unit,
        "city": _text(section.get("city")),
        "state": _text(section.get("state")),
        "zip_code": _text(section.get("zip")),
        "latitude": latitude,
        "longitude": longitude,
        "property_type": _property_type(section.get("propertyType"), basic.get("propertyTypeName")),
        "bedrooms": quantities.count(_value(section.get("beds"))),
        "bathrooms": quantities.bathrooms_total(
            section.get("baths"),
            _full_baths(section),
            _half_baths(section),
        ),
        "bathrooms_full": quantities.count(_full_baths(section)),
        "bathrooms_half": quantities.count(_half_baths(section)),
        "sqft": quantities.area_sqft(_value(section.get("sqFt"))),
        "lot_sqft": quantities.area_sqft(_value(section.get("lotSize")) or basic.get("lotSqFt")),
        "year_built": year_built,
        # Public records repeat the year built when a home was never renovated.
        "year_renovated": year_renovated if year_renovated != year_built else None,
        "stories": quantities.positive(basic.get("numStories")),
        "hoa_fee": _monthly_hoa(main.get("hoaDues")),
        "days_on_market": quantities.count(section.get("cumulativeDaysOnMarket")),
        "mls_id": _text(_value(main.get("mlsId") or initial.get("mlsId"))),
        "photos": _photos(above),
        "description": _remarks(main),
        "price_history": [_price_event(event) for event in history],
        "tax_assessed_value": _assessed_value(_dict(records.get("taxInfo"))),
        "tax_annual_amount": quantities.positive(_dict(records.get("taxInfo")).get("taxesDue")),
        "broker": _broker(main),
    }


def _street_and_unit(address: Any) -> tuple[str | None, str | None]:
    """House number and street from the address parts, and the unit (`#4B`, `Unit 12`)."""
    if isinstance(address, str):
        return _text(address), None
    address = _dict(address)
    parts = (
        address.get(key)
        for key in (
            "streetNumber", "directionalPrefix", "streetName", "streetType", "directionalSuffix"
        )
    )  # fmt: skip
    street = _text(" ".join(part for part in parts if isinstance(part, str) and part.strip()))
    unit_value = _text(address.get("unitValue"))
    unit_type = _text(address.get("unitType")) or ""
    unit = None
    if unit_value:
        unit = f"#{unit_value}" if unit_type in ("", "#") else f"{unit_type} {unit_value}"
    return street or _text(address.get("assembledAddress")), unit


def _full_baths(section: dict[str, Any]) -> Any:
    return _first_present(section.get("numFullBaths"), section.get("rawFullBaths"))


def _half_baths(section: dict[str, Any]) -> Any:
    return _first_present(section.get("numPartialBaths"), section.get("rawHalfBaths"))


def _photos(above: dict[str, Any]) -> list[str]:
    photos = []
    for photo in _list(_dict(above.get("mediaBrowserInfo")).get("photos")):
        urls = _dict(_dict(photo).get("photoUrls"))
        photos.append(urls.get("fullScreenPhotoUrl") or urls.get("nonFullScreenPhotoUrl"))
    return [photo for photo in photos if isinstance(photo, str)]


def _remarks(main: dict[str, Any]) -> str | None:
    for remark in _list(main.get("marketingRemarks")):
        text = _text(_dict(remark).get("marketingRemark"))
        if text:
            return text
    return _text(main.get("publicRemarksParagraph"))


def _broker(main: dict[str, Any]) -> dict[str, Any] | None:
    agent = _dict(_first(main.get("listingAgents")))
    broker = {
        "name": _text(agent.get("brokerName")),
        "agent_name": _text(_dict(agent.get("agentInfo")).get("agentName")),
        "phone": _text(_dict(agent.get("agentPhoneNumber")).get("phoneNumber")),
    }
    return broker if any(broker.values()) else None


def _monthly_hoa(dues: Any) -> float | None:
    dues = _dict(dues)
    amount = quantities.positive(dues.get("amount"))
    months = HOA_MONTHS_PER_PERIOD.get(_word(dues.get("frequency")))
    return None if amount is None or months is None else round(amount / months, 2)


def _assessed_value(tax: dict[str, Any]) -> float | None:
    land = quantities.number(tax.get("taxableLandValue"))
    improvement = quantities.number(tax.get("taxableImprovementValue"))
    return None if land is None or improvement is None else land + improvement


def _price_event(event: dict[str, Any]) -> dict[str, Any]:
    description = event.get("eventDescription")
    return {
        "event_date": quantities.calendar_date(event.get("eventDate")),
        "event": price_event_kind(description),
        "price": quantities.positive(event.get("price")),
        "source": _text(event.get("source")),
    }


def _latest_event_date(history: list[dict[str, Any]], kind: str) -> Any:
    """The date of the newest history event of `kind` (Redfin lists the newest first)."""
    for event in history:
        if price_event_kind(event.get("eventDescription")) == kind:
            return quantities.calendar_date(event.get("eventDate"))
    return None


def _list_price(history: list[dict[str, Any]]) -> float | None:
    """A sold home's last asking price: the newest listing or price change before its sale."""
    for event in history:
        kind = price_event_kind(event.get("eventDescription"))
        if kind in ("listed", "relisted", "price_change"):
            return quantities.positive(event.get("price"))
    return None


# Buildings and floor plans -----------------------------------------------------------


def _parse_floor_plans_api(body: str, url: str | None) -> ParsedPage:
    collector = ListingCollector()
    try:
        floor_plans = _payload(_api_json(body))
    except ValueError as error:
        collector.failures.append(f"{url or 'response'}: malformed JSON: {error}")
        return ParsedPage(KIND_FLOOR_PLANS_API, failures=collector.failures)
    _collect_units(collector, {}, floor_plans, None)
    return ParsedPage(KIND_FLOOR_PLANS_API, collector.listings, collector.failures)


def _collect_units(
    collector: ListingCollector,
    homecard: dict[str, Any],
    floor_plans: dict[str, Any],
    base: str | None,
) -> None:
    """One listing per unit, or per floor plan that lists no units, in the page's order."""
    home = _dict(homecard.get("homeData"))
    rental = _dict(homecard.get("rentalExtension"))
    # The rental id names the building both on its page and in the floor-plan API.
    building_id = _text(
        floor_plans.get("rentalId") or rental.get("rentalId") or home.get("propertyId")
    )
    building = _building_facts(home, base)
    for plan in _floor_plans(floor_plans):
        plan_facts = _plan_facts(plan, building)
        units = [_dict(unit) for unit in _list(plan.get("units"))]
        if not units:
            label = f"floor plan {plan.get('unitTypeId')} of {building_id}"
            collector.add(label, partial(_plan_listing, plan, plan_facts, building_id))
        for unit in units:
            label = f"unit {unit.get('unitId')} of {building_id}"
            collector.add(label, partial(_unit_listing, unit, plan_facts, building_id))


def _floor_plans(floor_plans: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each floor plan once: the "All" bedroom group repeats the others."""
    seen: set[str] = set()
    for group in _list(floor_plans.get("unitTypesByBedroom")):
        for plan in _list(_dict(group).get("availableUnitTypes")):
            plan = _dict(plan)
            key = str(plan.get("unitTypeId") or json.dumps(plan, sort_keys=True))
            if key not in seen:
                seen.add(key)
                yield plan


def _building_facts(home: dict[str, Any], base: str | None) -> dict[str, Any]:
    address = _dict(home.get("addressInfo"))
    centroid = _dict(_dict(address.get("centroid")).get("centroid"))
    url = home.get("url")
    building_type = _property_type(home.get("propertyType"), None)
    return {
        "source": SOURCE,
        "url": urljoin(base or ORIGIN, url) if isinstance(url, str) else None,
        "street": _text(address.get("formattedStreetLine")),
        "city": _text(address.get("city")),
        "state": _text(address.get("state")),
        "zip_code": _text(address.get("zip")),
        "latitude": quantities.number(centroid.get("latitude")),
        "longitude": quantities.number(centroid.get("longitude")),
        "property_type": (
            "apartment" if building_type in (None, "multi_family") else building_type
        ),
    }


def _plan_facts(plan: dict[str, Any], building: dict[str, Any]) -> dict[str, Any]:
    full, half = plan.get("fullBaths"), plan.get("halfBaths")
    return {
        **building,
        "status": _unit_status(plan.get("status")),
        "bedrooms": quantities.count(plan.get("bedrooms")),
        "bathrooms": quantities.bathrooms_total(None, full, half),
        "bathrooms_full": quantities.count(full),
        "bathrooms_half": quantities.count(half),
    }


def _plan_listing(
    plan: dict[str, Any], facts: dict[str, Any], building_id: str | None
) -> dict[str, Any]:
    """A floor plan without units: its starting rent and its smallest area."""
    return {
        **facts,
        "source_id": f"{building_id}:plan-{plan.get('unitTypeId')}",
        "price": quantities.positive(plan.get("rentPriceMin"))
        or quantities.positive(plan.get("rentPriceMax")),
        "sqft": quantities.area_sqft(plan.get("sqftMin"))
        or quantities.area_sqft(plan.get("sqftMax")),
    }


def _unit_listing(
    unit: dict[str, Any], facts: dict[str, Any], building_id: str | None
) -> dict[str, Any]:
    full = _first_present(unit.get("fullBaths"), facts["bathrooms_full"])
    half = _first_present(unit.get("halfBaths"), facts["bathrooms_half"])
    return {
        **facts,
        "source_id": f"{building_id}:{unit.get('unitId')}",
        "status": _unit_status(unit.get("status")),
        "unit": _text(unit.get("name")),
        "price": quantities.positive(unit.get("rentPrice")),
        "bedrooms": _first_present(quantities.count(unit.get("bedrooms")), facts["bedrooms"]),
        "bathrooms": quantities.bathrooms_total(None, full, half),
        "bathrooms_full": quantities.count(full),
        "bathrooms_half": quantities.count(half),
        "sqft": quantities.area_sqft(unit.get("sqft")),
    }


def _unit_status(status: Any) -> ListingStatus:
    word = _word(status)
    return "off_market" if any(gone in word for gone in UNAVAILABLE_UNIT_WORDS) else "for_rent"


# Search ------------------------------------------------------------------------------


def _parse_search_api(body: str, url: str | None) -> ParsedPage:
    collector = ListingCollector()
    try:
        response = _dict(_api_json(body))
    except ValueError as error:
        collector.failures.append(f"{url or 'response'}: malformed JSON: {error}")
        return ParsedPage(KIND_SEARCH_API, failures=collector.failures)
    if response.get("resultCode") not in (None, 0):
        collector.failures.append(
            f"{url or 'response'}: resultCode {response.get('resultCode')}: "
            f"{response.get('errorMessage')}"
        )
    base = url or ORIGIN
    homes = _search_homes(_payload(response))
    _collect_search_homes(collector, homes, base)
    return ParsedPage(
        KIND_SEARCH_API,
        collector.listings,
        collector.failures,
        absolute_urls((_dict(home).get("url") for home in homes), base),
        _next_search_api_page(url, len(homes)),
    )


def _search_homes(payload: dict[str, Any]) -> list[Any]:
    """The results of a search; a search page's cached response keeps the homes that
    match the location apart (`originalHomes`) from nearby ones."""
    original = _dict(payload.get("originalHomes")).get("homes")
    return _list(original if original is not None else payload.get("homes"))


def _next_search_page(body: str, page_url: str) -> list[str]:
    """The link to the search page after this one (`.../page-2` after the first)."""
    current = SEARCH_PAGE_NUMBER.search(urlsplit(page_url).path)
    wanted = (int(current.group(1)) if current else 1) + 1
    links = (href for href, number in SEARCH_PAGE_LINK.findall(body) if int(number) == wanted)
    return absolute_urls(links, page_url)[:1]


def _parse_rentals_search_api(body: str, url: str | None) -> ParsedPage:
    """Rental search results are buildings or homes with rent ranges; their units are
    read from each building's page, so the results give links only."""
    try:
        response = _payload(_api_json(body))
    except ValueError as error:
        failure = f"{url or 'response'}: malformed JSON: {error}"
        return ParsedPage(KIND_RENTALS_SEARCH_API, failures=[failure])
    homes = [_dict(_dict(home).get("homeData")) for home in _list(response.get("homes"))]
    return ParsedPage(
        KIND_RENTALS_SEARCH_API,
        detail_urls=absolute_urls((home.get("url") for home in homes), url or ORIGIN),
        next_pages=_next_search_api_page(url, len(homes), response.get("numMatchedHomes")),
    )


def _collect_search_homes(collector: ListingCollector, homes: list[Any], base: str) -> None:
    for index, home in enumerate(homes):
        home = _dict(home)
        label = f"result {index} (propertyId {home.get('propertyId')})"
        collector.add(label, partial(_search_listing, home, base))


def _search_listing(home: dict[str, Any], base: str) -> dict[str, Any]:
    status = _status(home.get("mlsStatus"), home.get("searchStatus"))
    amount = quantities.positive(_value(home.get("price")))
    sold = status == "sold"
    latitude, longitude = _lat_long(home.get("latLong"))
    if latitude is None:
        latitude, longitude = _lat_long(home)
    url = home.get("url")
    return {
        "source": SOURCE,
        "source_id": _text(home.get("propertyId")),
        "url": urljoin(base, url) if isinstance(url, str) else None,
        "status": status or "other",
        "price": None if sold else amount,
        "sold_price": amount if sold else None,
        "sold_date": quantities.calendar_date(home.get("soldDate")) if sold else None,
        "street": _text(_value(home.get("streetLine"))),
        "unit": _text(_value(home.get("unitNumber"))),
        "city": _text(home.get("city")),
        "state": _text(home.get("state")),
        "zip_code": _text(home.get("zip") or _value(home.get("postalCode"))),
        "latitude": latitude,
        "longitude": longitude,
        "property_type": _property_type(home.get("propertyType"), None, home.get("uiPropertyType")),
        "bedrooms": quantities.count(home.get("beds")),
        "bathrooms": quantities.bathrooms_total(
            home.get("baths"), home.get("fullBaths"), home.get("partialBaths")
        ),
        "bathrooms_full": quantities.count(home.get("fullBaths")),
        "bathrooms_half": quantities.count(home.get("partialBaths")),
        "sqft": quantities.area_sqft(_value(home.get("sqFt"))),
        "lot_sqft": quantities.area_sqft(_value(home.get("lotSize"))),
        "year_built": quantities.positive_integer(_value(home.get("yearBuilt"))),
        "stories": quantities.positive(home.get("stories")),
        # Redfin writes 0 both for "no HOA" and for "not known"; neither is a fee.
        "hoa_fee": quantities.positive(_value(home.get("hoa"))),
        "days_on_market": quantities.count(_value(home.get("dom"))),
        "mls_id": _text(_value(home.get("mlsId"))),
        "description": _text(home.get("listingRemarks")),
    }


def _next_search_api_page(url: str | None, result_count: int, total: Any = None) -> list[str]:
    """The next request of a paged search: `start` moves by `num_homes` while results remain
    (when the response counts them); otherwise a full page (as many homes as `num_homes`
    asked for) is followed by the next `page_number`."""
    if not url:
        return []
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    page_size = quantities.positive_integer(query.get("num_homes"))
    if page_size is None or result_count < page_size:
        return []
    start = quantities.integer(query.get("start"))
    matched = quantities.integer(total)
    if start is not None and matched is not None:
        if start + result_count >= matched:
            return []
        query["start"] = str(start + result_count)
    else:
        page = quantities.positive_integer(query.get("page_number")) or 1
        query["page_number"] = str(page + 1)
    return [urlunsplit(parts._replace(query=urlencode(query, safe=",")))]


# Shared readers ----------------------------------------------------------------------


def _status(mls_status: Any, search_status: Any) -> ListingStatus | None:
    from_words = _keyword(mls_status, STATUS_KEYWORDS)
    if from_words is not None:
        return from_words
    if _word(mls_status):
        return "other"
    code = quantities.integer(search_status)
    return SEARCH_STATUS_CODES.get(code) if code is not None else None


def _property_type(code: Any, name: Any, ui_code: Any = None) -> PropertyType | None:
    number = quantities.integer(code) if not isinstance(code, str) else None
    if number is not None:
        return PROPERTY_TYPE_CODES.get(number, "other")
    ui_number = quantities.integer(ui_code)
    if ui_number is not None:
        return UI_PROPERTY_TYPE_CODES.get(ui_number, "other")
    word = name if name is not None else code
    return PROPERTY_TYPE_NAMES.get(_word(word)) or property_type(word)


def _lat_long(node: Any) -> tuple[float | None, float | None]:
    node = _dict(node)
    if isinstance(node.get("value"), dict):
        node = node["value"]
    return quantities.number(node.get("latitude")), quantities.number(node.get("longitude"))


def _home_id(url: str | None) -> str | None:
    match = HOME_ID_IN_URL.search(url or "")
    return match.group(1) if match else None


def _keyword(value: Any, table: tuple[tuple[str, Any], ...]) -> Any:
    word = _word(value)
    return next((meaning for key, meaning in table if word and key in word), None)


def _word(value: Any) -> str:
    """Lower-case letters only: `Active Under Contract` → `activeundercontract`."""
    return "".join(character for character in str(value or "").casefold() if character.isalpha())


def _value(value: Any) -> Any:
    """Redfin wraps most facts as `{"value": ..., "level": 1}`."""
    return value.get("value") if isinstance(value, dict) else value


def _text(value: Any) -> str | None:
    return quantities.text(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else None


def _first_present(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)
