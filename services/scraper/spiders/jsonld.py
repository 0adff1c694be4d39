"""A spider for any listing site that describes its homes in schema.org JSON-LD.

From the start URLs (index pages, listing pages, a sitemap or a `robots.txt` naming
sitemaps) it follows index pagination (`rel=next`) and listing links (`ItemList`
entries, `rel=bookmark` anchors) on the start URLs' hosts only, and yields one
`ScrapedListing` per listing page. The demo market is such a site.
"""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from scrapy.http import Response

from services.scraper.parsers import jsonld
from services.scraper.parsers.page import ParsedPage
from services.scraper.spiders.base import ListingSpider


class JsonLdListingSpider(ListingSpider):
    name = "jsonld"
    parser: ClassVar[ModuleType] = jsonld

    def parse_page(self, response: Response) -> ParsedPage:
        """JSON-LD says nothing of the source or, mostly, of the status: the request does."""
        return jsonld.parse(
            response.text, response.url, source=self.source, status=self.listing_type
        )
