"""Zillow: search pages (`/homes/<place>_rb/`, paginated `/2_p/`) lead to home detail
pages (`/homedetails/.../<zpid>_zpid/`) and building pages; search-page-state API bodies
are read as search pages. All reading is `parsers/zillow.py`'s."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from services.scraper.parsers import zillow
from services.scraper.spiders.base import ListingSpider


class ZillowSpider(ListingSpider):
    name = "zillow"
    parser: ClassVar[ModuleType] = zillow
