"""The site spiders on saved pages: what they follow, what they yield, what they count;
and where a crawl of each source starts."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from services.scraper.config import ScraperConfig
from services.scraper.listing import ScrapedListing
from services.scraper.sources import CrawlRejected, known_sources, place, plan_crawl
from services.scraper.spiders import SPIDERS
from services.scraper.spiders.base import ListingSpider
from services.scraper.spiders.redfin import region_search_path
from shared.events import ListingFilters, ScrapeRequested
from shared.settings import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "scraper"
FEEDS_EXAMPLE = REPO_ROOT / "deploy" / "feeds.example.yaml"
REALTOR = "https://www.realtor.com"
REDFIN = "https://www.redfin.com"
REALTOR_SEARCH = f"{REALTOR}/realestateandhomes-search/Springfield_IL"
REDFIN_SEARCH_API = f"{REDFIN}/stingray/api/gis?al=1&region_id=11093&region_type=6&v=8"


def spider(name: str, start_urls: list[str], **arguments: Any) -> ListingSpider:
    spider_class = SPIDERS[name]
    crawler = get_crawler(spider_class)
    arguments.setdefault("source", name)
    made = spider_class.from_crawler(crawler, start_urls=start_urls, **arguments)
    assert isinstance(made, ListingSpider)
    return made


def response(url: str, body: bytes, *, listing: bool = False, kind: type = HtmlResponse) -> Any:
    request = scrapy.Request(url, meta={"listing": listing})
    return kind(url=url, body=body, encoding="utf-8", request=request)


def fixture(site: str, name: str) -> bytes:
    return (FIXTURES / site / name).read_bytes()


def start(crawl: ListingSpider) -> list[scrapy.Request]:
    async def collect() -> list[scrapy.Request]:
        return [request async for request in crawl.start()]

    return asyncio.run(collect())


def split(output: list[Any]) -> tuple[list[scrapy.Request], list[ScrapedListing]]:
    requests = [item for item in output if isinstance(item, scrapy.Request)]
    items = [item for item in output if isinstance(item, ScrapedListing)]
    assert len(requests) + len(items) == len(output)
    return requests, items


def stat(crawl: ListingSpider, name: str) -> Any:
    return crawl.crawler.stats.get_value(f"reos/{name}")


def crawl_search(crawl: ListingSpider, url: str, body: bytes) -> list[Any]:
    start(crawl)
    return list(crawl.parse(response(url, body)))


def test_search_page_leads_to_its_detail_pages_then_the_next_page() -> None:
    crawl = spider("realtor", [REALTOR_SEARCH])

    requests, items = split(
        crawl_search(crawl, REALTOR_SEARCH, fixture("realtor", "search_for_sale.html"))
    )

    details = [r for r in requests if r.meta["listing"]]
    assert len(details) == 8
    assert all(r.url.startswith(f"{REALTOR}/realestateandhomes-detail/") for r in details)
    assert [r.url for r in requests if not r.meta["listing"]] == [f"{REALTOR_SEARCH}/pg-2"]
    assert items == []  # each result's detail page is requested and will give it


def test_a_search_page_broken_result_is_counted_with_the_page_url() -> None:
    crawl = spider("realtor", [REALTOR_SEARCH])

    crawl_search(crawl, REALTOR_SEARCH, fixture("realtor", "search_for_sale.html"))

    assert stat(crawl, "items_failed") == 1
    (error,) = stat(crawl, "errors")
    assert error.startswith(f"could not read a listing at {REALTOR_SEARCH}: result 6")


def test_search_results_are_taken_from_the_search_page_when_details_are_out_of_budget() -> None:
    crawl = spider("realtor", [REALTOR_SEARCH], max_items=3)

    requests, items = split(
        crawl_search(crawl, REALTOR_SEARCH, fixture("realtor", "search_for_sale.html"))
    )

    assert len([r for r in requests if r.meta["listing"]]) == 3
    assert items == []  # the budget of three listings went to the detail pages


def test_search_results_without_a_followable_detail_page_are_yielded_from_the_page() -> None:
    other_host = "http://127.0.0.1:9/realestateandhomes-search/Springfield_IL"
    crawl = spider("realtor", [other_host])

    requests, items = split(
        crawl_search(crawl, other_host, fixture("realtor", "search_for_sale.html"))
    )

    followed = [r.url for r in requests if r.meta["listing"]]
    assert not [url for url in followed if url.startswith(REALTOR)]
    assert len(items) == 7 - len(followed)
    assert {item.source for item in items} == {"realtor"}


def test_detail_page_yields_its_listing() -> None:
    url = f"{REALTOR}/realestateandhomes-detail/some-home"
    crawl = spider("realtor", [REALTOR_SEARCH])

    output = list(crawl.parse(response(url, fixture("realtor", "detail_sold.html"), listing=True)))

    _, items = split(output)
    assert len(items) == 1
    assert items[0].listing.status == "sold"
    assert stat(crawl, "pages_crawled") == 1


def test_building_page_as_start_url_yields_every_unit() -> None:
    url = f"{REDFIN}/CO/Denver/The-Cottonwood-Flats/apartment/183300412"
    crawl = spider("redfin", [url])

    output = crawl_search(crawl, url, fixture("redfin", "building_rentals.html"))

    _, items = split(output)
    assert len(items) == 4
    assert {item.listing.status for item in items} == {"for_rent"}


def test_detail_page_without_a_listing_is_a_failed_item_naming_its_url() -> None:
    url = f"{REALTOR}/realestateandhomes-detail/gone"
    crawl = spider("realtor", [REALTOR_SEARCH])

    list(crawl.parse(response(url, b"<html><body>gone</body></html>", listing=True)))

    assert stat(crawl, "items_failed") == 1
    (error,) = stat(crawl, "errors")
    assert error.startswith(f"could not read a listing at {url}: ")


def test_listing_page_of_the_site_that_holds_no_listing_is_a_failed_item() -> None:
    url = f"{REDFIN}/CO/Denver/empty/home/1"
    crawl = spider("redfin", [REDFIN_SEARCH_API])
    empty = b'{}&&{"resultCode": 0, "payload": {"homes": []}}'

    list(crawl.parse(response(url, empty, listing=True, kind=TextResponse)))

    assert stat(crawl, "errors") == [f"no listing found at {url}"]


def test_redfin_map_search_response_leads_to_home_pages() -> None:
    crawl = spider("redfin", [REDFIN_SEARCH_API])

    output = crawl_search(crawl, REDFIN_SEARCH_API, fixture("redfin", "search_api.json"))

    requests, items = split(output)
    assert len(requests) == 8
    assert all("/home/" in r.url and r.meta["listing"] for r in requests)
    assert items == []


def test_filters_and_location_count_the_listings_they_leave_out() -> None:
    other_host = "http://127.0.0.1:9/realestateandhomes-search/Springfield_IL"
    crawl = spider(
        "realtor", [other_host], filters=ListingFilters(max_price=1), location="Springfield, IL"
    )

    requests, items = split(
        crawl_search(crawl, other_host, fixture("realtor", "search_for_sale.html"))
    )

    assert items == []
    assert stat(crawl, "items_filtered") == 7 - len([r for r in requests if r.meta["listing"]])


def lookup_answer(payload: dict[str, Any]) -> str:
    return "{}&&" + json.dumps({"resultCode": 0, "errorMessage": "Success", "payload": payload})


def test_redfin_location_lookup_names_the_exact_match_else_the_first_place() -> None:
    exact = {"exactMatch": {"id": "2_4711", "url": "/city/4711/IL/Springfield"}, "sections": []}
    rows = {"sections": [{"name": "Places", "rows": [{"url": "/city/12/IL/Lakeview"}]}]}

    assert region_search_path(lookup_answer(exact)) == "/city/4711/IL/Springfield"
    assert region_search_path(lookup_answer(rows)) == "/city/12/IL/Lakeview"
    assert region_search_path(lookup_answer({"sections": []})) is None
    assert region_search_path("{}&&{broken") is None


def test_redfin_city_search_follows_the_lookup_to_the_city_page_of_the_listing_type() -> None:
    lookup = f"{REDFIN}/stingray/do/location-autocomplete?location=Springfield%2C+IL&v=2"
    crawl = spider("redfin", [lookup], listing_type="for_rent")
    (first,) = start(crawl)
    answer = lookup_answer({"exactMatch": {"url": "/city/4711/IL/Springfield"}})

    output = list(first.callback(response(lookup, answer.encode(), kind=TextResponse)))

    assert [r.url for r in output] == [f"{REDFIN}/city/4711/IL/Springfield/apartments-for-rent"]


def test_redfin_lookup_without_a_place_is_a_failure() -> None:
    lookup = f"{REDFIN}/stingray/do/location-autocomplete?location=Nowhere%2C+ZZ&v=2"
    crawl = spider("redfin", [lookup])
    (first,) = start(crawl)

    output = list(first.callback(response(lookup, lookup_answer({}).encode(), kind=TextResponse)))

    assert output == []
    assert stat(crawl, "errors") == [f"Redfin's location lookup found no place at {lookup}"]


SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>http://site.test/listing/A-1</loc><lastmod>2024-05-01</lastmod></url>
  <url><loc>/listing/A-2</loc></url>
</urlset>"""
SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>http://site.test/sitemap-listings-1.xml.gz</loc></sitemap>
</sitemapindex>"""


def jsonld_from(url: str) -> tuple[ListingSpider, scrapy.Request]:
    crawl = spider("jsonld", [url], source="demo")
    (first,) = start(crawl)
    return crawl, first


def test_sitemap_start_url_leads_to_its_listing_pages() -> None:
    _, first = jsonld_from("http://site.test/sitemap.xml")

    output = list(
        first.callback(response(first.url, SITEMAP, kind=XmlResponse))  # type: ignore[misc]
    )

    assert [(r.url, r.meta["listing"]) for r in output] == [
        ("http://site.test/listing/A-1", True),
        ("http://site.test/listing/A-2", True),
    ]


def test_sitemap_index_leads_to_gzipped_sitemaps() -> None:
    _, first = jsonld_from("http://site.test/sitemap_index.xml")

    (nested,) = list(first.callback(response(first.url, SITEMAP_INDEX, kind=XmlResponse)))
    pages = list(nested.callback(response(nested.url, gzip.compress(SITEMAP), kind=TextResponse)))

    assert nested.url == "http://site.test/sitemap-listings-1.xml.gz"
    assert [r.url for r in pages] == [
        "http://site.test/listing/A-1",
        "http://site.test/listing/A-2",
    ]


def test_robots_txt_start_url_leads_to_the_sitemaps_it_names() -> None:
    _, first = jsonld_from("http://site.test/robots.txt")
    robots = b"User-agent: *\nDisallow: /private/\nSitemap: http://site.test/sitemap.xml\n"

    output = list(first.callback(response(first.url, robots, kind=TextResponse)))

    assert [r.url for r in output] == ["http://site.test/sitemap.xml"]


def test_a_sitemap_that_is_not_xml_is_a_failure_naming_it() -> None:
    crawl, first = jsonld_from("http://site.test/sitemap.xml")

    list(first.callback(response(first.url, b"", kind=TextResponse)))

    assert stat(crawl, "errors")[0].startswith("not a sitemap at http://site.test/sitemap.xml")


@pytest.fixture
def feeds_file(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REOS_SCRAPER_FEEDS_FILE", str(FEEDS_EXAMPLE))
    monkeypatch.setenv("REOS_SOCRATA_APP_TOKEN", "token-123")
    return FEEDS_EXAMPLE


def test_socrata_feed_yields_its_records_and_asks_for_the_next_page_with_its_token(
    feeds_file: Path,
) -> None:
    url = "https://data.lakeview.example/resource/x8vq-3kfn.json?$limit=5&$offset=0&$order=:id"
    crawl = spider("feed", [url], source="feed:lakeview-code-violations")
    (first,) = start(crawl)

    output = list(crawl.parse(response(url, fixture("feeds", "code-violations.page1.json"))))

    requests, items = split(output)
    assert first.headers.get("X-App-Token") == b"token-123"
    assert items and {item.listing.status for item in items} == {"off_market"}
    assert {item.source for item in items} == {"lakeview-code-violations"}
    assert all(item.listing.distress_signals for item in items)
    (following,) = requests
    assert "%24offset=5" in following.url or "$offset=5" in following.url
    assert following.headers.get("X-App-Token") == b"token-123"


def config() -> ScraperConfig:
    return ScraperConfig.model_validate({})


def request(**values: Any) -> ScrapeRequested:
    return ScrapeRequested.model_validate({"run_id": "run-1", **values})


@pytest.mark.parametrize(
    ("source", "location", "listing_type", "expected"),
    [
        ("zillow", "98101", "for_sale", "https://www.zillow.com/homes/for_sale/98101_rb/"),
        (
            "zillow",
            "Salt Lake City, UT",
            "for_rent",
            "https://www.zillow.com/homes/for_rent/Salt-Lake-City,-UT_rb/",
        ),
        ("zillow", "98101", "sold", "https://www.zillow.com/homes/recently_sold/98101_rb/"),
        ("redfin", "98101", "for_sale", "https://www.redfin.com/zipcode/98101"),
        (
            "redfin",
            "98101",
            "sold",
            "https://www.redfin.com/zipcode/98101/filter/include=sold-3mo",
        ),
        (
            "redfin",
            "Seattle, wa",
            "for_sale",
            "https://www.redfin.com/stingray/do/location-autocomplete?location=Seattle%2C+WA&v=2",
        ),
        (
            "realtor",
            "Seattle, WA",
            "for_sale",
            "https://www.realtor.com/realestateandhomes-search/Seattle_WA",
        ),
        (
            "realtor",
            "98101",
            "sold",
            "https://www.realtor.com/realestateandhomes-search/98101/show-recently-sold",
        ),
        ("realtor", "Seattle, WA", "for_rent", "https://www.realtor.com/apartments/Seattle_WA"),
    ],
)
def test_a_location_and_listing_type_become_the_sites_search_url(
    source: str, location: str, listing_type: str, expected: str
) -> None:
    spec = plan_crawl(
        request(source=source, location=location, listing_type=listing_type), 1, config()
    )

    assert spec.start_urls == [expected]
    assert (spec.spider, spec.location) == (source, location)


def test_site_origins_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REOS_SCRAPER_ZILLOW_URL", "http://127.0.0.1:8123/")

    spec = plan_crawl(request(source="zillow", location="98101"), 1, config())

    assert spec.start_urls == ["http://127.0.0.1:8123/homes/for_sale/98101_rb/"]


def test_start_urls_in_the_request_win_over_the_location() -> None:
    spec = plan_crawl(
        request(source="redfin", location="98101", start_urls=[REDFIN_SEARCH_API]), 1, config()
    )

    assert spec.start_urls == [REDFIN_SEARCH_API]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"source": "zillow"}, "no start URLs for source 'zillow': the request needs a location"),
        ({"source": "jsonld"}, "no start URLs for source 'jsonld': the request needs start URLs"),
        ({"source": "zillow", "location": "Seattle"}, "neither a ZIP code nor"),
        ({"source": "realtor", "location": "98101", "listing_type": "off_market"}, "no search"),
    ],
)
def test_requests_a_site_cannot_start_from_are_rejected_saying_why(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(CrawlRejected, match=message):
        plan_crawl(request(**values), 1, config())


def test_a_location_is_a_zip_code_or_a_city_and_state() -> None:
    assert place(" 98101 ").zip_code == "98101"
    assert (place("Coeur d'Alene, id").city, place("Coeur d'Alene, id").state) == (
        "Coeur d'Alene",
        "ID",
    )


def test_each_configured_feed_is_a_source_starting_at_its_first_page(feeds_file: Path) -> None:
    sources = known_sources(config())

    feed = sources["feed:lakeview-code-violations"]
    assert feed.spider == "feed"
    (url,) = feed.default_start_urls
    assert url.startswith("https://data.lakeview.example/resource/x8vq-3kfn.json?$limit=1000")
    assert {"demo", "jsonld", "zillow", "redfin", "realtor"} <= set(sources)


def test_a_feed_that_is_not_configured_is_rejected_naming_the_configured_ones(
    feeds_file: Path,
) -> None:
    with pytest.raises(CrawlRejected, match="no feed named 'nowhere'; configured feeds: lakeview"):
        plan_crawl(request(source="feed:nowhere", pipeline="discovery_offmarket"), 1, config())


def test_feeds_without_a_feeds_file_are_rejected_saying_how_to_configure_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REOS_SCRAPER_FEEDS_FILE", raising=False)

    with pytest.raises(CrawlRejected, match="set REOS_SCRAPER_FEEDS_FILE"):
        plan_crawl(request(source="feed:anything"), 1, config())
