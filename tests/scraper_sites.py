"""Loopback web servers that answer like the listing sites, for crawl tests and the bench.

    python -m tests.scraper_sites --count 20000 --port 0 --prefix GEN

A `FixtureSite` serves a fixed set of routes: path (with its query) to status, content
type, body and headers. Its builders:

- `jsonld_site(count, prefix)`: a generated schema.org JSON-LD site in the demo market's
  structure (index pages of 20 with `rel=next`, one detail page per listing), of any
  size: listings are derived from the real King County sales, cycled when more are
  asked for than there are sales.
- saved pages of `tests/fixtures/scraper/<site>/` as `Route`s at paths a test chooses
  (`tests/integration/test_site_crawls.py`); a body's `{origin}` becomes the server's own
  origin, so links written that way lead back to it.
- `feed_site(...)`: a CSV, JSON or Socrata feed body at a path.
- `LAYOUTS[site].routes(markets)`: Zillow, Redfin or Realtor.com (`LAYOUTS`), each in its
  own paths and page structure (those of `tests/fixtures/scraper/<site>/`), for a few
  invented `Market`s: search page 1 leads to page 2 and to a detail page per home, and
  every link a page holds leads back to the server. A crawl from a location (a ZIP, or
  "City, ST": Redfin's location lookup names the city's page) walks the whole site.

Every site answers `/robots.txt` (`Disallow: /private/`) and `/healthz`, and any site can
be given failing routes (`failing_routes`): a path that answers 429 with `Retry-After`
a number of times before it succeeds, a path that always answers 500. A route's path may
carry a query; queries match whatever their order and escaping.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from services.scraper.demo_market import build_market, load_sales, load_zip_cities
from services.scraper.demo_pages import index_path, site_pages
from shared.settings import REPO_ROOT, Settings

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "scraper"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
CSV = "text/csv; charset=utf-8"
DISALLOWED_PATH = "/private/"
ROBOTS = f"User-agent: *\nDisallow: {DISALLOWED_PATH}\nAllow: /\n"
ORIGIN_PLACEHOLDER = "{origin}"


@dataclass
class Route:
    """What one path answers. `failures` answers come first, each once, then the body."""

    body: bytes
    content_type: str = HTML
    status: int = HTTPStatus.OK
    headers: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    hits: int = 0


class FixtureSite(ThreadingHTTPServer):
    """A threading HTTP server over `routes`; `{origin}` in a body becomes its own origin."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.origin = f"http://{host}:{self.server_address[1]}"
        self.routes = {
            route_key(path): _with_origin(route, self.origin) for path, route in routes.items()
        }
        self.routes.setdefault("/robots.txt", Route(ROBOTS.encode(), TEXT))
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.origin + path

    def answer(self, path: str) -> tuple[int, str, bytes, dict[str, str]]:
        if urlsplit(path).path == "/healthz":
            return HTTPStatus.OK, JSON, b'{"status": "ok"}', {}
        route = self.routes.get(route_key(path)) or self.routes.get(urlsplit(path).path)
        if route is None:
            return HTTPStatus.NOT_FOUND, TEXT, b"not found\n", {}
        with self.lock:
            route.hits += 1
            failure = route.failures.pop(0) if route.failures else None
        if failure is not None:
            status, headers = failure
            return status, TEXT, b"try again later\n", headers
        return route.status, route.content_type, route.body, route.headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see services/scraper/demo_site.py
    server: FixtureSite

    def do_GET(self) -> None:
        status, content_type, body, headers = self.server.answer(self.path)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a crawl makes thousands of requests."""


def route_key(path: str) -> str:
    """A route's path with its query in one spelling: parameters decoded and sorted."""
    parts = urlsplit(path)
    if not parts.query:
        return parts.path
    return f"{parts.path}?{urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))}"


def _with_origin(route: Route, origin: str) -> Route:
    if ORIGIN_PLACEHOLDER.encode() not in route.body:
        return route
    body = route.body.replace(ORIGIN_PLACEHOLDER.encode(), origin.encode())
    return Route(body, route.content_type, route.status, route.headers, route.failures)


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[FixtureSite]:
    """A `FixtureSite` on a free loopback port, served from a thread of this process."""
    site = FixtureSite(routes)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()


def failing_routes(
    routes: dict[str, Route],
    *,
    throttled: dict[str, tuple[int, int]] | None = None,
    broken: list[str] | None = None,
) -> dict[str, Route]:
    """`routes` with failures: each `throttled` path answers 429 with `Retry-After:
    <seconds>` `times` times (path -> (times, seconds)) before its body; each `broken`
    path always answers 500."""
    changed = dict(routes)
    for path, (times, seconds) in (throttled or {}).items():
        route = changed[path]
        failures = [(int(HTTPStatus.TOO_MANY_REQUESTS), {"Retry-After": str(seconds)})] * times
        changed[path] = Route(route.body, route.content_type, route.status, route.headers, failures)
    for path in broken or []:
        route = changed.get(path, Route(b""))
        changed[path] = Route(b"server error\n", TEXT, HTTPStatus.INTERNAL_SERVER_ERROR)
    return changed


def jsonld_site(count: int, prefix: str, seed: int = 7) -> dict[str, Route]:
    """A JSON-LD listing site of `count` listings with ids `<prefix>-000001`...; its first
    index page is `/listings?page=1` (also `/listings`)."""
    data_dir = Settings().data_dir
    sales = load_sales(data_dir)
    cycled = sales * -(-count // len(sales))
    market = build_market(cycled, load_zip_cities(data_dir), count, seed, prefix)
    routes = {path: Route(body) for path, body in site_pages(market).items()}
    routes["/listings"] = routes[index_path(1)]
    routes["/robots.txt"] = Route(ROBOTS.encode(), TEXT)
    return routes


def feed_site(path: str, body: bytes, content_type: str = JSON) -> dict[str, Route]:
    """One feed body at `path`."""
    return {path: Route(body, content_type)}


# Listing sites: Zillow, Redfin and Realtor.com, in their own paths and page structures


SITE_DAY = date(2025, 3, 20)
"""The day the listing sites are seen on: days on market count up to it."""
BEDS_CYCLE = (3, 2, 4, 1, 5, 3, 2, 4, 3, 4, 2, 3)
STREETS = (
    ("NW", "Juniper", "Ave"),
    ("", "Tamarack", "Ln"),
    ("SE", "Larch", "St"),
    ("", "Sagebrush", "Ct"),
    ("NE", "Aspen Hollow", "Dr"),
    ("", "Ponderosa", "Way"),
    ("SW", "Quail Ridge", "Rd"),
    ("", "Cedar Bluff", "Pl"),
)
FEATURES = (
    "a vaulted great room",
    "a remodeled kitchen",
    "a fenced back yard",
    "a covered patio",
    "views of the foothills",
    "a finished basement",
    "a two-car garage",
)
AGENTS = (
    ("Ilse Marchetti", "Ridgeline Home Partners"),
    ("Tobias Wren", "Copper Gate Realty"),
    ("Priya Castellanos", "Northfield Brokers"),
)
HomeType = Literal["single_family", "townhouse", "condo"]


@dataclass(frozen=True)
class SiteHome:
    """An invented home for sale as a listing site knows it. Its search card shows the
    basics; its detail page alone tells the whole description, the price history (listed
    at `list_price`, then cut to `price`), the taxes and the agent."""

    home_id: int
    number: int
    direction: str
    street_name: str
    street_type: str
    city: str
    state: str
    zip_code: str
    latitude: float
    longitude: float
    home_type: HomeType
    beds: int
    baths_full: int
    baths_half: int
    sqft: int
    lot_sqft: int | None
    year_built: int
    stories: int
    list_price: int
    price: int
    listed_on: date
    price_cut_on: date
    hoa_fee: int | None
    land_value: int
    improvement_value: int
    annual_tax: float
    mls_id: str
    agent: str
    broker: str
    phone: str
    description: str

    @property
    def street(self) -> str:
        parts = (str(self.number), self.direction, self.street_name, self.street_type)
        return " ".join(part for part in parts if part)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.city}, {self.state} {self.zip_code}"

    @property
    def slug(self) -> str:
        """The address as the sites write it in paths: `2417-NW-Crossing-Dr-Bend-OR-97703`."""
        return _dashed(f"{self.street} {self.city} {self.state} {self.zip_code}")

    @property
    def bathrooms(self) -> float:
        return self.baths_full + 0.5 * self.baths_half

    @property
    def tax_assessed_value(self) -> int:
        return self.land_value + self.improvement_value

    @property
    def days_on_market(self) -> int:
        return (SITE_DAY - self.listed_on).days

    @property
    def summary(self) -> str:
        """The description's first sentence, which some search cards show."""
        return self.description.split(". ", 1)[0] + "."

    def photo_names(self) -> list[str]:
        return [f"{self.home_id:x}{index:02d}" for index in range(2)]


def invented_homes(
    count: int,
    *,
    first_id: int,
    city: str,
    state: str,
    zip_codes: tuple[str, ...],
    center: tuple[float, float],
    seed: int,
) -> tuple[SiteHome, ...]:
    """`count` homes for sale in `city`, ids from `first_id`, bedrooms in `BEDS_CYCLE`
    order; the rest is drawn from `seed`."""
    draw = random.Random(seed)
    homes = []
    for index in range(count):
        beds = BEDS_CYCLE[index % len(BEDS_CYCLE)]
        home_type: HomeType = (
            "condo" if beds == 1 else "townhouse" if beds == 2 else "single_family"
        )
        direction, street_name, street_type = STREETS[(seed + index) % len(STREETS)]
        sqft = 480 + 420 * beds + draw.randrange(0, 300, 10)
        list_price = sqft * draw.randint(230, 330) // 1000 * 1000
        assessed = list_price * 6 // 10 // 100 * 100
        land_value = assessed * 3 // 10 // 100 * 100
        year_built = draw.randint(1958, 2021)
        agent, broker = AGENTS[index % len(AGENTS)]
        features = draw.sample(FEATURES, 2)
        listed_on = SITE_DAY - timedelta(days=9 + 6 * index)
        kind = {"condo": "Condo", "townhouse": "Townhome", "single_family": "Home"}[home_type]
        homes.append(
            SiteHome(
                home_id=first_id + index,
                number=draw.randint(101, 9899),
                direction=direction,
                street_name=street_name,
                street_type=street_type,
                city=city,
                state=state,
                zip_code=zip_codes[index % len(zip_codes)],
                latitude=round(center[0] + draw.uniform(-0.03, 0.03), 6),
                longitude=round(center[1] + draw.uniform(-0.04, 0.04), 6),
                home_type=home_type,
                beds=beds,
                baths_full=max(1, beds - 1),
                baths_half=index % 2,
                sqft=sqft,
                lot_sqft=None if home_type == "condo" else draw.randrange(2400, 14000, 10),
                year_built=year_built,
                stories=1 if home_type == "condo" else draw.choice((1, 2)),
                list_price=list_price,
                price=list_price - draw.choice((5000, 10000, 15000, 25000)),
                listed_on=listed_on,
                price_cut_on=listed_on + timedelta(days=5),
                hoa_fee=None if home_type == "single_family" else draw.choice((185, 240, 310)),
                land_value=land_value,
                improvement_value=assessed - land_value,
                annual_tax=round(assessed * 0.0112, 2),
                mls_id=f"25{first_id % 1000:03d}{index:03d}",
                agent=agent,
                broker=broker,
                phone=f"555-01{index:02d}",
                description=(
                    f"{kind} on {street_name} {street_type} with {features[0]}. "
                    f"Built in {year_built}, {beds} bedrooms and {features[1]}."
                ),
            )
        )
    return tuple(homes)


@dataclass(frozen=True)
class Market:
    """The homes a listing site shows for sale in one place, in search order, `per_page`
    to a search page. It is searched by ZIP when `zip_code` is set, else by city;
    `region_id` is the site's own id of the place. The homes in `gone` were taken down:
    the search still lists them, their detail pages answer 404."""

    city: str
    state: str
    zip_code: str | None
    region_id: int
    homes: tuple[SiteHome, ...]
    per_page: int
    gone: frozenset[int] = frozenset()

    @property
    def location(self) -> str:
        """The place as a scrape request names it: "97701" or "Boise, ID"."""
        return self.zip_code or f"{self.city}, {self.state}"

    def pages(self) -> list[tuple[SiteHome, ...]]:
        homes = self.homes
        return [
            homes[start : start + self.per_page] for start in range(0, len(homes), self.per_page)
        ]


class SiteLayout:
    """Where a listing site keeps its search and detail pages, and how it writes them."""

    def search_path(self, market: Market, number: int) -> str:
        raise NotImplementedError

    def home_path(self, home: SiteHome) -> str:
        raise NotImplementedError

    def search_page(self, market: Market, number: int) -> Route:
        raise NotImplementedError

    def home_page(self, home: SiteHome) -> Route:
        raise NotImplementedError

    def place_routes(self, market: Market) -> dict[str, Route]:
        """What else the site answers about the place (a location lookup)."""
        return {}

    def search_paths(self, market: Market) -> list[str]:
        return [self.search_path(market, number) for number in range(1, len(market.pages()) + 1)]

    def routes(self, markets: list[Market]) -> dict[str, Route]:
        routes: dict[str, Route] = {}
        for market in markets:
            routes.update(self.place_routes(market))
            for number, path in enumerate(self.search_paths(market), start=1):
                routes[path] = self.search_page(market, number)
            for home in market.homes:
                if home.home_id not in market.gone:
                    routes[self.home_path(home)] = self.home_page(home)
        return routes


def _dashed(text: str) -> str:
    return "-".join(text.replace(",", " ").replace("#", " ").split())


def _epoch_ms(day: date) -> int:
    """A day as the sites' epoch milliseconds (early morning UTC, the same day in the US)."""
    return int(datetime.combine(day, time(8), UTC).timestamp() * 1000)


def _script_json(value: Any) -> str:
    """JSON to embed in a `<script>`: compact, no `</` that would end the script."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _next_data(
    page_props: dict[str, Any], page: str, query: dict[str, Any], build_id: str
) -> dict[str, Any]:
    """A Next.js page's `__NEXT_DATA__`: its props, and the route it was rendered for."""
    return {
        "props": {"pageProps": page_props, "__N_SSP": True},
        "page": page,
        "query": query,
        "buildId": build_id,
        "isFallback": False,
        "gssp": True,
        "customServer": True,
        "appGip": True,
        "scriptLoader": [],
    }


def _schema_residence(home: SiteHome, url: str) -> dict[str, Any]:
    """The home as the schema.org JSON-LD a detail page carries."""
    return {
        "@context": "http://schema.org",
        "@type": "SingleFamilyResidence",
        "name": home.address,
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": home.street,
            "addressLocality": home.city,
            "addressRegion": home.state,
            "postalCode": home.zip_code,
            "addressCountry": "US",
        },
        "geo": {"@type": "GeoCoordinates", "latitude": home.latitude, "longitude": home.longitude},
    }


def _bounds(homes: tuple[SiteHome, ...]) -> dict[str, float]:
    return {
        "west": min(home.longitude for home in homes) - 0.01,
        "east": max(home.longitude for home in homes) + 0.01,
        "south": min(home.latitude for home in homes) - 0.01,
        "north": max(home.latitude for home in homes) + 0.01,
    }


class ZillowLayout(SiteLayout):
    """Zillow: search `/homes/for_sale/<ZIP>_rb/` (or `<City>,-<ST>_rb/`), its next pages
    `.../<n>_p/`, homes `/homedetails/<slug>/<zpid>_zpid/`; the data in `__NEXT_DATA__`
    (a detail page's property cache as a JSON string inside it)."""

    HOME_TYPES = {"single_family": "SINGLE_FAMILY", "townhouse": "TOWNHOUSE", "condo": "CONDO"}
    STATUS_TEXT = {
        "single_family": "House for sale",
        "townhouse": "Townhouse for sale",
        "condo": "Condo for sale",
    }
    BUILD_ID = "search-page-7.4.102.master.3e9b0c1"

    def search_path(self, market: Market, number: int) -> str:
        term = market.zip_code or _dashed(market.city) + f",-{market.state}"
        first = f"/homes/for_sale/{term}_rb/"
        return first if number == 1 else f"{first}{number}_p/"

    def home_path(self, home: SiteHome) -> str:
        return f"/homedetails/{home.slug}/{home.home_id}_zpid/"

    def photo(self, name: str, size: str) -> str:
        return f"{ORIGIN_PLACEHOLDER}/fp/{name}-{size}.jpg"

    def search_page(self, market: Market, number: int) -> Route:
        pages = market.pages()
        homes = pages[number - 1]
        next_path = self.search_path(market, number + 1) if number < len(pages) else None
        state = {
            "queryState": {
                "pagination": {"currentPage": number} if number > 1 else {},
                "isMapVisible": True,
                "mapBounds": _bounds(market.homes),
                "usersSearchTerm": market.location,
                "regionSelection": [
                    {"regionId": market.region_id, "regionType": 7 if market.zip_code else 6}
                ],
                "filterState": {"sort": {"value": "globalrelevanceex"}},
                "isListVisible": True,
                "mapZoom": 13,
            },
            "cat1": {
                "searchResults": {
                    "listResults": [self.card(home) for home in homes],
                    "mapResults": [self.pin(home) for home in homes],
                    "relaxedResults": [],
                },
                "searchList": {
                    "zeroResultsFilters": {},
                    "pagination": {"nextUrl": next_path} if next_path else {},
                    "totalResultCount": len(market.homes),
                    "resultsPerPage": market.per_page,
                    "totalPages": len(pages),
                    "listResultsTitle": "Real Estate & Homes For Sale",
                    "resultContexts": [],
                    "pageRules": "all",
                },
            },
            "cat2": {"searchResults": {"listResults": [], "mapResults": []}},
            "categoryTotals": {
                "cat1": {"totalResultCount": len(market.homes)},
                "cat2": {"totalResultCount": 0},
            },
        }
        title = f"{market.location} Real Estate & Homes For Sale | Zillow"
        page_props = {
            "searchPageState": state,
            "pageTitle": title,
            "searchPageSeoObject": {"baseUrl": self.search_path(market, 1), "windowTitle": title},
        }
        next_data = _next_data(
            page_props,
            "/search/[[...searchQueryState]]",
            {"searchQueryState": [self.search_path(market, number).strip("/")]},
            self.BUILD_ID,
        )
        cards = "".join(
            f'<li><article data-test="property-card"><a href="{self.home_path(home)}">'
            f'{escape(home.address)}</a><span data-test="property-card-price">'
            f"${home.price:,}</span></article></li>"
            for home in homes
        )
        pagination = (
            f'<a rel="next" title="Next page" href="{next_path}">Next</a>' if next_path else ""
        )
        body = (
            f'<div id="grid-search-results"><h1 class="search-title">{escape(title)}</h1>'
            f'<ul class="photo-cards">{cards}</ul>'
            f'<nav role="navigation" aria-label="Pagination">{pagination}</nav></div>'
        )
        return Route(self.page(title, "", body, next_data).encode())

    def card(self, home: SiteHome) -> dict[str, Any]:
        photos = [self.photo(name, "p_e") for name in home.photo_names()]
        return {
            "zpid": str(home.home_id),
            "id": str(home.home_id),
            "providerListingId": None,
            "imgSrc": photos[0],
            "hasImage": True,
            "carouselPhotos": [{"url": url} for url in photos],
            "detailUrl": self.home_path(home),
            "statusType": "FOR_SALE",
            "statusText": self.STATUS_TEXT[home.home_type],
            "countryCurrency": "$",
            "price": f"${home.price:,}",
            "unformattedPrice": home.price,
            "address": home.address,
            "addressStreet": home.street,
            "addressCity": home.city,
            "addressState": home.state,
            "addressZipcode": home.zip_code,
            "isUndisclosedAddress": False,
            "beds": home.beds,
            "baths": home.baths_full + home.baths_half,
            "area": home.sqft,
            "latLong": {"latitude": home.latitude, "longitude": home.longitude},
            "isZillowOwned": False,
            "variableData": {
                "type": "TIME_ON_INFO",
                "text": f"{home.days_on_market} days on Zillow",
                "data": {"isFresh": False},
            },
            "badgeInfo": None,
            "hdpData": {
                "homeInfo": {
                    "zpid": home.home_id,
                    "streetAddress": home.street,
                    "zipcode": home.zip_code,
                    "city": home.city,
                    "state": home.state,
                    "latitude": home.latitude,
                    "longitude": home.longitude,
                    "price": float(home.price),
                    "bathrooms": home.bathrooms,
                    "bedrooms": float(home.beds),
                    "livingArea": float(home.sqft),
                    "homeType": self.HOME_TYPES[home.home_type],
                    "homeStatus": "FOR_SALE",
                    "daysOnZillow": home.days_on_market,
                    "isFeatured": False,
                    "isPreforeclosureAuction": False,
                    "currency": "USD",
                    "country": "USA",
                    "listing_sub_type": {"is_FSBA": True},
                    "homeStatusForHDP": "FOR_SALE",
                    "priceForHDP": float(home.price),
                    "lotAreaValue": home.lot_sqft,
                    "lotAreaUnit": "sqft",
                }
            },
            "isSaved": False,
            "pgapt": "ForSale",
            "sgapt": "For Sale (Broker)",
            "has3DModel": False,
            "hasVideo": False,
            "list": True,
            "relaxed": False,
            "brokerName": home.broker,
            "timeOnZillow": home.days_on_market * 86_400_000,
        }

    def pin(self, home: SiteHome) -> dict[str, Any]:
        """A map pin: the card's home again, with fewer facts."""
        card = self.card(home)
        keys = ("zpid", "price", "unformattedPrice", "latLong", "statusType", "detailUrl", "beds")
        return {key: card[key] for key in keys}

    def home_page(self, home: SiteHome) -> Route:
        zpid = home.home_id
        full_render = (
            f'ForSaleShopperPlatformFullRenderQuery{{"zpid":{zpid},"platform":"DESKTOP_WEB",'
            f'"formType":"OPAQUE","contactFormRenderParameter":{{"zpid":{zpid},'
            '"platform":"desktop","isDoubleScroll":true},"skipCFRD":false,"ompPlatform":"web"}'
        )
        cache = {
            full_render: {"property": self.property(home)},
            f'OmpQuery{{"zpid":{zpid}}}': {
                "property": {"zpid": zpid, "isListingClaimedByCurrentSignedInUser": False}
            },
        }
        component = {
            "zpid": zpid,
            "pageType": "gdp",
            "isBot": False,
            "gdpClientCache": json.dumps(cache, separators=(",", ":")),
            "gdpQueryVariables": {"zpid": zpid, "altId": None, "deviceTypeV2": "WEB_DESKTOP"},
            "renderingProps": {"isHdpV2": True, "isCompactHdp": False},
        }
        next_data = _next_data(
            {"componentProps": component},
            "/homedetails/[...slug]",
            {"slug": [home.slug, f"{zpid}_zpid"]},
            self.BUILD_ID,
        )
        described = _schema_residence(home, ORIGIN_PLACEHOLDER + self.home_path(home))
        described["floorSize"] = {"@type": "QuantitativeValue", "value": f"{home.sqft:,}"}
        head = f'<script type="application/ld+json">{_script_json(described)}</script>'
        body = (
            '<div class="layout-wrapper"><div data-testid="home-details-summary">'
            f"<h1>{escape(home.address)}</h1></div></div>"
        )
        return Route(self.page(home.address, head, body, next_data).encode())

    def property(self, home: SiteHome) -> dict[str, Any]:
        """The detail page's `property`: everything Zillow knows of the home."""
        history = [
            (home.price_cut_on, home.price, "Price change"),
            (home.listed_on, home.list_price, "Listed for sale"),
        ]
        hoa = f"${home.hoa_fee} monthly" if home.hoa_fee else None
        return {
            "listingDataSource": "Phoenix",
            "zpid": home.home_id,
            "city": home.city,
            "state": home.state,
            "homeStatus": "FOR_SALE",
            "address": {
                "streetAddress": home.street,
                "city": home.city,
                "state": home.state,
                "zipcode": home.zip_code,
                "neighborhood": None,
                "community": None,
                "subdivision": None,
            },
            "bedrooms": home.beds,
            "bathrooms": home.baths_full + home.baths_half,
            "price": home.price,
            "yearBuilt": home.year_built,
            "streetAddress": home.street,
            "zipcode": home.zip_code,
            "regionString": f"{home.city} {home.state} {home.zip_code}",
            "hdpUrl": self.home_path(home),
            "listing_sub_type": {"is_FSBA": True, "is_FSBO": False, "is_foreclosure": False},
            "country": "USA",
            "currency": "USD",
            "homeType": self.HOME_TYPES[home.home_type],
            "abbreviatedAddress": home.street,
            "isUndisclosedAddress": False,
            "resoFacts": {
                "associationFee": hoa,
                "hoaFee": hoa,
                "hasAssociation": home.hoa_fee is not None,
                "bathrooms": home.baths_full + home.baths_half,
                "bathroomsFull": home.baths_full,
                "bathroomsHalf": home.baths_half,
                "bathroomsThreeQuarter": None,
                "bedrooms": home.beds,
                "stories": home.stories,
                "yearBuilt": home.year_built,
                "livingArea": f"{home.sqft:,} sqft",
                "onMarketDate": _epoch_ms(home.listed_on),
                "atAGlanceFacts": [
                    {"factLabel": "Year Built", "factValue": str(home.year_built)},
                    {"factLabel": "HOA", "factValue": hoa},
                ],
            },
            "attributionInfo": {
                "mlsName": "Gem State MLS",
                "agentName": home.agent,
                "agentPhoneNumber": home.phone,
                "brokerName": home.broker,
                "mlsId": home.mls_id,
            },
            "livingArea": home.sqft,
            "livingAreaValue": home.sqft,
            "livingAreaUnits": "Square Feet",
            "livingAreaUnitsShort": "sqft",
            "lotSize": home.lot_sqft,
            "lotAreaValue": home.lot_sqft,
            "lotAreaUnits": "Square Feet" if home.lot_sqft else None,
            "latitude": home.latitude,
            "longitude": home.longitude,
            "daysOnZillow": home.days_on_market,
            "monthlyHoaFee": home.hoa_fee,
            "mlsid": home.mls_id,
            "taxAssessedValue": home.tax_assessed_value,
            "taxAnnualAmount": home.annual_tax,
            "dateSold": None,
            "description": home.description,
            "priceHistory": [
                {
                    "date": day.isoformat(),
                    "time": _epoch_ms(day),
                    "price": price,
                    "pricePerSquareFoot": price // home.sqft,
                    "event": event,
                    "source": "Gem State MLS",
                    "postingIsRental": False,
                }
                for day, price, event in history
            ],
            "taxHistory": [
                {
                    "time": _epoch_ms(date(SITE_DAY.year - 1, 1, 1)),
                    "taxPaid": home.annual_tax,
                    "value": home.tax_assessed_value,
                }
            ],
            "responsivePhotos": [
                {
                    "caption": "",
                    "url": self.photo(name, "p_d"),
                    "mixedSources": {
                        "jpeg": [
                            {"url": self.photo(name, f"cc_ft_{width}"), "width": width}
                            for width in (384, 768, 1536)
                        ]
                    },
                }
                for name in home.photo_names()
            ],
            "keystoneHomeStatus": "ForSale",
        }

    def page(self, title: str, head: str, body: str, next_data: dict[str, Any]) -> str:
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
            '<meta name="viewport" content="width=device-width"/>\n'
            f"<title>{escape(title)}</title>{head}\n</head><body>"
            '<div id="__next"><div class="app-shell"><header class="zsg-site-header">'
            '<a href="/" class="zsg-logo">Zillow</a><nav><a href="/homes/for_sale/">Buy</a>'
            '<a href="/homes/for_rent/">Rent</a><a href="/homes/recently_sold/">Sold</a></nav>'
            f'</header>\n<main id="main-content">{body}</main></div></div>\n'
            '<script id="__NEXT_DATA__" type="application/json">'
            f"{_script_json(next_data)}</script>\n</body></html>"
        )


class RedfinLayout(SiteLayout):
    """Redfin: search `/zipcode/<ZIP>` or `/city/<id>/<ST>/<City>`, next pages
    `.../page-<n>`, homes `/<ST>/<City>/<street>-<ZIP>/home/<propertyId>`; a city is found
    by the location lookup (`/stingray/do/location-autocomplete?location=...&v=2`). The
    pages hold the stingray API answers they were built from (the map search on search
    pages, the home's details on home pages) as strings behind `{}&&` in their server
    state."""

    LOOKUP_PATH = "/stingray/do/location-autocomplete"
    PROPERTY_TYPES = {"single_family": 6, "townhouse": 13, "condo": 3}
    UI_PROPERTY_TYPES = {"single_family": 1, "townhouse": 3, "condo": 2}
    TYPE_NAMES = {
        "single_family": "Single Family Residential",
        "townhouse": "Townhouse",
        "condo": "Condo/Co-op",
    }
    ACTIVE = {
        "displayValue": "Active",
        "definition": "This home is for sale and the sellers are accepting offers.",
        "longerDefinitionToken": "active",
    }
    MARKET = "boise"
    CDN = "/cdn/v531.2.0"

    def search_path(self, market: Market, number: int) -> str:
        if market.zip_code:
            first = f"/zipcode/{market.zip_code}"
        else:
            first = f"/city/{market.region_id}/{market.state}/{_dashed(market.city)}"
        return first if number == 1 else f"{first}/page-{number}"

    def lookup_path(self, market: Market) -> str:
        return f"{self.LOOKUP_PATH}?{urlencode({'location': market.location, 'v': 2})}"

    def home_path(self, home: SiteHome) -> str:
        street = _dashed(home.street)
        return f"/{home.state}/{_dashed(home.city)}/{street}-{home.zip_code}/home/{home.home_id}"

    def photo(self, home: SiteHome, name: str, kind: str) -> str:
        return f"{ORIGIN_PLACEHOLDER}/photo/204/{kind}/{home.mls_id[-3:]}/{name}.jpg"

    def place_routes(self, market: Market) -> dict[str, Route]:
        """The location lookup's answer: the place itself as the exact match."""
        region_type = 2 if market.zip_code else 6
        place = {
            "id": f"{region_type}_{market.region_id}",
            "type": str(region_type),
            "name": market.zip_code or market.city,
            "subName": f"{market.city}, {market.state}, USA",
            "url": self.search_path(market, 1),
            "active": True,
            "claimedHome": False,
            "invalidMRS": False,
            "businessMarketIds": [41],
            "countryCode": "US",
        }
        payload = {"sections": [{"rows": [place], "name": "Places"}], "exactMatch": place}
        return {self.lookup_path(market): Route(self.api_text(payload).encode(), JSON)}

    def api_text(self, payload: dict[str, Any]) -> str:
        """A stingray API answer: the `{}&&` prefix, then the envelope."""
        envelope = {"version": 412, "errorMessage": "Success", "resultCode": 0, "payload": payload}
        return "{}&&" + json.dumps(envelope, separators=(",", ":"))

    def cached(self, answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The server state holding `answers` (API path and query to payload)."""
        return {
            "ReactServerAgent.cache": {
                "dataCache": {
                    path: {
                        "err": None,
                        "loading": False,
                        "res": {
                            "status": 200,
                            "headers": {"content-type": "application/json"},
                            "text": self.api_text(payload),
                        },
                    }
                    for path, payload in answers.items()
                },
                "requestTimes": {path: 40 + 7 * index for index, path in enumerate(answers)},
            },
            "deviceType": "desktop",
            "userStatus": {"isLoggedIn": False, "accessLevel": 1},
        }

    def search_page(self, market: Market, number: int) -> Route:
        pages = market.pages()
        homes = pages[number - 1]
        region_type = 2 if market.zip_code else 6
        search = urlencode(
            {
                "al": 1,
                "market": self.MARKET,
                "num_homes": market.per_page,
                "ord": "redfin-recommended-asc",
                "page_number": number,
                "region_id": market.region_id,
                "region_type": region_type,
                "start": (number - 1) * market.per_page,
                "status": 9,
                "uipt": "1,2,3,4,5,6,7,8",
                "v": 8,
            },
            safe=",",
        )
        cards = [self.card(home) for home in homes]
        found = {
            "originalHomes": {"homes": cards, "dataSources": [{"id": 204}]},
            "homes": cards,
            "dataSources": [{"id": 204}],
            "searchMedian": {
                "price": sorted(home.price for home in market.homes)[len(market.homes) // 2]
            },
            "serviceRegionName": market.zip_code or market.city,
        }
        state = self.cached({f"/stingray/api/gis?{search}": found})
        links = "".join(
            f'<div class="HomeCardContainer"><a href="{self.home_path(home)}" '
            f'class="link-and-anchor">{escape(home.street)}</a></div>'
            for home in homes
        )
        paging = "".join(
            f'<a href="{self.search_path(market, page)}" class="clickable goToPage'
            f'{" selected" if page == number else ""}" '
            f'data-rf-test-id="react-data-paginate-page-{page - 1}">{page}</a>'
            for page in range(1, len(pages) + 1)
        )
        title = f"{market.location} Real Estate - {market.location} Homes For Sale | Redfin"
        body = (
            f'<div class="HomeViews"><div class="HomeCardsContainer">{links}</div>'
            f'<div class="PagingControls"><span class="pageText">Viewing page {number} of '
            f"{len(pages)}</span>{paging}</div></div>"
        )
        canonical = ORIGIN_PLACEHOLDER + self.search_path(market, number)
        return Route(self.page(title, canonical, "", body, state, "SearchPage").encode())

    def card(self, home: SiteHome) -> dict[str, Any]:
        """A home of the map search: most facts as `{"value": ...}`, the remarks cut short."""
        return {
            "mlsId": {"label": "MLS#", "value": home.mls_id},
            "showMlsId": False,
            "listingType": 1,
            "propertyId": home.home_id,
            "listingId": home.home_id + 90_000_000,
            "dataSourceId": 204,
            "marketId": 41,
            "timeZone": "US/Mountain",
            "photos": {"value": "0-2:0", "level": 1},
            "sashes": [],
            "isHot": False,
            "isNewConstruction": False,
            "mlsStatus": "Active",
            "price": {"value": home.price, "level": 1},
            "hoa": {"value": home.hoa_fee, "level": 1} if home.hoa_fee else {"level": 1},
            "sqFt": {"value": home.sqft, "level": 1},
            "pricePerSqFt": {"value": home.price // home.sqft, "level": 1},
            "lotSize": {"value": home.lot_sqft, "level": 1} if home.lot_sqft else {"level": 1},
            "beds": home.beds,
            "baths": home.bathrooms,
            "fullBaths": home.baths_full,
            "partialBaths": home.baths_half or None,
            "stories": float(home.stories),
            "latLong": {
                "value": {"latitude": home.latitude, "longitude": home.longitude},
                "level": 1,
            },
            "streetLine": {"value": home.street, "level": 1},
            "unitNumber": {"level": 1},
            "city": home.city,
            "state": home.state,
            "zip": home.zip_code,
            "postalCode": {"value": home.zip_code, "level": 1},
            "searchStatus": 1,
            "propertyType": self.PROPERTY_TYPES[home.home_type],
            "uiPropertyType": self.UI_PROPERTY_TYPES[home.home_type],
            "yearBuilt": {"value": home.year_built, "level": 1},
            "dom": {"value": home.days_on_market, "level": 1},
            "timeOnRedfin": {"value": home.days_on_market * 86_400_000, "level": 1},
            "listingRemarks": home.summary,
            "url": self.home_path(home),
        }

    def home_page(self, home: SiteHome) -> Route:
        path = self.home_path(home)
        ids = f"propertyId={home.home_id}&listingId={home.home_id + 90_000_000}&accessLevel=1"
        details = "/stingray/api/home/details"
        state = self.cached(
            {
                f"{details}/initialInfo?path={quote(path, safe='')}": {
                    "propertyId": home.home_id,
                    "listingId": home.home_id + 90_000_000,
                    "marketId": 41,
                    "marketName": self.MARKET,
                    "mlsId": {"label": "MLS#", "value": home.mls_id},
                    "pageType": 1,
                    "isRedfinServiced": False,
                },
                f"{details}/aboveTheFold?{ids}": self.above_the_fold(home),
                f"{details}/mainHouseInfoPanelInfo?{ids}": {"mainHouseInfo": self.house(home)},
                f"/stingray/api/v1/home/details/belowTheFold?{ids}": self.below_the_fold(home),
            }
        )
        url = ORIGIN_PLACEHOLDER + path
        residence = _schema_residence(home, url)
        residence["numberOfRooms"] = home.beds
        residence["floorSize"] = {
            "@type": "QuantitativeValue",
            "value": home.sqft,
            "unitCode": "FTK",
        }
        described = [
            residence,
            {
                "@context": "http://schema.org",
                "@type": ["Product", "RealEstateListing"],
                "name": home.address,
                "url": url,
                "description": home.summary,
                "datePosted": f"{home.listed_on.isoformat()}T09:00:00-07:00",
                "offers": {"@type": "Offer", "price": home.price, "priceCurrency": "USD"},
            },
        ]
        head = f'<script type="application/ld+json">{_script_json(described)}</script>'
        body = (
            '<div class="detailsContent"><div class="HomeInfoV2">'
            f'<div data-rf-test-id="abp-streetLine">{escape(home.street)}</div>'
            f'<div class="price" data-rf-test-id="abp-price"><div class="statsValue">'
            f"${home.price:,}</div></div></div>"
            f'<div id="marketing-remarks-scroll"><p><span>{escape(home.description)}</span>'
            "</p></div></div>"
        )
        title = f"{home.address} | MLS# {home.mls_id} | Redfin"
        return Route(self.page(title, url, head, body, state, "HomeDetailsPage").encode())

    def above_the_fold(self, home: SiteHome) -> dict[str, Any]:
        price = {"amount": home.price, "label": "Listed at Price", "displayLevel": 1}
        return {
            "addressSectionInfo": {
                "status": self.ACTIVE,
                "priceInfo": price,
                "latestPriceInfo": price,
                "sqFt": {"displayLevel": 1, "value": home.sqft},
                "pricePerSqFt": home.price // home.sqft,
                "streetAddress": {
                    "streetNumber": str(home.number),
                    "directionalPrefix": home.direction,
                    "streetName": home.street_name,
                    "streetType": home.street_type,
                    "directionalSuffix": "",
                    "unitType": "",
                    "unitValue": "",
                    "assembledAddress": home.street,
                    "fullText": home.street,
                },
                "beds": home.beds,
                "baths": home.bathrooms,
                "numFullBaths": home.baths_full,
                "numPartialBaths": home.baths_half,
                "yearBuilt": home.year_built,
                "city": home.city,
                "state": home.state,
                "zip": home.zip_code,
                "countryCode": "US",
                "lotSize": home.lot_sqft,
                "cumulativeDaysOnMarket": home.days_on_market,
                "searchStatus": 1,
                "propertyType": self.PROPERTY_TYPES[home.home_type],
                "listingType": 1,
                "isMappable": True,
                "url": self.home_path(home),
            },
            "mediaBrowserInfo": {
                "photos": [
                    {
                        "photoUrls": {
                            "nonFullScreenPhotoUrl": self.photo(home, name, "mbpaddedwide"),
                            "fullScreenPhotoUrl": self.photo(home, name, "bigphoto"),
                        },
                        "displayLevel": 1,
                        "fileName": f"{name}.jpg",
                    }
                    for name in home.photo_names()
                ],
                "isHot": False,
                "altTextForImage": home.street,
            },
        }

    def house(self, home: SiteHome) -> dict[str, Any]:
        return {
            "listingId": home.home_id + 90_000_000,
            "listingAgents": [
                {
                    "agentInfo": {"agentName": home.agent, "isRedfinAgent": False},
                    "brokerName": home.broker,
                    "agentPhoneNumber": {"phoneNumber": home.phone, "displayLevel": 1},
                }
            ],
            "marketingRemarks": [{"marketingRemark": home.description, "displayLevel": 1}],
            "searchStatus": 1,
            "mlsStatusDisplay": self.ACTIVE,
            "hoaDues": {"amount": home.hoa_fee, "frequency": "Monthly"} if home.hoa_fee else None,
            "propertyAddress": {
                "streetNumber": str(home.number),
                "streetName": home.street_name,
                "streetType": home.street_type,
                "city": home.city,
                "stateOrProvinceCode": home.state,
                "postalCode": home.zip_code,
                "countryCode": "US",
            },
        }

    def below_the_fold(self, home: SiteHome) -> dict[str, Any]:
        history = [
            (home.price_cut_on, home.price, "Price Changed"),
            (home.listed_on, home.list_price, "Listed"),
        ]
        taxes = {
            "taxableLandValue": home.land_value,
            "taxableImprovementValue": home.improvement_value,
            "rollYear": SITE_DAY.year - 1,
            "taxesDue": home.annual_tax,
        }
        return {
            "publicRecordsInfo": {
                "basicInfo": {
                    "beds": home.beds,
                    "baths": home.bathrooms,
                    "propertyTypeName": self.TYPE_NAMES[home.home_type],
                    "numStories": home.stories,
                    "yearBuilt": home.year_built,
                    "yearRenovated": home.year_built,
                    "sqFtFinished": home.sqft,
                    "totalSqFt": home.sqft,
                    "lotSqFt": home.lot_sqft,
                },
                "taxInfo": taxes,
                "allTaxInfo": [taxes],
            },
            "propertyHistoryInfo": {
                "hasPropertyHistory": True,
                "events": [
                    {
                        "price": price,
                        "eventDescription": event,
                        "mlsDescription": event,
                        "source": "IMLS",
                        "sourceId": home.mls_id,
                        "historyEventType": 1,
                        "eventDate": _epoch_ms(day),
                    }
                    for day, price, event in history
                ],
            },
        }

    def page(
        self, title: str, canonical: str, head: str, body: str, state: dict[str, Any], route: str
    ) -> str:
        config = {"isDesktop": True, "siteUrl": ORIGIN_PLACEHOLDER, "cdnUrl": self.CDN}
        return (
            '<!DOCTYPE html>\n<html lang="en" class="no-js"><head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n"
            f'<link rel="canonical" href="{canonical}">\n{head}\n</head>\n'
            f'<body class="route-{route} font-body">\n'
            f'<div id="content" data-react-server-container="0">\n{body}\n</div>\n'
            "<script>_tLAB.wait(function(){\n(function (root) {\n/* -- Data -- */\n"
            "root.__reactServerState || (root.__reactServerState = {});\n"
            f"root.__reactServerState.InitialContext = {_script_json(state)};\n"
            f"root.__reactServerState.Config = {_script_json(config)};\n"
            "})(this);\n});</script>\n</body></html>"
        )


class RealtorLayout(SiteLayout):
    """Realtor.com: search `/realestateandhomes-search/<ZIP or City_ST>`, next pages
    `.../pg-<n>`, homes `/realestateandhomes-detail/<permalink>`; the data in
    `__NEXT_DATA__` (`searchResults.home_search` on search pages, `initialReduxState
    .propertyDetails` on detail pages), every link absolute on the site's origin."""

    TYPES = {
        "single_family": ("single_family", None),
        "townhouse": ("townhomes", "townhouse"),
        "condo": ("condos", "condo"),
    }
    BUILD_ID = "rdc-srp-4b8e1a07"
    MLS = ("GSMLS", "Gem State Multiple Listing Service")

    def search_path(self, market: Market, number: int) -> str:
        first = f"/realestateandhomes-search/{self.slug_id(market)}"
        return first if number == 1 else f"{first}/pg-{number}"

    def slug_id(self, market: Market) -> str:
        return market.zip_code or f"{_dashed(market.city)}_{market.state}"

    def permalink(self, home: SiteHome) -> str:
        digits = str(home.home_id)
        place = f"{_dashed(home.street)}_{_dashed(home.city)}_{home.state}_{home.zip_code}"
        return f"{place}_M{digits[:5]}-{digits[5:]}"

    def home_path(self, home: SiteHome) -> str:
        return f"/realestateandhomes-detail/{self.permalink(home)}"

    def photo(self, name: str) -> str:
        return f"{ORIGIN_PLACEHOLDER}/rdcpix/{name}l-m{int(name, 16) % 10**9}s.jpg"

    def search_page(self, market: Market, number: int) -> Route:
        pages = market.pages()
        homes = pages[number - 1]
        home_search = {
            "__typename": "HomeSearchResults",
            "count": len(homes),
            "total": len(market.homes),
            "search_title": f"{market.location} real estate",
            "results": [self.result(home) for home in homes],
        }
        place = market.homes[0]
        page_props = {
            "deviceType": "desktop",
            "geo": {
                "slug_id": self.slug_id(market),
                "city": market.city,
                "state_code": market.state,
                "postal_code": market.zip_code,
                "area_type": "postal_code" if market.zip_code else "city",
                "geo_id": f"{market.region_id:08x}-5c1e-4a7b-9d20-{market.region_id:012x}",
                "centroid": {"lat": place.latitude, "lon": place.longitude},
            },
            "searchResults": {"home_search": home_search},
        }
        slug = [self.slug_id(market)] + ([f"pg-{number}"] if number > 1 else [])
        next_data = _next_data(
            page_props, "/realestateandhomes-search/[...slug]", {"slug": slug}, self.BUILD_ID
        )
        title = f"{market.location} Real Estate & Homes for Sale | realtor.com®"
        head = ""
        if number < len(pages):
            next_url = ORIGIN_PLACEHOLDER + self.search_path(market, number + 1)
            head = f'<link rel="next" href="{next_url}"/>'
        body = (
            f'<main><h1 data-testid="search-title">{escape(market.location)} homes for sale</h1>'
            f'<div data-testid="total-results">{len(market.homes)}</div>'
            '<ul data-testid="property-list"></ul></main>'
        )
        canonical = ORIGIN_PLACEHOLDER + self.search_path(market, number)
        return Route(self.page(title, canonical, head, body, next_data).encode())

    def result(self, home: SiteHome) -> dict[str, Any]:
        """A search result: the home's listing without its remarks, history or taxes."""
        kind, sub_kind = self.TYPES[home.home_type]
        photos = [{"href": self.photo(name)} for name in home.photo_names()]
        return {
            "property_id": str(home.home_id),
            "listing_id": str(home.home_id + 1_500_000_000),
            "plan_id": None,
            "status": "for_sale",
            "photo_count": len(photos),
            "branding": [{"type": "Office", "name": home.broker, "photo": None}],
            "location": {
                "address": {
                    "line": home.street,
                    "street_number": str(home.number),
                    "street_direction": home.direction or None,
                    "street_name": home.street_name,
                    "street_suffix": home.street_type,
                    "unit": None,
                    "postal_code": home.zip_code,
                    "state_code": home.state,
                    "city": home.city,
                    "coordinate": {"lat": home.latitude, "lon": home.longitude},
                },
                "county": {"name": "Ada", "fips_code": "16001"},
                "neighborhoods": None,
            },
            "open_houses": None,
            "description": {
                "beds": home.beds,
                "baths": home.baths_full + home.baths_half,
                "baths_consolidated": f"{home.bathrooms:g}",
                "baths_full": home.baths_full,
                "baths_half": home.baths_half or None,
                "garage": None if home.home_type == "condo" else 2,
                "stories": home.stories,
                "type": kind,
                "sub_type": sub_kind,
                "lot_sqft": home.lot_sqft,
                "sqft": home.sqft,
                "year_built": home.year_built,
                "sold_price": None,
                "sold_date": None,
                "name": None,
            },
            "flags": {
                "is_coming_soon": None,
                "is_pending": None,
                "is_foreclosure": None,
                "is_contingent": None,
                "is_new_listing": home.days_on_market < 14,
                "is_price_reduced": True,
            },
            "source": {"id": self.MLS[0], "listing_id": home.mls_id, "type": "mls"},
            "primary_photo": photos[0],
            "href": ORIGIN_PLACEHOLDER + self.home_path(home),
            "list_price": home.price,
            "list_price_min": None,
            "list_price_max": None,
            "price_reduced_amount": home.list_price - home.price,
            "list_date": f"{home.listed_on.isoformat()}T16:20:00.000000Z",
            "last_update_date": f"{home.price_cut_on.isoformat()}T09:12:44Z",
            "hoa": {"fee": home.hoa_fee} if home.hoa_fee else None,
            "photos": photos,
            "permalink": self.permalink(home),
        }

    def home_page(self, home: SiteHome) -> Route:
        details = self.result(home)
        details["description"]["text"] = home.description
        details["advertisers"] = [
            {
                "type": "seller",
                "name": home.agent,
                "phones": [{"number": home.phone, "type": "Mobile", "primary": True}],
                "office": {"name": home.broker},
                "broker": {"name": home.broker},
            }
        ]
        details["days_on_market"] = home.days_on_market
        details["property_history"] = [
            {
                "date": day.isoformat(),
                "event_name": event,
                "price": price,
                "source_listing_id": home.mls_id,
                "source_name": self.MLS[1],
                "listing": {"list_price": price, "status": "for_sale"},
            }
            for day, price, event in (
                (home.price_cut_on, home.price, "Price Changed"),
                (home.listed_on, home.list_price, "Listed"),
            )
        ]
        details["tax_history"] = [
            {
                "year": SITE_DAY.year - 1,
                "tax": home.annual_tax,
                "assessment": {
                    "building": home.improvement_value,
                    "land": home.land_value,
                    "total": home.tax_assessed_value,
                },
                "market": None,
            }
        ]
        page_props = {
            "deviceType": "desktop",
            "initialReduxState": {
                "propertyDetails": details,
                "searchResults": {},
                "user": {"isLoggedIn": False},
            },
            "ldpSlug": self.permalink(home),
        }
        next_data = _next_data(
            page_props,
            "/realestateandhomes-detail/[slug]",
            {"slug": self.permalink(home)},
            self.BUILD_ID,
        )
        title = f"{home.address} - realtor.com®"
        canonical = ORIGIN_PLACEHOLDER + self.home_path(home)
        return Route(self.page(title, canonical, "", '<div id="__next"></div>', next_data).encode())

    def page(
        self, title: str, canonical: str, head: str, body: str, next_data: dict[str, Any]
    ) -> str:
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f'<title>{escape(title)}</title><link rel="canonical" href="{canonical}"/>{head}'
            f"</head><body>{body}"
            '<script id="__NEXT_DATA__" type="application/json">'
            f"{_script_json(next_data)}</script></body></html>"
        )


LAYOUTS: dict[str, SiteLayout] = {
    "zillow": ZillowLayout(),
    "redfin": RedfinLayout(),
    "realtor": RealtorLayout(),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.scraper_sites", description=__doc__)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--prefix", default="GEN")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    site = FixtureSite(jsonld_site(args.count, args.prefix), args.host, args.port)
    print(
        json.dumps({"origin": site.origin, "routes": len(site.routes)}),
        flush=True,
    )
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.server_close()


if __name__ == "__main__":
    main()
