"""Scrapy spiders: each follows one kind of site and yields `ScrapedListing` items.

`SPIDERS` names every spider a `CrawlSpec` may ask for.
"""

from __future__ import annotations

from scrapy.spiders import Spider

from services.scraper.spiders.feeds import FeedSpider
from services.scraper.spiders.jsonld import JsonLdListingSpider
from services.scraper.spiders.realtor import RealtorSpider
from services.scraper.spiders.redfin import RedfinSpider
from services.scraper.spiders.zillow import ZillowSpider

SPIDERS: dict[str, type[Spider]] = {
    spider.name: spider
    for spider in (JsonLdListingSpider, ZillowSpider, RedfinSpider, RealtorSpider, FeedSpider)
}
