"""Off-market public-record feeds (`discovery_offmarket`): the source `feed:<name>` reads
the configured feed `<name>` (`services/scraper/feeds.py`) from its URL, with the
feed's request headers (a Socrata app token), and follows a Socrata dataset's next pages
(`$offset`) while pages come back full. Every record is a listing of the feed page itself;
reading them is `parsers/feeds.py`'s.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any, ClassVar

from scrapy.http import Response

from services.scraper.feeds import feed_by_name
from services.scraper.parsers import feeds
from services.scraper.parsers.page import ParsedPage
from services.scraper.sources import FEED_SOURCE_PREFIX
from services.scraper.spiders.base import ListingSpider


class FeedSpider(ListingSpider):
    name = "feed"
    parser: ClassVar[ModuleType] = feeds

    def __init__(self, source: str, start_urls: list[str], **kwargs: Any) -> None:
        super().__init__(source, start_urls, **kwargs)
        self.feed = feed_by_name(source.removeprefix(FEED_SOURCE_PREFIX))
        self.request_headers = self.feed.request_headers(os.environ)

    def parse_page(self, response: Response) -> ParsedPage:
        return feeds.parse(response.text, response.url, self.feed)
