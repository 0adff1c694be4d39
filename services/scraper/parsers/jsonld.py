"""Reading real-estate listings from schema.org JSON-LD, the way listing sites embed them.

Sites differ in shape: a `RealEstateListing` whose `mainEntity` is the home and whose
`offers` hold the price; a home typed `SingleFamilyResidence` (often also `Product`)
carrying `offers` itself; or separate nodes in an `@graph`. All are handled by looking
for the home node and the offer node anywhere in the page's JSON-LD.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from parsel import Selector

from services.scraper.listing import ListingFacts

RESIDENCE_TYPES = frozenset(
    {
        "Accommodation", "Apartment", "ApartmentComplex", "GatedResidenceCommunity", "House",
        "Residence", "SingleFamilyResidence", "Suite",
    }
)  # fmt: skip
LISTING_TYPES = frozenset({"RealEstateListing", "Product", "Offer", "AggregateOffer"})
OFFER_TYPES = frozenset({"Offer", "AggregateOffer"})
TYPE_BY_CATEGORY = {
    "singlefamilyresidence": "single_family",
    "singlefamily": "single_family",
    "condominium": "condo",
    "condo": "condo",
    "townhouse": "townhouse",
    "apartment": "apartment",
    "multifamily": "multi_family",
    "duplex": "multi_family",
    "manufacturedhome": "manufactured",
    "mobilehome": "manufactured",
    "land": "land",
}
TYPE_BY_SCHEMA_TYPE = {
    "SingleFamilyResidence": "single_family",
    "Apartment": "condo",
    "ApartmentComplex": "multi_family",
    "House": "single_family",
}
SQFT_PER_UNIT = {"FTK": 1.0, "SQF": 1.0, "MTK": 10.7639, "ACR": 43560.0}
LOT_SIZE_NAMES = frozenset({"lotsize", "lotarea", "lotsizearea", "lotsizesquarefeet"})
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


@dataclass(frozen=True)
class ParsedListing:
    facts: ListingFacts
    url: str | None
    jsonld: list[Any]


@dataclass(frozen=True)
class PageLinks:
    listings: list[str]
    next_pages: list[str]


@dataclass(frozen=True)
class ParsedPage:
    listing: ParsedListing | None
    links: PageLinks


def parse_page(html: str, page_url: str) -> ParsedPage:
    """The listing a page describes (None when its JSON-LD describes no home) and its links
    to listing pages (JSON-LD `ItemList` entries, `rel=bookmark` anchors) and to the next
    index page (`rel=next`), absolute and without fragments."""
    selector = Selector(text=html)
    blocks = _jsonld_blocks(selector)
    nodes = list(_nodes(blocks))
    return ParsedPage(_listing(blocks, nodes, page_url), _links(selector, nodes, page_url))


def _jsonld_blocks(selector: Selector) -> list[Any]:
    """Every JSON-LD block of the page that parses; a broken block is skipped."""
    blocks = []
    for text in selector.xpath(
        '//script[translate(@type, "JSONLDAPIC+", "jsonldapic+")="application/ld+json"]/text()'
    ):
        try:
            blocks.append(json.loads(text.get()))
        except ValueError:
            continue
    return blocks


def _listing(blocks: list[Any], nodes: list[dict[str, Any]], page_url: str) -> ParsedListing | None:
    home = next((node for node in nodes if _types(node) & RESIDENCE_TYPES), None)
    if home is None:
        return None
    listing = next(
        (node for node in nodes if _types(node) & LISTING_TYPES and _contains(node, home)), home
    )
    offer = _offer(home, listing, nodes)
    address = _first(home.get("address"), listing.get("address"))
    geo = _first(home.get("geo"), listing.get("geo")) or {}
    price, currency = _price(offer)
    facts = ListingFacts(
        listing_id=_identifier(listing) or _identifier(home),
        address=_address_part(address, "streetAddress"),
        city=_address_part(address, "addressLocality"),
        state=_address_part(address, "addressRegion"),
        zip_code=_address_part(address, "postalCode"),
        property_type=_property_type(home),
        bedrooms=_int(_value(home.get("numberOfBedrooms"))),
        bathrooms=_bathrooms(home),
        sqft=_int(_area_sqft(home.get("floorSize"))),
        lot_size=_area_sqft(_lot_size(home, listing)),
        year_built=_int(home.get("yearBuilt")),
        price=price,
        currency=currency,
        latitude=_float(geo.get("latitude") if isinstance(geo, dict) else None),
        longitude=_float(geo.get("longitude") if isinstance(geo, dict) else None),
        date_posted=_text(listing.get("datePosted")),
    )
    url = _first(listing.get("url"), home.get("url"))
    return ParsedListing(
        facts=facts,
        url=urljoin(page_url, url) if isinstance(url, str) else None,
        jsonld=blocks,
    )


def _links(selector: Selector, nodes: list[dict[str, Any]], page_url: str) -> PageLinks:
    listings = [
        url for node in nodes if "ItemList" in _types(node) for url in _item_list_urls(node)
    ]
    listings += selector.css('a[rel~="bookmark"]::attr(href)').getall()
    next_pages = selector.css('link[rel~="next"]::attr(href), a[rel~="next"]::attr(href)').getall()
    return PageLinks(_absolute(listings, page_url), _absolute(next_pages, page_url))


def _absolute(urls: list[str], base: str) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        seen.setdefault(urldefrag(urljoin(base, url.strip())).url, None)
    return list(seen)


def _item_list_urls(item_list: dict[str, Any]) -> Iterator[str]:
    for element in _as_list(item_list.get("itemListElement")):
        if isinstance(element, str):
            yield element
        elif isinstance(element, dict):
            item = element.get("item")
            url = element.get("url") or (
                (item.get("url") or item.get("@id")) if isinstance(item, dict) else item
            )
            if isinstance(url, str):
                yield url


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in the JSON-LD, depth first (blocks, `@graph`s and nested values)."""
    if isinstance(value, list):
        for element in value:
            yield from _nodes(element)
    elif isinstance(value, dict):
        yield value
        for element in value.values():
            if isinstance(element, dict | list):
                yield from _nodes(element)


def _types(node: dict[str, Any]) -> set[str]:
    return {
        kind.rsplit("/", 1)[-1] for kind in _as_list(node.get("@type")) if isinstance(kind, str)
    }


def _contains(node: dict[str, Any], target: dict[str, Any]) -> bool:
    return node is target or any(candidate is target for candidate in _nodes(list(node.values())))


def _offer(home: dict[str, Any], listing: dict[str, Any], nodes: list[dict[str, Any]]) -> Any:
    for holder in (home, listing):
        if _types(holder) & OFFER_TYPES:
            return holder
        offers = _as_list(holder.get("offers"))
        if offers:
            return offers[0]
    return next((node for node in nodes if _types(node) & OFFER_TYPES), None)


def _price(offer: Any) -> tuple[float | None, str | None]:
    if not isinstance(offer, dict):
        return None, None
    specification = _first(*_as_list(offer.get("priceSpecification")))
    specification = specification if isinstance(specification, dict) else {}
    price = _float(_first(offer.get("price"), offer.get("lowPrice"), specification.get("price")))
    currency = _text(_first(offer.get("priceCurrency"), specification.get("priceCurrency")))
    return price, currency


def _identifier(node: dict[str, Any]) -> str | None:
    for key in ("identifier", "sku", "productID", "mlsId"):
        value = _value(_first(*_as_list(node.get(key))))
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _address_part(address: Any, part: str) -> str | None:
    if isinstance(address, dict):
        value = address.get(part)
        if isinstance(value, dict):
            value = value.get("name")
        return _text(value)
    if isinstance(address, str) and part == "streetAddress":
        return _text(address.split(",")[0])
    return None


def _property_type(home: dict[str, Any]) -> str | None:
    category = _text(_first(*_as_list(home.get("accommodationCategory"))))
    if category:
        key = re.sub(r"[^a-z]", "", category.casefold())
        if key in TYPE_BY_CATEGORY:
            return TYPE_BY_CATEGORY[key]
    for schema_type, property_type in TYPE_BY_SCHEMA_TYPE.items():
        if schema_type in _types(home):
            return property_type
    return None


def _bathrooms(home: dict[str, Any]) -> float | None:
    total = _float(_value(home.get("numberOfBathroomsTotal")))
    if total is not None:
        return total
    full = _float(_value(home.get("numberOfFullBathrooms")))
    partial = _float(_value(home.get("numberOfPartialBathrooms")))
    if full is None and partial is None:
        return None
    return (full or 0.0) + 0.5 * (partial or 0.0)


def _lot_size(home: dict[str, Any], listing: dict[str, Any]) -> Any:
    for node in (home, listing):
        if "lotSize" in node:
            return node["lotSize"]
        for prop in _as_list(node.get("additionalProperty")):
            if not isinstance(prop, dict):
                continue
            name = str(prop.get("propertyID") or prop.get("name") or "")
            if re.sub(r"[^a-z]", "", name.casefold()) in LOT_SIZE_NAMES:
                return prop
    return None


def _area_sqft(value: Any) -> float | None:
    """Square feet from a number, a "1,234 sq ft" string or a QuantitativeValue."""
    unit = "FTK"
    if isinstance(value, dict):
        unit = str(value.get("unitCode") or value.get("unitText") or "FTK").upper()
        value = value.get("value")
    amount = _float(value)
    if amount is None:
        return None
    if unit in ("ACRE", "ACRES"):
        unit = "ACR"
    return round(amount * SQFT_PER_UNIT.get(unit, 1.0), 2)


def _value(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


def _first(*values: Any) -> Any:
    return next((value for value in values if value not in (None, "", [], {})), None)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = NUMBER.search(value)
        if match:
            return float(match.group().replace(",", ""))
    return None


def _int(value: Any) -> int | None:
    number = _float(value)
    return round(number) if number is not None else None
