"""The Census clients' requests and answers (against the local stand-in servers, on
loopback) and the expiring cache of their answers."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from deploy.local.census_servers import census_server
from services.enricher.cache import ExpiringCache
from services.enricher.census import (
    ACS_VARIABLES,
    CensusAcs,
    CensusHttp,
    CircuitBreaker,
    demographics_from_acs,
    tract_requests,
)


def test_a_tract_answer_is_read_by_geoid_with_its_level() -> None:
    rows = [
        ["NAME", "B19013_001E", "B25077_001E", "state", "county", "tract"],
        ["Census Tract 53.02; King County; Washington",
         "98125", "-666666666", "53", "033", "005302"],
        ["Census Tract 54; King County; Washington", "87000", "815000", "53", "033", "005400"],
    ]  # fmt: skip
    found = demographics_from_acs(rows, 2022)
    assert set(found) == {"53033005302", "53033005400"}
    first = found["53033005302"]
    assert (first["geography"], first["geoid"], first["source"]) == (
        "tract",
        "53033005302",
        "census_acs5_2022",
    )
    assert (first["median_household_income"], first["median_home_value"]) == (98125.0, None)


def test_tracts_are_asked_one_county_per_request_in_bounded_lists() -> None:
    geoids = [f"53033{n:06d}" for n in range(1, 61)] + ["53061040100", "bad", "53033000001"]
    requests = tract_requests(geoids)
    assert [(state, county, len(tracts)) for state, county, tracts in requests] == [
        ("53", "033", 50),
        ("53", "033", 10),
        ("53", "061", 1),
    ]


@pytest.fixture(scope="module")
def census():
    with census_server() as (base_url, state):
        yield base_url, state


def acs_client(base_url: str, client: httpx.AsyncClient) -> CensusAcs:
    return CensusAcs(
        CensusHttp(client, CircuitBreaker(3, 30), 0), f"{base_url}/data", 2022, None, 5
    )


async def test_the_acs_client_asks_for_tracts_in_the_apis_form_and_reads_the_answer(
    census,
) -> None:
    base_url, state = census
    async with httpx.AsyncClient() as client:
        found = await acs_client(base_url, client).tracts("53", "033", ["005302", "032321"])
    asked = urlsplit(state.requests[-1].split(" ", 1)[1])
    query = parse_qs(asked.query)
    assert asked.path == "/data/2022/acs/acs5"
    assert query["for"] == ["tract:005302,032321"]
    assert query["in"] == ["state:53", "county:033"]
    assert query["get"] == [",".join(["NAME", *ACS_VARIABLES])]
    assert set(found) == {"53033005302", "53033032321"}
    assert all(figures and figures["geography"] == "tract" for figures in found.values())


async def test_the_local_acs_server_answers_tracts_in_the_real_format(census) -> None:
    base_url, _ = census
    params = [
        ("get", "NAME,B19013_001E"),
        ("for", "tract:005302,005400"),
        ("in", "state:53"),
        ("in", "county:033"),
    ]
    async with httpx.AsyncClient() as client:
        rows = (await client.get(f"{base_url}/data/2022/acs/acs5", params=params)).json()
        unknown = await client.get(
            f"{base_url}/data/2022/acs/acs5",
            params=[("get", "NAME"), ("for", "tract:005302"), ("in", "state:53 county:999")],
        )
        no_county = await client.get(
            f"{base_url}/data/2022/acs/acs5", params={"get": "NAME", "for": "tract:005302"}
        )
    assert rows[0] == ["NAME", "B19013_001E", "state", "county", "tract"]
    assert [row[2:] for row in rows[1:]] == [["53", "033", "005302"], ["53", "033", "005400"]]
    assert rows[1][0].startswith("Census Tract 53.02;")
    assert all(isinstance(value, str) for row in rows for value in row)
    assert unknown.status_code == 204
    assert no_county.status_code == 400


async def test_zctas_the_census_does_not_know_are_answered_none(census) -> None:
    base_url, _ = census
    async with httpx.AsyncClient() as client:
        found = await acs_client(base_url, client).zctas(["98103", "00000"])
    assert found["00000"] is None
    assert found["98103"] is not None and found["98103"]["geography"] == "zcta"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_expired_answer_is_forgotten_so_it_is_asked_again() -> None:
    clock = Clock()
    cache: ExpiringCache[dict | None] = ExpiringCache(60, 10, clock)
    cache.remember("1 MAIN ST|98103", {"tract": "53033005302"})
    cache.remember("9 NOWHERE|98103", None)
    clock.now += 59
    assert cache.fresh(["1 MAIN ST|98103", "9 NOWHERE|98103"]) == {
        "1 MAIN ST|98103": {"tract": "53033005302"},
        "9 NOWHERE|98103": None,
    }
    clock.now += 2
    assert cache.fresh(["1 MAIN ST|98103", "9 NOWHERE|98103"]) == {}
    assert len(cache) == 0


def test_an_answer_loaded_with_its_age_expires_when_it_was_given_plus_the_ttl() -> None:
    clock = Clock()
    cache: ExpiringCache[str] = ExpiringCache(60, 10, clock)
    cache.remember("old", "x", age_seconds=50)
    clock.now += 11
    assert cache.fresh(["old"]) == {}


def test_the_cache_keeps_at_most_its_limit_dropping_the_least_recently_used() -> None:
    cache: ExpiringCache[int] = ExpiringCache(60, 2, Clock())
    cache.remember("a", 1)
    cache.remember("b", 2)
    cache.fresh(["a"])
    cache.remember("c", 3)
    assert cache.fresh(["a", "b", "c"]) == {"a": 1, "c": 3}
