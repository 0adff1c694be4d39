"""Redfin: search pages (`/zipcode/<zip>`, `/city/<id>/<ST>/<name>`, with the listing
type's path suffix) lead to home pages (`/<ST>/<City>/<street>-<zip>/home/<id>`) and
rental building pages; map-search API bodies (`/stingray/api/gis`) are read as search
results. A city search starts at Redfin's location lookup
(`/stingray/do/location-autocomplete?location=City, ST&v=2`), whose answer (JSON behind
the `{}&&` prefix) names the city's search page: its exact match, else its first place.
All page reading is `parsers/redfin.py`'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from services.scraper.crawls import STAT_PAGES
from services.scraper.parsers import redfin
from services.scraper.sources import REDFIN_LISTING_PATHS
from services.scraper.spiders.base import ListingSpider

LOCATION_LOOKUP_PATH = "/stingray/do/location-autocomplete"


def region_search_path(body: str) -> str | None:
    """The search page path a location-lookup answer names, None when it names none."""
    try:
        answer = json.loads(body.strip().removeprefix(redfin.API_PREFIX))
    except ValueError:
        return None
    payload = answer.get("payload") if isinstance(answer, dict) else None
    if not isinstance(payload, dict):
        return None
    candidates: list[Any] = [payload.get("exactMatch")]
    for section in payload.get("sections") or []:
        if isinstance(section, dict):
            candidates.extend(section.get("rows") or [])
    for candidate in candidates:
        path = candidate.get("url") if isinstance(candidate, dict) else None
        if isinstance(path, str) and path.startswith("/"):
            return path
    return None


class RedfinSpider(ListingSpider):
    name = "redfin"
    parser: ClassVar[ModuleType] = redfin

    def start_callback(self, url: str) -> Any:
        if LOCATION_LOOKUP_PATH in url:
            return self.parse_location_lookup
        return super().start_callback(url)

    def parse_location_lookup(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value(STAT_PAGES)
        path = region_search_path(response.text)
        if path is None:
            self.count_failure(f"Redfin's location lookup found no place at {response.url}")
            return
        suffix = REDFIN_LISTING_PATHS.get(self.listing_type, "")
        request = self.follow(response.urljoin(path.rstrip("/") + suffix), listing=False)
        if request is not None:
            yield request
