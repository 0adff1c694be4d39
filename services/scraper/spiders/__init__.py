"""Scrapy spiders: each follows one kind of site and yields `ScrapedListing` items.

`SPIDERS` names every spider a `CrawlSpec` may ask for.
"""

from __future__ import annotations

from scrapy.spiders import Spider

from services.scraper.spiders.jsonld import JsonLdListingSpider

SPIDERS: dict[str, type[Spider]] = {JsonLdListingSpider.name: JsonLdListingSpider}
