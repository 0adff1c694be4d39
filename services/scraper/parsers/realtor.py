"""Reading Realtor.com: its search pages, its detail pages and its GraphQL search responses.

Realtor.com is a Next.js site: each page carries its state as JSON in
`<script id="__NEXT_DATA__" type="application/json">`, under `props.pageProps`.

- A search page (`/realestateandhomes-search/<City_ST or ZIP>[/<filters>][/pg-<n>]`,
  rentals under `/apartments/...`) holds its results in `searchResults.home_search`
  (`results`, `count` on this page, `total` in the whole search); older pages hold them in
  `properties` with `totalProperties`. Pages are numbered by a last path segment `pg-<n>`.
- A detail page (`/realestateandhomes-detail/<permalink>`, rentals also under
  `/rentals/details/`) holds the home in `initialReduxState.propertyDetails`,
  `propertyDetails` or `property`, with its `property_history` (listed, price changed,
  pending, sold...) and `tax_history`. A rental community lists its floor plans in
  `units` (rent, beds, baths, sqft, photos, no id): each plan is a listing.
- The GraphQL search API answers `{"data": {"home_search": {"count", "total",
  "results"}}}` (`property_search` for a search by property id; queries alias
  `tax_history` as `taxHistory`). It pages by an `offset` in the POSTed variables.

Results and homes share one vocabulary: `property_id` (the home), `listing_id`, `status`
(for_sale, ready_to_build, pending, contingent, sold, for_rent, off_market...),
`list_price` (or `list_price_min`/`list_price_max` for a range), `flags`
(`is_pending`, `is_contingent`, `is_foreclosure`...), `description` (beds,
`baths_consolidated` as "2.5", `baths` counting a half bath as one, `baths_full`,
`baths_half`, sqft, lot_sqft, year_built, type, sub_type, stories, sold_price,
sold_date, text), `location.address` (line, unit, city, state_code, postal_code,
`coordinate{lat, lon}`), `primary_photo` and `photos[].href`, `href`/`permalink`,
`list_date`, `last_sold_price`/`last_sold_date`, `hoa.fee` (monthly), `source`
(`id` is the MLS, `listing_id` its MLS number; `mls.id` on some pages), `advertisers`
and `branding` (the agent and the office).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from services.scraper.parsers.page import ListingCollector, ParsedPage, absolute_urls
from shared import quantities
from shared.listing import (
    ListingStatus,
    PropertyType,
    price_event_kind,
    property_type,
    split_unit,
)

SOURCE = "realtor"
KIND_SEARCH = "realtor.search"
KIND_DETAIL = "realtor.detail"
KIND_SEARCH_API = "realtor.search_api"

SITE_URL = "https://www.realtor.com"
DETAIL_PATH = "/realestateandhomes-detail/"
DETAIL_PATHS = (DETAIL_PATH, "/rentals/details/")
SEARCH_PATHS = ("/realestateandhomes-search/", "/apartments/")

STATUSES: dict[str, ListingStatus] = {
    "for_sale": "for_sale",
    "ready_to_build": "for_sale",
    "coming_soon": "for_sale",
    "new_community": "for_sale",
    "pending": "pending",
    "contingent": "pending",
    "sold": "sold",
    "recently_sold": "sold",
    "for_rent": "for_rent",
    "off_market": "off_market",
    "not_for_sale": "off_market",
}
# Realtor.com words the platform's `property_type` does not know.
PROPERTY_TYPES: dict[str, PropertyType] = {
    "duplex_triplex": "multi_family",
    "condop": "condo",
    "cond_op": "condo",
    "co_op": "condo",
}
ADDRESS_PARTS = ("street_number", "street_direction", "street_name", "street_suffix")

_NEXT_DATA = re.compile(
    r"<script\b[^>]*\bid=[\"']__NEXT_DATA__[\"'][^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)
_PAGE_SEGMENT = re.compile(r"/pg-(\d+)$")


@dataclass(frozen=True)
class _Results:
    """A page of search results and what it says about the whole search."""

    results: list[Any]
    count: Any
    total: Any


def detect(body: str, url: str | None = None) -> str | None:
    """`realtor.search`, `realtor.detail` or `realtor.search_api` for a Realtor.com page or
    GraphQL search response, None for anything else."""
    if _is_json(body):
        return KIND_SEARCH_API if _is_search_api(body) else None
    blob = _next_data_text(body)
    if blob is None or not _is_realtor(blob, url):
        return None
    try:
        page_props = _page_props(json.loads(blob))
    except ValueError:
        return _kind_by_markers(blob, url)
    if _detail_home(page_props) is not None:
        return KIND_DETAIL
    if _search_results(page_props) is not None:
        return KIND_SEARCH
    return _kind_by_markers(blob, url)


def parse(body: str, url: str | None = None) -> ParsedPage:
    """The listings of a search page or API response in their order, with their detail
    pages and the next search page; the home of a detail page. Malformed JSON gives an
    empty page with a failure."""
    if _is_json(body):
        return _parse_search_api(body, url)
    blob = _next_data_text(body)
    if blob is None:
        return ParsedPage(
            kind=_kind_by_markers("", url), failures=["page: no __NEXT_DATA__ script"]
        )
    try:
        page_props = _page_props(json.loads(blob))
    except ValueError as error:
        kind = _kind_by_markers(blob, url)
        return ParsedPage(kind=kind, failures=[f"page: __NEXT_DATA__ is not JSON: {error}"])
    home = _detail_home(page_props)
    if home is not None:
        return _detail_page(home, url)
    results = _search_results(page_props)
    if results is not None:
        return _search_page(results, url, KIND_SEARCH, next_pages=True)
    return ParsedPage(
        kind=_kind_by_markers(blob, url),
        failures=["page: __NEXT_DATA__ holds neither search results nor a home"],
    )


def _parse_search_api(body: str, url: str | None) -> ParsedPage:
    try:
        response = json.loads(body.lstrip("\ufeff"))
    except ValueError as error:
        return ParsedPage(kind=KIND_SEARCH_API, failures=[f"response: not JSON: {error}"])
    data = _object(_object(response).get("data"))
    search = _object(data.get("home_search") or data.get("property_search"))
    if not isinstance(search.get("results"), list):
        messages = [
            str(_object(error).get("message") or error)
            for error in _as_list(_object(response).get("errors"))
        ]
        problem = "; ".join(messages) or "no home_search results"
        return ParsedPage(kind=KIND_SEARCH_API, failures=[f"response: {problem}"])
    results = _Results(search["results"], search.get("count"), search.get("total"))
    return _search_page(results, url, KIND_SEARCH_API, next_pages=False)


def _search_page(results: _Results, url: str | None, kind: str, *, next_pages: bool) -> ParsedPage:
    collector = ListingCollector()
    detail_urls = []
    for index, result in enumerate(results.results):
        _collect(collector, f"result {index}", result, url, home_page=None)
        if isinstance(result, dict):
            detail_urls.append(_home_url(result, url))
    return ParsedPage(
        kind=kind,
        listings=collector.listings,
        failures=collector.failures,
        detail_urls=absolute_urls(detail_urls, url),
        next_pages=_next_search_page(url, results) if next_pages else [],
    )


def _detail_page(home: dict[str, Any], url: str | None) -> ParsedPage:
    collector = ListingCollector()
    _collect(collector, "home", home, url, home_page=url)
    return ParsedPage(kind=KIND_DETAIL, listings=collector.listings, failures=collector.failures)


def _collect(
    collector: ListingCollector, position: str, home: Any, url: str | None, home_page: str | None
) -> None:
    """The home as one listing; a rental community's `units` (its floor plans) as one
    listing each. `home_page` is the home's page when the home names none (a detail
    page is its home's page)."""
    identifier = _identifier(home)
    units = [unit for unit in _as_list(_object(home).get("units")) if isinstance(unit, dict)]
    if identifier is None or not units:
        label = f"{position} (property {identifier})" if identifier else position
        collector.add(label, partial(_listing, home, url, home_page))
        return
    for unit_id, unit in _unit_ids(identifier, units):
        build = partial(_unit_listing, home, unit, unit_id, url, home_page)
        collector.add(f"{position} unit {unit_id}", build)


def _listing(home: Any, page_url: str | None, home_page: str | None = None) -> dict[str, Any]:
    """The `Listing` fields of one search result or detail-page home."""
    if not isinstance(home, dict):
        raise TypeError(f"a result is a JSON object, not {type(home).__name__}")
    description = _object(home.get("description"))
    location = _object(home.get("location"))
    address = _object(location.get("address")) or _object(home.get("address"))
    coordinate = _object(address.get("coordinate"))
    status = _status(home)
    street, unit = _street_and_unit(address)
    sold_price, sold_date = _last_sale(home, description, status)
    assessed_value, annual_tax = _latest_tax(
        _first(home.get("tax_history"), home.get("taxHistory"))
    )
    return {
        "source": SOURCE,
        "source_id": _identifier(home),
        "url": _home_url(home, page_url) or home_page,
        "status": status,
        "price": _price(home),
        "sold_price": sold_price,
        "sold_date": sold_date,
        "list_date": quantities.calendar_date(home.get("list_date")),
        "street": street,
        "unit": unit,
        "city": _text(address.get("city")),
        "state": _text(address.get("state_code")) or _text(address.get("state")),
        "zip_code": _text(address.get("postal_code")),
        "latitude": quantities.number(_first(coordinate.get("lat"), address.get("lat"))),
        "longitude": quantities.number(_first(coordinate.get("lon"), address.get("lon"))),
        "property_type": _property_type(description),
        "bedrooms": quantities.count(description.get("beds")),
        "bathrooms": _bathrooms(description),
        "bathrooms_full": quantities.count(description.get("baths_full")),
        "bathrooms_half": quantities.count(description.get("baths_half")),
        "sqft": quantities.area_sqft(description.get("sqft")),
        "lot_sqft": quantities.area_sqft(description.get("lot_sqft")),
        "year_built": quantities.positive_integer(description.get("year_built")),
        "year_renovated": quantities.positive_integer(description.get("year_renovated")),
        "stories": quantities.positive(description.get("stories")),
        "hoa_fee": quantities.positive(_object(home.get("hoa")).get("fee")),
        "days_on_market": quantities.count(
            _first(home.get("days_on_market"), description.get("days_on_market"))
        ),
        "mls_id": _text(_object(home.get("source")).get("listing_id"))
        or _text(_object(home.get("mls")).get("id")),
        "photos": _photos(home, page_url),
        "description": _text(description.get("text")),
        "price_history": list(_price_history(home.get("property_history"))),
        "tax_assessed_value": assessed_value,
        "tax_annual_amount": annual_tax,
        "broker": _broker(home),
        "distress_signals": _distress_signals(home),
    }


def _status(home: dict[str, Any]) -> ListingStatus:
    """The site's status; a home for sale under contract (`flags.is_pending`,
    `is_contingent`) is pending."""
    word = (_text(home.get("status")) or "").casefold()
    status = STATUSES.get(word, "other")
    flags = _object(home.get("flags"))
    if status == "for_sale" and (flags.get("is_pending") or flags.get("is_contingent")):
        return "pending"
    return status


def _price(home: dict[str, Any]) -> float | None:
    """The list price (a rental's monthly rent); a range counts only when it is one price."""
    price = quantities.positive(home.get("list_price"))
    if price is not None:
        return price
    low = quantities.positive(home.get("list_price_min"))
    high = quantities.positive(home.get("list_price_max"))
    return low if low is not None and low == high else None


def _last_sale(
    home: dict[str, Any], description: dict[str, Any], status: ListingStatus
) -> tuple[float | None, date | None]:
    """The price and date of the home's last sale (`last_sold_price`, `last_sold_date`);
    the description's `sold_price` and `sold_date` count on a sold listing only, because
    other listings may carry their list price there."""
    price = quantities.positive(home.get("last_sold_price"))
    when = quantities.calendar_date(home.get("last_sold_date"))
    if status == "sold":
        price = price or quantities.positive(description.get("sold_price"))
        when = when or quantities.calendar_date(description.get("sold_date"))
    return price, when


def _unit_listing(
    home: dict[str, Any],
    unit: dict[str, Any],
    unit_id: str,
    page_url: str | None,
    home_page: str | None,
) -> dict[str, Any]:
    """One floor plan of a rental community: the community's address, place and agent,
    the plan's rent, bedrooms, bathrooms, area and photos."""
    community = _listing(home, page_url, home_page)
    description = _object(unit.get("description"))
    return {
        **community,
        "source_id": unit_id,
        "price": quantities.positive(unit.get("list_price")),
        "bedrooms": quantities.count(description.get("beds")),
        "bathrooms": _bathrooms(description),
        "bathrooms_full": None,
        "bathrooms_half": None,
        "sqft": quantities.area_sqft(description.get("sqft")),
        "photos": _photos(unit, page_url) or community["photos"],
    }


def _unit_ids(key: str, units: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """A lasting id per floor plan (plans carry none): the community and the plan's
    bedrooms, numbered when a count repeats."""
    seen: dict[str, int] = {}
    for unit in units:
        beds = _text(_object(unit.get("description")).get("beds")) or "unknown"
        seen[beds] = seen.get(beds, 0) + 1
        suffix = f"-{seen[beds]}" if seen[beds] > 1 else ""
        yield f"{key}:beds-{beds}{suffix}", unit


def _street_and_unit(address: dict[str, Any]) -> tuple[str | None, str | None]:
    """The address line without its unit, and the unit: `unit` when the page gives it
    (`640 N 4th St Unit 5C` less `Unit 5C`), else a trailing `Unit 5C`, `Apt 2`, `#225`
    of the line. A page that gives the line's parts only gives them joined."""
    line = _text(address.get("line"))
    unit = _text(address.get("unit"))
    if line is None:
        parts = [_text(address.get(part)) for part in ADDRESS_PARTS]
        return " ".join(part for part in parts if part) or None, unit
    if unit is None:
        return split_unit(line)
    rest = line[: -len(unit)] if line.casefold().endswith(unit.casefold()) else ""
    if rest[-1:] in (" ", ",", "#"):
        line = rest.rstrip(" ,#") or line
    return line, unit


def _property_type(description: dict[str, Any]) -> PropertyType | None:
    """The platform type of `description.type`, refined by `sub_type` when the type alone
    names no platform type (`condo_townhome`, sub type `townhouse`)."""
    kinds = [_realtor_type(description.get(key)) for key in ("type", "sub_type")]
    known = [kind for kind in kinds if kind not in (None, "other")]
    return known[0] if known else kinds[0]


def _realtor_type(word: Any) -> PropertyType | None:
    text = _text(word)
    if text is None:
        return None
    return PROPERTY_TYPES.get(text.casefold()) or property_type(text)


def _bathrooms(description: dict[str, Any]) -> float | None:
    """`baths_consolidated` ("2.5", "3.5+"), else full and half baths added up, else
    `baths` (which counts a half bath as a whole one); 0 is unknown."""
    total = quantities.bathrooms_total(
        description.get("baths_consolidated"),
        description.get("baths_full"),
        description.get("baths_half"),
        description.get("baths_3qtr"),
    ) or quantities.bathrooms_total(description.get("baths"))
    return total or None


def _home_url(home: dict[str, Any], page_url: str | None) -> str | None:
    """The home's detail page: `href`, else `permalink` under the detail path."""
    href = _text(home.get("href"))
    if href is None:
        permalink = _text(home.get("permalink"))
        if permalink is None:
            return None
        href = DETAIL_PATH + permalink.lstrip("/")
    return urljoin(page_url or SITE_URL, href)


def _photos(home: dict[str, Any], page_url: str | None) -> list[str]:
    photos = [_object(home.get("primary_photo")).get("href")]
    photos += [_object(photo).get("href") for photo in _as_list(home.get("photos"))]
    return absolute_urls(photos, page_url or SITE_URL)


def _price_history(history: Any) -> Iterator[dict[str, Any]]:
    for entry in _as_list(history):
        if not isinstance(entry, dict):
            continue
        yield {
            "event_date": quantities.calendar_date(entry.get("date")),
            "event": price_event_kind(entry.get("event_name")),
            "price": quantities.positive(entry.get("price")),
            "source": _text(_first(entry.get("source_name"), entry.get("source"))),
        }


def _latest_tax(history: Any) -> tuple[float | None, float | None]:
    """The assessed value and the tax of the latest year of `tax_history` that states them
    (`assessment` is an object with its `total`, or a plain number)."""
    entries = sorted(
        (entry for entry in _as_list(history) if isinstance(entry, dict)),
        key=lambda entry: quantities.number(entry.get("year")) or 0,
        reverse=True,
    )
    assessed = (_assessment_total(entry.get("assessment")) for entry in entries)
    taxes = (quantities.positive(entry.get("tax")) for entry in entries)
    return _first_known(assessed), _first_known(taxes)


def _assessment_total(assessment: Any) -> float | None:
    if isinstance(assessment, dict):
        return quantities.positive(assessment.get("total"))
    return quantities.positive(assessment)


def _broker(home: dict[str, Any]) -> dict[str, Any] | None:
    """The listing agent and office: the `seller` advertiser, else the page's branding,
    else the MLS source's agents."""
    advertisers = [item for item in _as_list(home.get("advertisers")) if isinstance(item, dict)]
    agent = next((item for item in advertisers if item.get("type") == "seller"), None)
    branding = [item for item in _as_list(home.get("branding")) if isinstance(item, dict)]
    source_agent = _object(next(iter(_as_list(_object(home.get("source")).get("agents"))), None))
    if agent is not None:
        office = _object(agent.get("office"))
        broker = {
            "name": _text(office.get("name")) or _text(_object(agent.get("broker")).get("name")),
            "agent_name": _text(agent.get("name")),
            "phone": _phone(agent.get("phones")) or _phone(office.get("phones")),
        }
    else:
        broker = {
            "name": _branded(branding, "Office") or _text(source_agent.get("office_name")),
            "agent_name": _branded(branding, "Agent") or _text(source_agent.get("agent_name")),
            "phone": None,
        }
    return broker if any(broker.values()) else None


def _branded(branding: list[dict[str, Any]], kind: str) -> str | None:
    return next(
        (
            _text(item.get("name"))
            for item in branding
            if item.get("type") == kind and item.get("name")
        ),
        None,
    )


def _phone(phones: Any) -> str | None:
    numbers = [phone for phone in _as_list(phones) if isinstance(phone, dict)]
    numbers.sort(key=lambda phone: not phone.get("primary"))
    return next((_text(phone.get("number")) for phone in numbers if phone.get("number")), None)


def _distress_signals(home: dict[str, Any]) -> list[dict[str, Any]]:
    """A listing the site flags as a foreclosure (`flags.is_foreclosure`)."""
    if _object(home.get("flags")).get("is_foreclosure") is True:
        return [{"kind": "other", "detail": "listed as a foreclosure"}]
    return []


def _next_search_page(url: str | None, results: _Results) -> list[str]:
    """`…/pg-<n+1>` when the pages up to this one hold fewer results than the search's
    total (`count` or the results on this page give the page size)."""
    total = quantities.positive_integer(results.total)
    per_page = quantities.positive_integer(results.count) or len(results.results)
    if url is None or total is None or per_page == 0:
        return []
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    match = _PAGE_SEGMENT.search(path)
    page = int(match.group(1)) if match else 1
    if page * per_page >= total:
        return []
    base = path[: match.start()] if match else path
    return [urlunsplit((parts.scheme, parts.netloc, f"{base}/pg-{page + 1}", parts.query, ""))]


def _detail_home(page_props: dict[str, Any]) -> dict[str, Any] | None:
    """The home a detail page describes, wherever the page keeps it."""
    redux_details = _object(page_props.get("initialReduxState")).get("propertyDetails")
    for candidate in (redux_details, page_props.get("propertyDetails"), page_props.get("property")):
        for home in (candidate, *(_object(candidate).get(key) for key in ("property", "home"))):
            if isinstance(home, dict) and (home.get("property_id") or home.get("listing_id")):
                return home
    return None


def _search_results(page_props: dict[str, Any]) -> _Results | None:
    home_search = _object(_object(page_props.get("searchResults")).get("home_search"))
    if home_search:
        results = home_search.get("results")
        return _Results(_as_list(results), home_search.get("count"), home_search.get("total"))
    properties = page_props.get("properties")
    if isinstance(properties, list):
        return _Results(properties, None, page_props.get("totalProperties"))
    return None


def _page_props(data: Any) -> dict[str, Any]:
    return _object(_object(_object(data).get("props")).get("pageProps"))


def _next_data_text(body: str) -> str | None:
    match = _NEXT_DATA.search(body)
    return match.group(1) if match else None


def _is_realtor(blob: str, url: str | None) -> bool:
    """Realtor.com's own words in the page state, or a Realtor.com address."""
    host = (urlsplit(url).hostname or "") if url else ""
    if host == "realtor.com" or host.endswith(".realtor.com"):
        return True
    if '"home_search"' in blob:
        return True
    return '"property_id"' in blob and '"list_price"' in blob and '"location"' in blob


def _is_json(body: str) -> bool:
    """A JSON response rather than a page: an object first (after any byte order mark)."""
    return body[:256].lstrip("\ufeff \t\r\n").startswith("{")


def _is_search_api(body: str) -> bool:
    return '"data"' in body and ('"home_search"' in body or '"property_search"' in body)


def _kind_by_markers(blob: str, url: str | None) -> str:
    """The page kind when the page state cannot be read: from the URL's path, else from
    the keys the text holds."""
    path = urlsplit(url).path if url else ""
    if any(detail_path in path for detail_path in DETAIL_PATHS):
        return KIND_DETAIL
    if any(search_path in path for search_path in SEARCH_PATHS):
        return KIND_SEARCH
    if '"home_search"' in blob or '"properties"' in blob:
        return KIND_SEARCH
    return KIND_DETAIL if '"propertyDetails"' in blob or '"property"' in blob else KIND_SEARCH


def _identifier(home: Any) -> str | None:
    """The home's `property_id` (lasting across its listings), else its `listing_id`."""
    return _text(_object(home).get("property_id")) or _text(_object(home).get("listing_id"))


def _first_known(values: Iterator[float | None]) -> float | None:
    return next((value for value in values if value is not None), None)


def _first(*values: Any) -> Any:
    return next((value for value in values if value not in (None, "")), None)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return quantities.text(value)
