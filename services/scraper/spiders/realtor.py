"""Realtor.com: search pages (`/realestateandhomes-search/<City_ST or ZIP>`, rentals
`/apartments/...`, paginated `/pg-<n>`) lead to detail pages
(`/realestateandhomes-detail/<permalink>`); GraphQL search bodies are read as search
pages. All reading is `parsers/realtor.py`'s."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from services.scraper.parsers import realtor
from services.scraper.spiders.base import ListingSpider


class RealtorSpider(ListingSpider):
    name = "realtor"
    parser: ClassVar[ModuleType] = realtor
