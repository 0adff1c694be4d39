"""The demo market: derived from real King County sales, deterministic, clearly labelled."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError

import pytest

from services.scraper.demo_market import (
    MARKET_LABEL,
    MarketDataMissing,
    build_market,
    load_sales,
    load_zip_cities,
)
from services.scraper.demo_pages import PAGE_SIZE, index_page_count, site_pages
from services.scraper.demo_site import DemoSiteServer
from shared.settings import REPO_ROOT, Settings

DATA_DIR = Settings().data_dir


@pytest.fixture(scope="module")
def sales():
    return load_sales(DATA_DIR)


@pytest.fixture(scope="module")
def zip_cities():
    return load_zip_cities(DATA_DIR)


def test_same_seed_and_count_give_byte_identical_pages(sales, zip_cities) -> None:
    first = site_pages(build_market(sales, zip_cities, count=60, seed=7))
    second = site_pages(build_market(load_sales(DATA_DIR), zip_cities, count=60, seed=7))

    assert first == second
    assert len(first) == 1 + 3 + 60


def test_another_seed_gives_another_market(sales, zip_cities) -> None:
    seven = build_market(sales, zip_cities, count=20, seed=7)
    eight = build_market(sales, zip_cities, count=20, seed=8)

    assert [item.price for item in seven.listings] != [item.price for item in eight.listings]


def test_listings_carry_the_facts_of_real_king_county_sales(sales, zip_cities) -> None:
    with (DATA_DIR / "kc_house_data.csv").open(newline="") as file:
        real = {
            (round(float(r["price"])), r["zipcode"], float(r["lat"]), float(r["long"])): r
            for r in csv.DictReader(file)
        }

    market = build_market(sales, zip_cities, count=50, seed=3)

    for listing in market.listings:
        row = real[(listing.price, listing.zip_code, listing.latitude, listing.longitude)]
        assert listing.bedrooms == int(row["bedrooms"])
        assert listing.bathrooms == float(row["bathrooms"])
        assert listing.sqft_living == int(row["sqft_living"])
        assert listing.sqft_lot == int(row["sqft_lot"])
        assert listing.year_built == int(row["yr_built"])
        assert listing.city == zip_cities[listing.zip_code]
        assert listing.state == "WA"
        assert listing.property_type in {"single_family", "condo", "townhouse"}


def test_listing_ids_are_numbered_under_the_prefix(sales, zip_cities) -> None:
    market = build_market(sales, zip_cities, count=3, seed=1, id_prefix="DMT1")

    assert [item.listing_id for item in market.listings] == [
        "DMT1-000001",
        "DMT1-000002",
        "DMT1-000003",
    ]


def test_every_page_says_the_market_is_fictional(sales, zip_cities) -> None:
    pages = site_pages(build_market(sales, zip_cities, count=25, seed=7))

    html_pages = {path: body for path, body in pages.items() if path != "/robots.txt"}
    assert all(MARKET_LABEL.encode() in body for body in html_pages.values())


def test_index_pages_hold_twenty_listings_each(sales, zip_cities) -> None:
    market = build_market(sales, zip_cities, count=41, seed=7)

    assert PAGE_SIZE == 20
    assert index_page_count(market) == 3


def test_more_listings_than_sales_is_refused(sales, zip_cities) -> None:
    with pytest.raises(ValueError, match="count must be between 1 and"):
        build_market(sales, zip_cities, count=len(sales) + 1, seed=7)


def test_absent_data_file_is_reported_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(MarketDataMissing, match="REOS_DATA_DIR"):
        load_sales(tmp_path)


def test_demo_site_without_data_exits_with_one_line_naming_reos_data_dir(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.scraper.demo_site", "--port", "0"],
        cwd=REPO_ROOT,
        env={**os.environ, "REOS_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "REOS_DATA_DIR" in lines[0]
    assert "kc_house_data.csv" in lines[0]


@pytest.fixture(scope="module")
def served_site(sales, zip_cities) -> Iterator[str]:
    market = build_market(sales, zip_cities, count=25, seed=7)
    server = DemoSiteServer(("127.0.0.1", 0), site_pages(market))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_site_serves_robots_index_detail_and_health(served_site: str) -> None:
    status, kind, robots = fetch(served_site + "/robots.txt")
    assert (status, kind) == (200, "text/plain; charset=utf-8")
    assert b"Disallow: /agents/" in robots

    assert fetch(served_site + "/listings")[2] == fetch(served_site + "/listings?page=1")[2]
    status, kind, detail = fetch(served_site + "/listing/DM-000025")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'"identifier":"DM-000025"' in detail

    status, _, health = fetch(served_site + "/healthz")
    assert (status, json.loads(health)) == (200, {"status": "ok", "listings": 25})


@pytest.mark.parametrize("path", ["/listing/DM-000026", "/listings?page=3", "/listings?page=x"])
def test_site_answers_404_for_what_it_does_not_have(served_site: str, path: str) -> None:
    assert fetch(served_site + path)[0] == 404
