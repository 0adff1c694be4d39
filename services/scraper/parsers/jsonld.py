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
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from services.scraper.parsers.page import ListingCollector, ParsedPage, absolute_urls
from shared import quantities
from shared.listing import ListingStatus, property_type

RESIDENCE_TYPES = frozenset(
    {
        "Accommodation", "Apartment", "ApartmentComplex", "GatedResidenceCommunity", "House",
        "Residence", "SingleFamilyResidence", "Suite",
    }
)  # fmt: skip
LISTING_TYPES = frozenset({"RealEstateListing", "Product", "Offer", "AggregateOffer"})
OFFER_TYPES = frozenset({"Offer", "AggregateOffer"})
TYPE_BY_SCHEMA_TYPE = {
    "SingleFamilyResidence": "single_family",
    "Apartment": "condo",
    "ApartmentComplex": "multi_family",
    "House": "single_family",
}
LOT_SIZE_NAMES = frozenset({"lotsize", "lotarea", "lotsizearea", "lotsizesquarefeet"})


KIND_DETAIL = "jsonld.detail"
KIND_INDEX = "jsonld.index"
AVAILABILITY_STATUS: dict[str, ListingStatus] = {
    "soldout": "sold",
    "discontinued": "off_market",
    "outofstock": "off_market",
    "presale": "for_sale",
    "preorder": "pending",
    "instock": "for_sale",
    "onlineonly": "for_sale",
    "limitedavailability": "for_sale",
}


def detect(body: str, url: str | None = None) -> str | None:
    """`jsonld.detail` for a page whose JSON-LD describes a home, `jsonld.index` for one
    that lists homes (an `ItemList`), None otherwise."""
    if "ld+json" not in body[:2_000_000].lower():
        return None
    nodes = list(_nodes(_jsonld_blocks(Selector(text=body))))
    if any(_types(node) & RESIDENCE_TYPES for node in nodes):
        return KIND_DETAIL
    if any("ItemList" in _types(node) for node in nodes):
        return KIND_INDEX
    return None


def parse(
    body: str,
    url: str | None = None,
    *,
    source: str = "jsonld",
    status: ListingStatus = "for_sale",
) -> ParsedPage:
    """The listing a page describes (none when its JSON-LD describes no home), its links
    to listing pages (`ItemList` entries, `rel=bookmark` anchors) and to the next index
    page (`rel=next`). `status` is the listing's status unless the offer's availability
    says otherwise (`SoldOut` is sold)."""
    selector = Selector(text=body)
    blocks = _jsonld_blocks(selector)
    nodes = list(_nodes(blocks))
    collector = ListingCollector()
    home = next((node for node in nodes if _types(node) & RESIDENCE_TYPES), None)
    if home is not None:
        collector.add(
            url or "page", lambda: _listing(home, nodes, url, source=source, status=status)
        )
    detail_urls, next_pages = _links(selector, nodes, url)
    return ParsedPage(
        kind=KIND_DETAIL if home is not None else KIND_INDEX,
        listings=collector.listings,
        failures=collector.failures,
        detail_urls=detail_urls,
        next_pages=next_pages,
    )


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


def _listing(
    home: dict[str, Any],
    nodes: list[dict[str, Any]],
    page_url: str | None,
    *,
    source: str,
    status: ListingStatus,
) -> dict[str, Any]:
    listing = next(
        (node for node in nodes if _types(node) & LISTING_TYPES and _contains(node, home)), home
    )
    offer = _offer(home, listing, nodes)
    address = _first(home.get("address"), listing.get("address"))
    geo = _first(home.get("geo"), listing.get("geo")) or {}
    url = _first(listing.get("url"), home.get("url"))
    url = urljoin(page_url or "", url) if isinstance(url, str) else page_url
    identifier = _identifier(listing) or _identifier(home) or url
    return {
        "source": source,
        "source_id": identifier,
        "url": url,
        "status": _availability_status(offer) or status,
        "price": _price(offer),
        "list_date": quantities.calendar_date(listing.get("datePosted")),
        "street": _address_part(address, "streetAddress"),
        "city": _address_part(address, "addressLocality"),
        "state": _address_part(address, "addressRegion"),
        "zip_code": _address_part(address, "postalCode"),
        "latitude": quantities.number(geo.get("latitude") if isinstance(geo, dict) else None),
        "longitude": quantities.number(geo.get("longitude") if isinstance(geo, dict) else None),
        "property_type": _property_type(home),
        "bedrooms": quantities.count(_value(home.get("numberOfBedrooms"))),
        "bathrooms": quantities.bathrooms_total(
            _value(home.get("numberOfBathroomsTotal")),
            _value(home.get("numberOfFullBathrooms")),
            _value(home.get("numberOfPartialBathrooms")),
        ),
        "sqft": quantities.area_sqft(home.get("floorSize")),
        "lot_sqft": quantities.area_sqft(_lot_size(home, listing)),
        "year_built": quantities.positive_integer(home.get("yearBuilt")),
        "photos": [image for image in _images(home, listing, page_url)],
        "description": quantities.text(_first(listing.get("description"), home.get("description"))),
    }


def _links(
    selector: Selector, nodes: list[dict[str, Any]], page_url: str | None
) -> tuple[list[str], list[str]]:
    listings = [
        url for node in nodes if "ItemList" in _types(node) for url in _item_list_urls(node)
    ]
    listings += selector.css('a[rel~="bookmark"]::attr(href)').getall()
    next_pages = selector.css('link[rel~="next"]::attr(href), a[rel~="next"]::attr(href)').getall()
    return absolute_urls(listings, page_url), absolute_urls(next_pages, page_url)


def _images(home: dict[str, Any], listing: dict[str, Any], page_url: str | None) -> list[str]:
    images = []
    for image in _as_list(_first(home.get("image"), listing.get("image"))):
        if isinstance(image, dict):
            image = image.get("contentUrl") or image.get("url")
        images.append(image)
    return absolute_urls(images, page_url)


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


def _price(offer: Any) -> float | None:
    if not isinstance(offer, dict):
        return None
    specification = _first(*_as_list(offer.get("priceSpecification")))
    specification = specification if isinstance(specification, dict) else {}
    return quantities.positive(
        _first(offer.get("price"), offer.get("lowPrice"), specification.get("price"))
    )


def _availability_status(offer: Any) -> ListingStatus | None:
    availability = offer.get("availability") if isinstance(offer, dict) else None
    if not isinstance(availability, str):
        return None
    return AVAILABILITY_STATUS.get(availability.rsplit("/", 1)[-1].casefold())


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
        return property_type(category)
    for schema_type, platform_type in TYPE_BY_SCHEMA_TYPE.items():
        if schema_type in _types(home):
            return platform_type
    return None


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
