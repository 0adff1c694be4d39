"""Clients of the US Census Bureau's public APIs: the Geocoder and ACS 5-year estimates.

Geocoder (geocoding.geo.census.gov/geocoder, "Geocoding Services API"):
- one address: `GET geographies/onelineaddress?address=..&benchmark=..&vintage=..&format=json`
  answers `{"result": {"addressMatches": [{"matchedAddress", "coordinates": {"x": lon,
  "y": lat}, "geographies": {"Census Tracts": [{"GEOID", "STATE", "COUNTY", "TRACT"}],
  "Counties": [{"GEOID", "NAME"}]}}]}}`;
- many: `POST geographies/addressbatch` with the form fields `benchmark`, `vintage` and the
  file `addressFile` (CSV lines `id,street,city,state,zip`, up to 10,000) answers CSV lines
  `id,input,Match|No_Match|Tie,Exact|Non_Exact,matched address,"lon,lat",TIGER line id,
  side,state,county,tract,block`, in no particular order.
The Census locates an address by interpolating along the TIGER street segment's address
range, so a match's precision is `interpolated`, never rooftop.

ACS 5-year detailed tables (api.census.gov/data): `GET <year>/acs/acs5?get=NAME,<variables>`
with `for=zip code tabulation area:<zcta>,<zcta>` (ZCTAs), or with
`for=tract:<tract>,<tract>&in=state:<ss>&in=county:<ccc>` (census tracts of one county),
answers a JSON array of rows whose first row names the columns, the geography's own
columns last (`zip code tabulation area`; `state`, `county`, `tract`); a value the Census
cannot give is a negative annotation code (-666666666, ...). A query nothing matches is
answered `204 No Content`.

Both clients retry timeouts, connection errors, 429 and 5xx answers with backoff, and a
circuit breaker stops calling an API that keeps failing until it has had time to recover:
then `CensusUnavailable` is raised at once and the caller falls back.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BATCH_LIMIT = 10_000
ACS_VARIABLES = {
    "B19013_001E": "median_household_income",
    "B25077_001E": "median_home_value",
    "B25064_001E": "median_gross_rent",
    "B01003_001E": "population",
    "B25002_001E": "housing_units",
    "B25002_003E": "vacant_units",
    "B25003_001E": "occupied_units",
    "B25003_002E": "owner_occupied_units",
}
ZCTA_GEOGRAPHY = "zip code tabulation area"
TRACTS_PER_REQUEST = 50


class CensusUnavailable(Exception):
    """The API did not answer usefully (timeouts, errors, or its circuit is open)."""


class CircuitBreaker:
    """Closed while calls succeed; open after `failures` failures in a row, refusing calls
    for `reset_seconds`; then one trial call (half-open) closes or reopens it."""

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failed_in_a_row = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.reset_seconds else "open"

    def allows(self) -> bool:
        return self.state != "open"

    def succeeded(self) -> None:
        self.failed_in_a_row = 0
        self.opened_at = None

    def failed(self) -> None:
        self.failed_in_a_row += 1
        if self.failed_in_a_row >= self.failures or self.opened_at is not None:
            self.opened_at = self.clock()


class CensusHttp:
    """GET/POST with timeouts, retries with backoff and a circuit breaker."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        breaker: CircuitBreaker,
        retries: int,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.client = client
        self.breaker = breaker
        self.retries = retries
        self.backoff_seconds = backoff_seconds

    async def request(self, method: str, url: str, timeout: float, **kwargs: Any) -> httpx.Response:
        if not self.breaker.allows():
            raise CensusUnavailable(f"circuit open for {url}")
        error: str = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                response = await self.client.request(method, url, timeout=timeout, **kwargs)
            except httpx.TransportError as failure:
                error = repr(failure)
                continue
            if response.status_code in RETRY_STATUSES:
                error = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                self.breaker.failed()
                raise CensusUnavailable(f"{url}: HTTP {response.status_code}")
            self.breaker.succeeded()
            return response
        self.breaker.failed()
        raise CensusUnavailable(f"{url}: {error} after {self.retries + 1} tries")


@dataclass(frozen=True)
class AddressQuery:
    """One address to locate, in the parts the batch file takes."""

    id: str
    street: str
    city: str | None
    state: str | None
    zip_code: str | None

    @property
    def one_line(self) -> str:
        place = " ".join(part for part in (self.state, self.zip_code) if part)
        return ", ".join(part for part in (self.street, self.city, place) if part)


@dataclass(frozen=True)
class GeocodeMatch:
    """Where the Census Geocoder put an address."""

    latitude: float
    longitude: float
    matched_address: str
    exact: bool
    county_fips: str | None
    tract: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "matched_address": self.matched_address,
            "exact": self.exact,
            "county_fips": self.county_fips,
            "tract": self.tract,
        }


def match_from_single(body: dict[str, Any]) -> GeocodeMatch | None:
    """The first match of a `geographies/onelineaddress` JSON answer."""
    matches = body.get("result", {}).get("addressMatches") or []
    if not matches:
        return None
    match = matches[0]
    geographies = match.get("geographies") or {}
    tracts = geographies.get("Census Tracts") or []
    counties = geographies.get("Counties") or []
    return GeocodeMatch(
        latitude=float(match["coordinates"]["y"]),
        longitude=float(match["coordinates"]["x"]),
        matched_address=match.get("matchedAddress", ""),
        exact=True,
        county_fips=counties[0]["GEOID"] if counties else None,
        tract=tracts[0]["GEOID"] if tracts else None,
    )


def matches_from_batch(text: str) -> dict[str, GeocodeMatch | None]:
    """Every line of an `addressbatch` CSV answer, by id (None: No_Match or Tie)."""
    found: dict[str, GeocodeMatch | None] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 3:
            continue
        if row[2] != "Match" or len(row) < 6:
            found[row[0]] = None
            continue
        longitude, latitude = (float(part) for part in row[5].split(","))
        state, county, tract = [*row[8:11], "", "", ""][:3]
        found[row[0]] = GeocodeMatch(
            latitude=latitude,
            longitude=longitude,
            matched_address=row[4],
            exact=row[3] == "Exact",
            county_fips=f"{state}{county}" if state and county else None,
            tract=f"{state}{county}{tract}" if state and county and tract else None,
        )
    return found


def batch_file(queries: Iterable[AddressQuery]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for query in queries:
        writer.writerow(
            [query.id, query.street, query.city or "", query.state or "", query.zip_code or ""]
        )
    return out.getvalue().encode()


class CensusGeocoder:
    """Locates addresses: one by the single endpoint, several by the batch endpoint."""

    def __init__(
        self,
        http: CensusHttp,
        base_url: str,
        benchmark: str,
        vintage: str,
        timeout: float,
        batch_timeout: float,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.benchmark = benchmark
        self.vintage = vintage
        self.timeout = timeout
        self.batch_timeout = batch_timeout

    async def locate(self, queries: list[AddressQuery]) -> dict[str, GeocodeMatch | None]:
        """Each query's match (None when the Census has none); raises `CensusUnavailable`."""
        if len(queries) == 1:
            return {queries[0].id: await self.locate_one(queries[0])}
        found: dict[str, GeocodeMatch | None] = {}
        for start in range(0, len(queries), BATCH_LIMIT):
            chunk = queries[start : start + BATCH_LIMIT]
            response = await self.http.request(
                "POST",
                f"{self.base_url}/geographies/addressbatch",
                self.batch_timeout,
                data={"benchmark": self.benchmark, "vintage": self.vintage},
                files={"addressFile": ("addresses.csv", batch_file(chunk), "text/csv")},
            )
            try:
                answered = matches_from_batch(response.text)
            except ValueError as error:
                raise CensusUnavailable(f"unreadable batch answer: {error!r}") from error
            found.update({query.id: answered.get(query.id) for query in chunk})
        return found

    async def locate_one(self, query: AddressQuery) -> GeocodeMatch | None:
        response = await self.http.request(
            "GET",
            f"{self.base_url}/geographies/onelineaddress",
            self.timeout,
            params={
                "address": query.one_line,
                "benchmark": self.benchmark,
                "vintage": self.vintage,
                "layers": "Counties,Census Tracts",
                "format": "json",
            },
        )
        try:
            return match_from_single(response.json())
        except (ValueError, KeyError, TypeError) as error:
            raise CensusUnavailable(f"unreadable geocoder answer: {error!r}") from error


def _estimate(text: str | None) -> float | None:
    """A published estimate; None for the negative annotation codes and blanks."""
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


def _percent(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100.0 * part / whole, 2)


def _geography(header: list[str]) -> tuple[str, Callable[[list[str]], str]]:
    """The level of an ACS answer and how to read each row's code (ZCTA, tract GEOID)."""
    index = {name: position for position, name in enumerate(header)}
    if ZCTA_GEOGRAPHY in index:
        return "zcta", lambda row: row[index[ZCTA_GEOGRAPHY]]
    state, county, tract = index["state"], index["county"], index["tract"]
    return "tract", lambda row: row[state] + row[county] + row[tract]


def demographics_from_acs(rows: list[list[str]], year: int) -> dict[str, dict[str, Any]]:
    """The figures of each ZCTA or tract (by its 11-digit GEOID) in an ACS JSON answer."""
    header, *data = rows
    index = {name: position for position, name in enumerate(header)}
    level, code_of = _geography(header)
    found: dict[str, dict[str, Any]] = {}
    for row in data:
        values = {
            name: _estimate(row[index[variable]])
            for variable, name in ACS_VARIABLES.items()
            if variable in index
        }
        code = code_of(row)
        found[code] = {
            "median_household_income": values.get("median_household_income"),
            "median_home_value": values.get("median_home_value"),
            "median_gross_rent": values.get("median_gross_rent"),
            "population": values.get("population"),
            "vacancy_rate_percent": _percent(
                values.get("vacant_units"), values.get("housing_units")
            ),
            "owner_occupied_percent": _percent(
                values.get("owner_occupied_units"), values.get("occupied_units")
            ),
            "source": f"census_acs5_{year}",
            "geography": level,
            "geoid": code,
        }
    return found


def tract_requests(geoids: Iterable[str]) -> list[tuple[str, str, list[str]]]:
    """Tract GEOIDs (state 2 + county 3 + tract 6 digits) as the requests that ask for them:
    (state, county, tracts), one county per request, at most `TRACTS_PER_REQUEST` each."""
    by_county: dict[tuple[str, str], list[str]] = {}
    for geoid in sorted(set(geoids)):
        if len(geoid) == 11 and geoid.isdigit():
            by_county.setdefault((geoid[:2], geoid[2:5]), []).append(geoid[5:])
    return [
        (state, county, tracts[start : start + TRACTS_PER_REQUEST])
        for (state, county), tracts in by_county.items()
        for start in range(0, len(tracts), TRACTS_PER_REQUEST)
    ]


class CensusAcs:
    """ACS 5-year figures by ZCTA or by census tract, many of them per request."""

    def __init__(
        self, http: CensusHttp, base_url: str, year: int, api_key: str | None, timeout: float
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.year = year
        self.api_key = api_key
        self.timeout = timeout

    async def zctas(self, zctas: list[str]) -> dict[str, dict[str, Any] | None]:
        """Each ZCTA's figures (None: the Census has none); raises `CensusUnavailable`."""
        found = await self._ask([("for", f"{ZCTA_GEOGRAPHY}:{','.join(sorted(zctas))}")])
        return {code: found.get(code) for code in zctas}

    async def tracts(
        self, state: str, county: str, tracts: list[str]
    ) -> dict[str, dict[str, Any] | None]:
        """The figures of some tracts of one county, by GEOID (None: the Census has none);
        raises `CensusUnavailable`."""
        found = await self._ask(
            [
                ("for", f"tract:{','.join(sorted(tracts))}"),
                ("in", f"state:{state}"),
                ("in", f"county:{county}"),
            ]
        )
        geoids = [state + county + tract for tract in tracts]
        return {geoid: found.get(geoid) for geoid in geoids}

    async def _ask(self, geography: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        params = [("get", ",".join(["NAME", *ACS_VARIABLES])), *geography]
        if self.api_key:
            params.append(("key", self.api_key))
        response = await self.http.request(
            "GET", f"{self.base_url}/{self.year}/acs/acs5", self.timeout, params=params
        )
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return demographics_from_acs(response.json(), self.year)
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise CensusUnavailable(f"unreadable ACS answer: {error!r}") from error
