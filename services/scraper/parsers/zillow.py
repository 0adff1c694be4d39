"""Reading Zillow: search pages, the search-page-state API, home detail pages, rentals and
apartment buildings.

Zillow renders with Next.js and ships its data as JSON inside the page:

- A search page (`/homes/Austin,-TX_rb/`, `/austin-tx/2_p/`, `/homes/for_sale/?
  searchQueryState=...`) holds `__NEXT_DATA__` → `props.pageProps.searchPageState`, whose
  `cat1.searchResults` has `listResults` (the cards of this page) and `mapResults` (the
  pins, often more homes than the list), and whose `cat1.searchList` tells the pages
  (`totalPages`, `pagination.nextUrl`). Older pages put the same state in a
  `<script data-zrr-shared-data-key="mobileSearchPageStore">` wrapped in `<!-- -->`.
- The search API (`PUT /async-create-search-page-state`, formerly `GET
  /search/GetSearchPageState.htm?searchQueryState=...`) answers with that state as a bare
  JSON object (`cat1`, `cat2`, `categoryTotals`).
- A search result keeps its text price in `price` (`"$450,000"`, `"$2,150/mo"`) and the
  number in `unformattedPrice`; `hdpData.homeInfo` holds the richer facts and wins. A
  result with `isBuilding` is an apartment building: each entry of its `units` (a price
  "from" and a bedroom count) is one listing.
- A home detail page (`/homedetails/<slug>/<zpid>_zpid/`) holds `__NEXT_DATA__` →
  `props.pageProps.componentProps.gdpClientCache`: a JSON *string* inside the JSON, keyed
  by GraphQL query (`ForSaleShopperPlatformFullRenderQuery{"zpid":...}`), each value
  holding a `property`. Older pages hold the same cache as `apiCache` in
  `<script id="hdpApolloPreloadedData">`.
- A building page (`/b/<slug>/`, `/apartments/<city>/<name>/<key>/`) holds
  `componentProps.initialReduxState.gdp.building` with its `floorPlans` (each with its
  `units`) and `ungroupedUnits`; every unit, or a floor plan without units, is a listing.

Zillow's words become the platform's vocabulary: `homeStatus` (`FOR_SALE`,
`RECENTLY_SOLD`, ...) a status, `homeType` (`SINGLE_FAMILY`, `LOT`, ...) a property type,
anything unknown `other`. Zillow writes 0 or -1 for facts it does not know (bedrooms of a
lot, `daysOnZillow` -1): those are None. A sold home's price is its sale price.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from services.scraper.parsers.page import ListingCollector, ParsedPage, absolute_urls
from shared import quantities
from shared.listing import (
    ListingStatus,
    PropertyType,
    price_event_kind,
    property_type,
    split_unit,
)

SOURCE = "zillow"
ORIGIN = "https://www.zillow.com/"

KIND_SEARCH = "zillow.search"
KIND_SEARCH_API = "zillow.search_api"
KIND_DETAIL = "zillow.detail"
KIND_BUILDING = "zillow.building"
KIND_UNKNOWN = "zillow.unknown"

STATUS_BY_HOME_STATUS: dict[str, ListingStatus] = {
    "FOR_SALE": "for_sale",
    "FOR_RENT": "for_rent",
    "SOLD": "sold",
    "RECENTLY_SOLD": "sold",
    "PENDING": "pending",
    "OFF_MARKET": "off_market",
    # Public-record states of a home nobody lists; its distress signal says which.
    "PRE_FORECLOSURE": "off_market",
    "FORECLOSED": "off_market",
    "OTHER": "other",
}
UNKNOWN_HOME_TYPE = "HOME_TYPE_UNKNOWN"
STUDIO_TYPES = frozenset({"condo", "apartment"})
MS_PER_DAY = 86_400_000
MONTHS_PER_PERIOD = {"annual": 12, "year": 12, "quarter": 3, "semi": 6}

DISTRESS_BY_SUB_TYPE = {
    "is_bankOwned": "bank_owned",
    "is_forAuction": "foreclosure_auction",
    "is_foreclosure": "other",
}
DISTRESS_BY_HOME_STATUS = {"PRE_FORECLOSURE": "pre_foreclosure", "FORECLOSED": "bank_owned"}

# Opening tags only: the script's end is found with str.find, far faster on large pages.
_NEXT_DATA = re.compile(r"<script[^>]*\bid=[\"']__NEXT_DATA__[\"'][^>]*>", re.IGNORECASE)
_SEARCH_STORE = re.compile(
    r"<script[^>]*data-zrr-shared-data-key=[\"']mobileSearchPageStore[\"'][^>]*>", re.IGNORECASE
)
_APOLLO_DATA = re.compile(r"<script[^>]*\bid=[\"']hdpApolloPreloadedData[\"'][^>]*>", re.IGNORECASE)
BLANK = "\ufeff \t\r\n"  # a byte-order mark, then white space, may precede a JSON body
CACHE_KEY = '"gdpClientCache"'
_COLON = re.compile(r"\s*:\s*")
_DECODER = json.JSONDecoder()
_PAGE_IN_PATH = re.compile(r"/(\d+)_p/?$")


Build = Callable[[], dict[str, Any]]


class MalformedPage(ValueError):
    """The page's embedded JSON is missing or cannot be read."""


def detect(body: str, url: str | None = None) -> str | None:
    """The kind of Zillow page `body` is, by markers only Zillow's data carries; None for
    any other page."""
    if body[:64].lstrip(BLANK).startswith("{"):
        return KIND_SEARCH_API if '"cat1"' in body and '"searchResults"' in body else None
    if '"searchPageState"' in body or "mobileSearchPageStore" in body:
        return KIND_SEARCH
    if '"initialReduxState"' in body and '"gdp"' in body and '"building"' in body:
        return KIND_BUILDING
    if "gdpClientCache" in body or "hdpApolloPreloadedData" in body:
        return KIND_DETAIL
    return None


def parse(body: str, url: str | None = None) -> ParsedPage:
    """Every listing of the page in the page's order, the detail pages its search results
    link to and the next search page; a page whose JSON cannot be read gives no listings
    and one failure."""
    kind = detect(body, url)
    readers: dict[str, Callable[[str, str | None], ParsedPage]] = {
        KIND_SEARCH: _search_page,
        KIND_SEARCH_API: _search_api,
        KIND_DETAIL: _detail_page,
        KIND_BUILDING: _building_page,
    }
    if kind is None:
        return ParsedPage(kind=KIND_UNKNOWN, failures=[f"{url or 'page'}: not a Zillow page"])
    try:
        return readers[kind](body, url)
    except MalformedPage as error:
        return ParsedPage(kind=kind, failures=[f"{url or 'page'}: {error}"])


# Pages


def _search_page(body: str, url: str | None) -> ParsedPage:
    next_data = _embedded_json(_NEXT_DATA, body, "__NEXT_DATA__", required=False)
    state = _path(next_data, "props", "pageProps", "searchPageState")
    if not isinstance(state, dict):
        state = _find(next_data, "searchPageState") or _embedded_json(
            _SEARCH_STORE, body, "mobileSearchPageStore", required=False
        )
    if not isinstance(state, dict):
        raise MalformedPage("no search page state in the page")
    return _search_results(KIND_SEARCH, state, url)


def _search_api(body: str, url: str | None) -> ParsedPage:
    state = _loads(body.lstrip(BLANK), "search API response")
    if not isinstance(state, dict):
        raise MalformedPage("the search API response is not a JSON object")
    return _search_results(KIND_SEARCH_API, state, url)


def _detail_page(body: str, url: str | None) -> ParsedPage:
    home = _detail_property(body)
    collector = ListingCollector()
    label = f"zillow {home.get('zpid') or url or 'page'}"
    collector.add(label, partial(_detail_listing, home, url))
    return ParsedPage(kind=KIND_DETAIL, listings=collector.listings, failures=collector.failures)


def _building_page(body: str, url: str | None) -> ParsedPage:
    next_data = _embedded_json(_NEXT_DATA, body, "__NEXT_DATA__")
    gdp = _path(next_data, "props", "pageProps", "componentProps", "initialReduxState", "gdp")
    building = _dict(gdp or _find(next_data, "gdp")).get("building")
    if not isinstance(building, dict):
        raise MalformedPage("no building in the page")
    key = _building_key(building)
    if key is None:
        raise MalformedPage("the building has no identifier")
    collector = ListingCollector()
    for label, build in _building_units(building, key, url):
        collector.add(label, build)
    return ParsedPage(kind=KIND_BUILDING, listings=collector.listings, failures=collector.failures)


# Search results


def _search_results(kind: str, state: dict[str, Any], url: str | None) -> ParsedPage:
    base = url or ORIGIN
    collector = ListingCollector()
    detail_urls = []
    for index, result in enumerate(_results(state)):
        detail_urls.append(result.get("detailUrl"))
        if not _is_building(result):
            label = f"zillow {result.get('zpid') or f'result {index}'}"
            collector.add(label, partial(_result_listing, result, base))
        elif (key := _building_key(result)) is None:
            collector.failures.append(f"zillow result {index}: a building without an identifier")
        else:
            for unit_id, unit in _unit_ids(key, _list(result.get("units"))):
                label = f"zillow building {key} unit {unit_id}"
                collector.add(label, partial(_building_result_unit, result, unit, unit_id, base))
    return ParsedPage(
        kind=kind,
        listings=collector.listings,
        failures=collector.failures,
        detail_urls=absolute_urls(detail_urls, base),
        next_pages=absolute_urls(_next_pages(state, url), base),
    )


def _results(state: dict[str, Any]) -> list[dict[str, Any]]:
    """List results, then map pins not already listed, of both categories (`cat1` agent
    listings, `cat2` other listings), each home once."""
    seen: set[str] = set()
    results = []
    for category in ("cat1", "cat2"):
        search_results = _dict(_path(state, category, "searchResults"))
        for key in ("listResults", "mapResults"):
            for result in _list(search_results.get(key)):
                if not isinstance(result, dict):
                    continue
                identity = _result_identity(result)
                if identity is None or identity not in seen:
                    results.append(result)
                if identity is not None:
                    seen.add(identity)
    return results


def _result_identity(result: dict[str, Any]) -> str | None:
    for key in ("zpid", "lotId", "buildingId", "plid", "detailUrl"):
        value = quantities.text(result.get(key))
        if value is not None:
            return f"{key}:{value}"
    return None


def _result_listing(result: dict[str, Any], base: str) -> dict[str, Any]:
    info = _dict(_path(result, "hdpData", "homeInfo"))
    lat_long = _dict(result.get("latLong"))
    place = _address_parts(result.get("address"))
    sub_type = _dict(info.get("listing_sub_type"))
    status = _status(info.get("homeStatus") or result.get("statusType"), sub_type)
    home_type = _home_type(info.get("homeType")) or _type_from_status_text(result.get("statusText"))
    street, unit = _street_and_unit(
        _first(info.get("streetAddress"), result.get("addressStreet"), place.get("street")),
        info.get("unit"),
    )
    price = quantities.positive(_first(info.get("price"), result.get("unformattedPrice")))
    if price is None:
        price = quantities.positive(result.get("price"))
    return {
        "source": SOURCE,
        "source_id": _text(_first(result.get("zpid"), info.get("zpid"))),
        "url": _absolute(result.get("detailUrl"), base),
        "status": status,
        **_price_fields(status, price, info.get("dateSold")),
        "street": street,
        "unit": unit,
        "city": _first(info.get("city"), result.get("addressCity"), place.get("city")),
        "state": _first(info.get("state"), result.get("addressState"), place.get("state")),
        "zip_code": _text(
            _first(info.get("zipcode"), result.get("addressZipcode"), place.get("zip_code"))
        ),
        "latitude": quantities.number(_first(info.get("latitude"), lat_long.get("latitude"))),
        "longitude": quantities.number(_first(info.get("longitude"), lat_long.get("longitude"))),
        "property_type": home_type,
        "bedrooms": _bedrooms(_first(info.get("bedrooms"), result.get("beds")), home_type),
        "bathrooms": quantities.positive(_first(info.get("bathrooms"), result.get("baths"))),
        "sqft": quantities.area_sqft(_first(info.get("livingArea"), result.get("area"))),
        "lot_sqft": quantities.area_sqft(info.get("lotAreaValue"), _text(info.get("lotAreaUnit"))),
        "year_built": quantities.positive_integer(info.get("yearBuilt")),
        "days_on_market": _days_on_market(info.get("daysOnZillow"), result.get("timeOnZillow")),
        "photos": _search_photos(result),
        "price_history": _latest_price_change(info, price),
        "tax_assessed_value": quantities.positive(info.get("taxAssessedValue")),
        "broker": _broker(result.get("brokerName")),
        "distress_signals": _distress_signals(
            info.get("homeStatus"), sub_type, info.get("isPreforeclosureAuction")
        ),
    }


def _latest_price_change(info: dict[str, Any], price: float | None) -> list[dict[str, Any]]:
    """A card's last price change (`priceChange`, `datePriceChanged`) as a history line."""
    changed_on = quantities.calendar_date(info.get("datePriceChanged"))
    if changed_on is None or not quantities.number(info.get("priceChange")):
        return []
    return [{"event_date": changed_on, "event": "price_change", "price": price}]


def _is_building(result: dict[str, Any]) -> bool:
    return result.get("isBuilding") is True or bool(_list(result.get("units")))


def _building_result_unit(
    result: dict[str, Any], unit: dict[str, Any], unit_id: str, base: str
) -> dict[str, Any]:
    """One entry of a building card's `units`: the building's address and place, the
    unit's "from" price and bedrooms. (A card without units gives no listing; its building
    page, in `detail_urls`, lists them.) The card's `addressStreet` carries a key of
    Zillow's after a `#`, so the street comes from the `address` text."""
    lat_long = _dict(result.get("latLong"))
    place = _address_parts(result.get("address"))
    status = _status(result.get("statusType"))
    home_type: PropertyType = "apartment" if status == "for_rent" else "condo"
    return {
        "source": SOURCE,
        "source_id": unit_id,
        "url": _absolute(result.get("detailUrl"), base),
        "status": status,
        "price": quantities.positive(unit.get("price")),
        "street": place.get("street"),
        "city": _first(result.get("addressCity"), place.get("city")),
        "state": _first(result.get("addressState"), place.get("state")),
        "zip_code": _text(_first(result.get("addressZipcode"), place.get("zip_code"))),
        "latitude": quantities.number(lat_long.get("latitude")),
        "longitude": quantities.number(lat_long.get("longitude")),
        "property_type": home_type,
        "bedrooms": _bedrooms(unit.get("beds"), home_type),
        "photos": _search_photos(result),
    }


def _building_key(building: dict[str, Any]) -> str | None:
    """The building's lasting identifier: its lot, building or plan id, else its page."""
    for key in ("lotId", "buildingId", "plid", "zpid", "detailUrl", "bdpUrl"):
        value = _text(building.get(key))
        if value is not None:
            return value
    return None


def _unit_ids(key: str, units: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """A lasting id per unit of a building card: the building and the unit's bedrooms
    (cards list one "from" price per bedroom count), numbered when a count repeats."""
    seen: dict[str, int] = {}
    for unit in units:
        if not isinstance(unit, dict):
            continue
        beds = _text(unit.get("beds")) or "unknown"
        seen[beds] = seen.get(beds, 0) + 1
        suffix = f"-{seen[beds]}" if seen[beds] > 1 else ""
        yield f"{key}:beds-{beds}{suffix}", unit


def _next_pages(state: dict[str, Any], url: str | None) -> list[str]:
    """The next search page: the page's own `nextUrl`, else the URL of this page with its
    page number advanced when `totalPages` says there is a next one."""
    search_list = _dict(_path(state, "cat1", "searchList"))
    next_url = _text(_path(search_list, "pagination", "nextUrl"))
    if next_url is not None:
        return [next_url]
    total_pages = quantities.positive_integer(search_list.get("totalPages"))
    if url is None or total_pages is None:
        return []
    current = quantities.positive_integer(_path(state, "queryState", "pagination", "currentPage"))
    following = _following_page_url(url, current, total_pages)
    return [following] if following else []


def _following_page_url(url: str, current: int | None, total_pages: int) -> str | None:
    """Zillow pages a search by `pagination.currentPage` in a `searchQueryState` query, or
    by an `N_p/` path segment (`/homes/for_sale/98101_rb/2_p/`); the PUT search API's URL
    says nothing about pages (its next page is a body the spider sends)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if "searchQueryState" in query:
        search = _dict(_loads_or_none(query["searchQueryState"][0]))
        page = (
            current or quantities.positive_integer(_path(search, "pagination", "currentPage")) or 1
        )
        if page >= total_pages:
            return None
        search["pagination"] = {"currentPage": page + 1}
        query["searchQueryState"] = [json.dumps(search, separators=(",", ":"))]
        return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    if parts.path.endswith(".htm") or "async-create-search-page-state" in parts.path:
        return None
    in_path = _PAGE_IN_PATH.search(parts.path)
    page = current or (int(in_path.group(1)) if in_path else 1)
    if page >= total_pages:
        return None
    stem = parts.path[: in_path.start()] if in_path else parts.path.rstrip("/")
    return urlunsplit(parts._replace(path=f"{stem}/{page + 1}_p/"))


# Detail pages


def _detail_property(body: str) -> dict[str, Any]:
    """The `property` of the page's GraphQL cache with the most facts."""
    cache = _graphql_cache(body)
    if isinstance(cache, str):
        cache = _loads(cache, "gdpClientCache")
    homes = [
        entry["property"]
        for entry in _dict(cache).values()
        if isinstance(entry, dict) and isinstance(entry.get("property"), dict)
    ]
    if not homes:
        raise MalformedPage("no property in the page's cache")
    return max(homes, key=len)


def _graphql_cache(body: str) -> Any:
    """The cache as the page holds it: a JSON string, or (rarely) an object. It is decoded
    straight out of `__NEXT_DATA__`, without parsing the rest of that JSON."""
    next_data = _script_text(_NEXT_DATA, body)
    if next_data is None:
        apollo = _embedded_json(_APOLLO_DATA, body, "hdpApolloPreloadedData")
        return _dict(apollo).get("apiCache")
    key = next_data.find(CACHE_KEY)
    if key < 0:
        raise MalformedPage("no gdpClientCache in __NEXT_DATA__")
    colon = _COLON.match(next_data, key + len(CACHE_KEY))
    try:
        return _DECODER.raw_decode(next_data, colon.end() if colon else 0)[0]
    except ValueError as error:
        raise MalformedPage(f"gdpClientCache is not valid JSON: {error}") from error


def _detail_listing(home: dict[str, Any], url: str | None) -> dict[str, Any]:
    address = _dict(home.get("address"))
    reso = _dict(home.get("resoFacts"))
    attribution = _dict(home.get("attributionInfo"))
    status = _status(home.get("homeStatus"), _dict(home.get("listing_sub_type")))
    home_type = _home_type(home.get("homeType")) or _home_type(reso.get("homeType"))
    street, unit = _street_and_unit(
        _first(address.get("streetAddress"), home.get("streetAddress")),
        _first(address.get("unit"), home.get("unit")),
    )
    price = quantities.positive(home.get("price"))
    if status == "sold":
        price = quantities.positive(home.get("lastSoldPrice")) or price
    history = _price_history(home.get("priceHistory"))
    return {
        "source": SOURCE,
        "source_id": _text(home.get("zpid")),
        "url": _absolute(home.get("hdpUrl"), url or ORIGIN) or url,
        "status": status,
        **_price_fields(status, price, home.get("dateSold")),
        "list_date": quantities.calendar_date(
            _first(reso.get("onMarketDate"), home.get("datePostedString"))
        )
        or _listed_date(history),
        "street": street,
        "unit": unit,
        "city": _first(address.get("city"), home.get("city")),
        "state": _first(address.get("state"), home.get("state")),
        "zip_code": _text(_first(address.get("zipcode"), home.get("zipcode"))),
        "latitude": quantities.number(home.get("latitude")),
        "longitude": quantities.number(home.get("longitude")),
        "property_type": home_type,
        "bedrooms": _bedrooms(_first(home.get("bedrooms"), reso.get("bedrooms")), home_type),
        "bathrooms": _detail_bathrooms(home, reso),
        "bathrooms_full": _positive_count(
            _first(home.get("bathroomsFull"), reso.get("bathroomsFull"))
        ),
        "bathrooms_half": _positive_count(
            _first(home.get("bathroomsHalf"), reso.get("bathroomsHalf"))
        ),
        "sqft": _living_area(home, reso),
        "lot_sqft": _lot_area(home, reso),
        "year_built": quantities.positive_integer(
            _first(home.get("yearBuilt"), reso.get("yearBuilt"))
        ),
        "stories": quantities.positive(_first(reso.get("stories"), reso.get("storiesTotal"))),
        "hoa_fee": _monthly_hoa(
            home.get("monthlyHoaFee"), _first(reso.get("hoaFee"), reso.get("associationFee"))
        ),
        "days_on_market": _days_on_market(home.get("daysOnZillow"), None),
        "mls_id": _text(_first(attribution.get("mlsId"), home.get("mlsid"))),
        "photos": _detail_photos(home),
        "description": _text(home.get("description")),
        "price_history": history,
        "tax_assessed_value": quantities.positive(home.get("taxAssessedValue"))
        or _latest_tax(home.get("taxHistory"), "value"),
        "tax_annual_amount": quantities.positive(home.get("taxAnnualAmount"))
        or _latest_tax(home.get("taxHistory"), "taxPaid"),
        "broker": _broker(
            attribution.get("brokerName"),
            attribution.get("agentName"),
            _first(attribution.get("agentPhoneNumber"), attribution.get("brokerPhoneNumber")),
        ),
        "distress_signals": _distress_signals(
            home.get("homeStatus"),
            _dict(home.get("listing_sub_type")),
            home.get("isPreforeclosureAuction"),
        ),
    }


def _detail_bathrooms(home: dict[str, Any], reso: dict[str, Any]) -> float | None:
    """`bathroomsFloat` (2.5), else full and half baths, else `bathrooms`, which Zillow
    may round up (3 for two full baths and a half)."""
    return quantities.bathrooms_total(
        quantities.positive(_first(home.get("bathroomsFloat"), reso.get("bathroomsFloat"))),
        _first(home.get("bathroomsFull"), reso.get("bathroomsFull")),
        _first(home.get("bathroomsHalf"), reso.get("bathroomsHalf")),
        _first(home.get("bathroomsThreeQuarter"), reso.get("bathroomsThreeQuarter")),
    ) or quantities.positive(_first(home.get("bathrooms"), reso.get("bathrooms")))


def _living_area(home: dict[str, Any], reso: dict[str, Any]) -> float | None:
    units = _text(home.get("livingAreaUnits"))
    return (
        quantities.area_sqft(home.get("livingAreaValue"), units)
        or quantities.area_sqft(home.get("livingArea"))
        or quantities.area_sqft(reso.get("livingArea"))
    )


def _lot_area(home: dict[str, Any], reso: dict[str, Any]) -> float | None:
    units = _text(home.get("lotAreaUnits") or home.get("lotAreaUnit"))
    return (
        quantities.area_sqft(home.get("lotAreaValue"), units)
        or quantities.area_sqft(home.get("lotSize"))
        or quantities.area_sqft(reso.get("lotSize"))
    )


def _price_history(entries: Any) -> list[dict[str, Any]]:
    return [
        {
            "event_date": quantities.calendar_date(_first(entry.get("date"), entry.get("time"))),
            "event": price_event_kind(entry.get("event")),
            "price": quantities.positive(entry.get("price")),
            "source": entry.get("source"),
        }
        for entry in _list(entries)
        if isinstance(entry, dict)
    ]


def _listed_date(history: list[dict[str, Any]]) -> Any:
    """The date of the latest `listed` event (Zillow lists history newest first)."""
    return next((event["event_date"] for event in history if event["event"] == "listed"), None)


def _latest_tax(entries: Any, field: str) -> float | None:
    records = [entry for entry in _list(entries) if isinstance(entry, dict)]
    records.sort(key=lambda entry: quantities.number(entry.get("time")) or 0, reverse=True)
    return next(
        (value for entry in records if (value := quantities.positive(entry.get(field)))), None
    )


def _monthly_hoa(monthly: Any, text: Any) -> float | None:
    """Monthly dues from `monthlyHoaFee`, else from the facts' text (`"$250 monthly"`,
    `"$1,200 annually"`)."""
    fee = quantities.positive(monthly)
    if fee is not None:
        return fee
    amount = quantities.positive(text)
    if amount is None:
        return None
    period = (_text(text) or "").casefold()
    months = next((n for word, n in MONTHS_PER_PERIOD.items() if word in period), 1)
    return round(amount / months, 2)


def _detail_photos(home: dict[str, Any]) -> list[str]:
    """The largest JPEG of each photo of the first gallery the page has."""
    for key in ("responsivePhotos", "originalPhotos", "photos", "hugePhotos"):
        urls = [url for photo in _list(home.get(key)) if (url := _photo_url(photo))]
        if urls:
            return urls
    return []


def _photo_url(photo: Any) -> str | None:
    if isinstance(photo, str):
        return photo
    if not isinstance(photo, dict):
        return None
    sizes = [
        source
        for source in _list(_path(photo, "mixedSources", "jpeg"))
        if isinstance(source, dict) and isinstance(source.get("url"), str)
    ]
    if sizes:
        largest = max(sizes, key=_width)
        return str(largest["url"])
    url = photo.get("url")
    return url if isinstance(url, str) else None


def _width(source: dict[str, Any]) -> float:
    width = source.get("width")
    return width if isinstance(width, int | float) else 0


# Building pages


def _building_units(
    building: dict[str, Any], key: str, url: str | None
) -> Iterator[tuple[str, Build]]:
    """Every unit of every floor plan (a plan without units is one listing at its lowest
    price), then the units not grouped in a plan. A unit is known by its zpid, else by
    the building and its unit number."""
    base = url or ORIGIN
    facts = _building_facts(building, base)
    for plan_index, plan in enumerate(_list(building.get("floorPlans"))):
        if not isinstance(plan, dict):
            continue
        units = [unit for unit in _list(plan.get("units")) if isinstance(unit, dict)]
        plan_id = f"{key}:plan-{_text(plan.get('name')) or plan_index}"
        if not units:
            yield f"zillow {plan_id}", partial(_unit_listing, facts, plan, {}, plan_id, base)
        for unit in units:
            unit_id = _unit_id(key, unit) or plan_id
            yield f"zillow {unit_id}", partial(_unit_listing, facts, plan, unit, unit_id, base)
    for index, unit in enumerate(_list(building.get("ungroupedUnits"))):
        if isinstance(unit, dict):
            unit_id = _unit_id(key, unit) or f"{key}:unit-{index}"
            yield f"zillow {unit_id}", partial(_unit_listing, facts, {}, unit, unit_id, base)


def _unit_id(key: str, unit: dict[str, Any]) -> str | None:
    zpid = _text(unit.get("zpid"))
    number = _text(unit.get("unitNumber"))
    return zpid or (f"{key}:unit-{number}" if number else None)


def _building_facts(building: dict[str, Any], base: str) -> dict[str, Any]:
    address = _dict(building.get("address"))
    street, _ = _street_and_unit(_first(address.get("streetAddress"), building.get("street")))
    return {
        "source": SOURCE,
        "url": _absolute(_first(building.get("bdpUrl"), building.get("url")), base),
        "street": street,
        "city": _first(address.get("city"), building.get("city")),
        "state": _first(address.get("state"), building.get("state")),
        "zip_code": _text(_first(address.get("zipcode"), building.get("zipcode"))),
        "latitude": quantities.number(building.get("latitude")),
        "longitude": quantities.number(building.get("longitude")),
        "description": _text(building.get("description")),
        "photos": _detail_photos(building),
    }


def _unit_listing(
    facts: dict[str, Any],
    plan: dict[str, Any],
    unit: dict[str, Any],
    source_id: str,
    base: str,
) -> dict[str, Any]:
    status = _status(_first(unit.get("listingType"), plan.get("listingType"), "FOR_RENT"))
    home_type: PropertyType = "apartment" if status == "for_rent" else "condo"
    price = _first(unit.get("price"), plan.get("minPrice"), plan.get("price"))
    unit_number = _text(unit.get("unitNumber"))
    return {
        **facts,
        "source_id": source_id,
        "url": _absolute(unit.get("hdpUrl"), base) or facts["url"],
        "status": status,
        "price": quantities.positive(price),
        "unit": f"Unit {unit_number}" if unit_number else None,
        "property_type": home_type,
        "bedrooms": _bedrooms(_first(unit.get("beds"), plan.get("beds")), home_type),
        "bathrooms": quantities.positive(_first(unit.get("baths"), plan.get("baths"))),
        "sqft": quantities.area_sqft(_first(unit.get("sqft"), plan.get("sqft"))),
        "list_date": quantities.calendar_date(unit.get("availableFrom")),
    }


# Facts shared by every kind of page


def _status(value: Any, sub_type: dict[str, Any] | None = None) -> ListingStatus:
    """The platform's status for a `homeStatus`; a home for sale that Zillow flags
    `is_pending` is pending."""
    status = STATUS_BY_HOME_STATUS.get((_text(value) or "").upper(), "other")
    if status == "for_sale" and (sub_type or {}).get("is_pending") is True:
        return "pending"
    return status


def _price_fields(status: ListingStatus, price: float | None, date_sold: Any) -> dict[str, Any]:
    """A sold home's price is what it sold for; otherwise the list price (a rental's
    monthly rent)."""
    if status == "sold":
        return {"sold_price": price, "sold_date": quantities.calendar_date(date_sold)}
    return {"price": price}


def _home_type(value: Any) -> PropertyType | None:
    if _text(value) == UNKNOWN_HOME_TYPE:
        return None
    return property_type(value)


def _type_from_status_text(value: Any) -> PropertyType | None:
    """`"Condo for sale"`, `"Lot / Land for sale"` name the type before " for "."""
    text = _text(value) or ""
    if " for " not in text:
        return None
    found = property_type(text.split(" for ")[0])
    return None if found == "other" else found


def _bedrooms(value: Any, home_type: PropertyType | None) -> int | None:
    """Zillow writes 0 bedrooms for lots and unknowns; 0 is a studio only for a condo or
    an apartment."""
    count = quantities.count(value)
    if count == 0 and home_type not in STUDIO_TYPES:
        return None
    return count


def _positive_count(value: Any) -> int | None:
    count = quantities.count(value)
    return count if count else None


def _days_on_market(days: Any, time_on_zillow_ms: Any) -> int | None:
    """`daysOnZillow` (-1 when Zillow does not say), else `timeOnZillow` in ms."""
    found = quantities.count(days)
    if found is not None:
        return found
    elapsed = quantities.number(time_on_zillow_ms)
    return int(elapsed // MS_PER_DAY) if elapsed is not None and elapsed >= 0 else None


def _street_and_unit(street: Any, unit: Any = None) -> tuple[str | None, str | None]:
    """`"42-23 Parsons Blvd #7C"` → `("42-23 Parsons Blvd", "#7C")`; a unit the page
    gives on its own wins over one found at the end of the street."""
    given_unit = (_text(unit) or "").replace("# ", "#") or None
    line, found_unit = split_unit(street)
    return line, given_unit or found_unit


def _address_parts(address: Any) -> dict[str, str | None]:
    """`"651 Minna St, San Francisco, CA 94103"` (a building name may come first)."""
    parts = [part.strip() for part in (_text(address) or "").split(",") if part.strip()]
    if len(parts) < 3:
        return {}
    state_zip = parts[-1].split()
    return {
        "street": parts[-3],
        "city": parts[-2],
        "state": state_zip[0] if state_zip else None,
        "zip_code": state_zip[1] if len(state_zip) > 1 else None,
    }


def _search_photos(result: dict[str, Any]) -> list[str]:
    """The card's photo, its carousel (`carouselPhotos` URLs, or the newer
    `carouselPhotosComposable`: a `baseUrl` with a `{photoKey}` per photo)."""
    carousel = [
        photo.get("url") for photo in _list(result.get("carouselPhotos")) if isinstance(photo, dict)
    ]
    composable = _dict(result.get("carouselPhotosComposable"))
    base_url = composable.get("baseUrl")
    if isinstance(base_url, str) and "{photoKey}" in base_url:
        carousel += [
            base_url.replace("{photoKey}", photo["photoKey"])
            for photo in _list(composable.get("photoData"))
            if isinstance(photo, dict) and isinstance(photo.get("photoKey"), str)
        ]
    return [url for url in [result.get("imgSrc"), *carousel] if isinstance(url, str)]


def _broker(name: Any, agent: Any = None, phone: Any = None) -> dict[str, Any] | None:
    if not any(_text(value) for value in (name, agent, phone)):
        return None
    return {"name": name, "agent_name": agent, "phone": phone}


def _distress_signals(
    home_status: Any, sub_type: dict[str, Any], preforeclosure_auction: Any
) -> list[dict[str, Any]]:
    """What Zillow flags about a distressed sale: a bank-owned home, an auction, a
    pre-foreclosure, a foreclosure listing."""
    kinds = [kind for flag, kind in DISTRESS_BY_SUB_TYPE.items() if sub_type.get(flag) is True]
    if preforeclosure_auction is True:
        kinds.append("foreclosure_auction")
    status_kind = DISTRESS_BY_HOME_STATUS.get((_text(home_status) or "").upper())
    if status_kind:
        kinds.append(status_kind)
    if "other" in kinds and len(kinds) > 1:
        kinds.remove("other")
    return [
        {"kind": kind, "detail": "foreclosure listing" if kind == "other" else None, "feed": SOURCE}
        for kind in dict.fromkeys(kinds)
    ]


# JSON plumbing


def _embedded_json(pattern: re.Pattern[str], body: str, name: str, required: bool = True) -> Any:
    text = _script_text(pattern, body)
    if text is None and not required:
        return None
    return _loads(_required(text, name), name)


def _script_text(pattern: re.Pattern[str], body: str) -> str | None:
    """The text of the script whose opening tag `pattern` finds, without the HTML comment
    some of Zillow's scripts wrap their JSON in."""
    match = pattern.search(body)
    if match is None:
        return None
    end = body.find("</script", match.end())
    text = body[match.end() : end if end >= 0 else len(body)].strip()
    if text.startswith("<!--"):
        text = text.removeprefix("<!--").removesuffix("-->")
    return text


def _required(text: str | None, name: str) -> str:
    if text is None:
        raise MalformedPage(f"no {name} script in the page")
    return text


def _loads(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise MalformedPage(f"{name} is not valid JSON: {error}") from error


def _loads_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _find(value: Any, key: str) -> dict[str, Any] | None:
    """The first object held under `key` anywhere in `value`, breadth first: where the
    data went when Zillow moved it."""
    queue = deque([value])
    while queue:
        node = queue.popleft()
        if isinstance(node, dict):
            if isinstance(node.get(key), dict):
                return node[key]
            queue.extend(item for item in node.values() if isinstance(item, dict | list))
        elif isinstance(node, list):
            queue.extend(item for item in node if isinstance(item, dict | list))
    return None


def _path(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _first(*values: Any) -> Any:
    return next((value for value in values if value not in (None, "", [], {})), None)


def _text(value: Any) -> str | None:
    return quantities.text(value)


def _absolute(url: Any, base: str) -> str | None:
    found = absolute_urls([url], base)
    return found[0] if found else None
