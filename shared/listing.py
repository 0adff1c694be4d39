"""The listing: one home as a source describes it, the platform's one definition of it.

Every spider and feed reader emits a `Listing`, `prospect.new` carries it and the
enricher reads it; nothing else defines the facts of a listing. The vocabulary is the
platform's own: a status out of `LISTING_STATUSES`, a property type out of
`PROPERTY_TYPES`, areas in square feet, money in US dollars (a rental's `price` is its
monthly rent), dates as calendar dates.

Missing is None, never a guess. The model turns the sentinels sites use for "unknown"
into None (a price, area, year or assessed value of 0; coordinates at 0, 0) and refuses
values that cannot be true (a latitude of 123, a year built of 3024, a ZIP code of
letters), so a parser's mistake surfaces as a validation error naming the field.

`LISTING_SCHEMA_VERSION` counts incompatible changes of this model; adding an optional
field is compatible and keeps the version.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from shared import quantities

LISTING_SCHEMA_VERSION = 1

ListingStatus = Literal["for_sale", "sold", "for_rent", "pending", "off_market", "other"]
PropertyType = Literal[
    "single_family",
    "condo",
    "townhouse",
    "multi_family",
    "apartment",
    "land",
    "manufactured",
    "other",
]
PriceEventKind = Literal[
    "listed", "price_change", "pending", "sold", "delisted", "relisted", "rented", "other"
]
DistressKind = Literal[
    "tax_delinquent",
    "pre_foreclosure",
    "notice_of_default",
    "lis_pendens",
    "foreclosure_auction",
    "bank_owned",
    "code_violation",
    "vacant",
    "probate",
    "lien",
    "other",
]

LISTING_STATUSES: tuple[str, ...] = get_args(ListingStatus)
PROPERTY_TYPES: tuple[str, ...] = get_args(PropertyType)
DISTRESS_KINDS: tuple[str, ...] = get_args(DistressKind)

EARLIEST_YEAR_BUILT = 1600
LATEST_YEAR_AHEAD = 5  # homes under construction are listed a few years ahead

STATE_CODES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
    "guam": "GU", "virgin islands": "VI",
}  # fmt: skip
STATE_CODE_SET = frozenset(STATE_CODES.values())


def _unknown_if_not_positive(value: Any) -> Any:
    """0 (or less) is how sites say "unknown" for prices, areas and years."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
        return None
    return value


def _blank_is_none(value: Any) -> Any:
    if isinstance(value, str):
        return quantities.text(value)
    return value


def _state_code(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.upper() if len(value) == 2 else STATE_CODES.get(value.casefold())
    if code not in STATE_CODE_SET:
        raise ValueError(f"not a US state: {value!r}")
    return code


def _zip5(value: str | None) -> str | None:
    if value is None:
        return None
    digits = value.split("-")[0].strip()
    if len(digits) == 9 and digits.isdigit():
        digits = digits[:5]
    if len(digits) != 5 or not digits.isdigit():
        raise ValueError(f"not a ZIP code: {value!r}")
    return digits


def _year_built(value: int | None) -> int | None:
    latest = date.today().year + LATEST_YEAR_AHEAD
    if value is not None and not EARLIEST_YEAR_BUILT <= value <= latest:
        raise ValueError(f"year built {value} is outside {EARLIEST_YEAR_BUILT}..{latest}")
    return value


def _whole_square_feet(value: Any) -> Any:
    value = _unknown_if_not_positive(value)
    return round(value) if isinstance(value, float) else value


Money = Annotated[float | None, BeforeValidator(_unknown_if_not_positive)]
LivingArea = Annotated[int | None, BeforeValidator(_whole_square_feet)]
Area = Annotated[float | None, BeforeValidator(_unknown_if_not_positive)]
Text = Annotated[str | None, BeforeValidator(_blank_is_none)]
Year = Annotated[int | None, BeforeValidator(_unknown_if_not_positive), AfterValidator(_year_built)]


class PriceEvent(BaseModel):
    """One line of a listing's price and status history."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_date: date | None = None
    event: PriceEventKind = "other"
    price: Money = None
    source: Text = None


class Broker(BaseModel):
    """Who lists the home."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Text = None
    agent_name: Text = None
    phone: Text = None


class DistressSignal(BaseModel):
    """A public record that says the owner may need to sell: a tax delinquency, a notice of
    default, a code violation, a vacancy registration."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: DistressKind
    recorded_date: date | None = None
    amount: Money = Field(None, description="the amount owed or in default, when stated")
    detail: Text = None
    record_id: Text = None
    feed: Text = Field(None, description="the public-record feed that reported it")


class Listing(BaseModel):
    """One home as one source describes it at one time."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: int = LISTING_SCHEMA_VERSION
    source: str = Field(..., min_length=1, max_length=64)
    source_id: str = Field(..., min_length=1, max_length=256)
    url: Text = None
    status: ListingStatus

    price: Money = Field(None, description="list price; for a rental, the monthly rent")
    sold_price: Money = None
    sold_date: date | None = None
    list_date: date | None = None

    street: Text = Field(None, description="house number and street, without the unit")
    unit: Text = None
    city: Text = None
    state: Annotated[Text, AfterValidator(_state_code)] = None
    zip_code: Annotated[Text, AfterValidator(_zip5)] = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    property_type: PropertyType | None = None
    bedrooms: int | None = Field(None, ge=0, le=100)
    bathrooms: float | None = Field(None, ge=0, le=100, description="total, 2.5 style")
    bathrooms_full: int | None = Field(None, ge=0, le=100)
    bathrooms_half: int | None = Field(None, ge=0, le=100)
    sqft: LivingArea = Field(None, description="living area, square feet")
    lot_sqft: Area = None
    year_built: Year = None
    year_renovated: Year = None
    stories: Annotated[float | None, BeforeValidator(_unknown_if_not_positive)] = None
    hoa_fee: float | None = Field(None, ge=0, description="monthly HOA dues")
    days_on_market: int | None = Field(None, ge=0)
    mls_id: Text = None

    photos: tuple[str, ...] = ()
    description: Text = None
    price_history: tuple[PriceEvent, ...] = ()
    tax_assessed_value: Money = None
    tax_annual_amount: Money = None
    broker: Broker | None = None
    distress_signals: tuple[DistressSignal, ...] = ()

    @field_validator("photos", mode="before")
    @classmethod
    def _photo_urls(cls, value: Any) -> Any:
        """Absolute http(s) URLs, each once, in the site's order."""
        if not isinstance(value, list | tuple):
            return value
        urls = [url.strip() for url in value if isinstance(url, str)]
        return tuple(dict.fromkeys(url for url in urls if url.startswith(("http://", "https://"))))

    @model_validator(mode="before")
    @classmethod
    def _no_null_island(cls, data: Any) -> Any:
        """Coordinates at 0, 0, or only one of the two, mean the site did not know."""
        if not isinstance(data, dict):
            return data
        latitude, longitude = data.get("latitude"), data.get("longitude")
        at_null_island = latitude == 0 and longitude == 0
        if at_null_island or (latitude is None) != (longitude is None):
            return {**data, "latitude": None, "longitude": None}
        return data

    @property
    def address_line(self) -> str | None:
        """`street unit, city, ST zip` with whatever parts are known."""
        street = " ".join(part for part in (self.street, self.unit) if part)
        place = " ".join(part for part in (self.state, self.zip_code) if part)
        parts = [part for part in (street, self.city, place) if part]
        return ", ".join(parts) or None

    @property
    def is_rental(self) -> bool:
        return self.status == "for_rent"


ChangeKind = Literal["price_drop", "price_increase", "status_change", "back_on_market"]


class ListingChange(BaseModel):
    """What changed since the source last showed the listing."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: ChangeKind
    field: Literal["price", "status"]
    old: float | str | None
    new: float | str | None


def listing_from_payload(
    payload: dict[str, Any], source: str, source_id: str, url: str | None
) -> Listing:
    """The listing a `prospect_queue.payload` holds: a `Listing` as JSON, or the flat
    facts of the first scraper (version 1). Raises `ValueError` when it is neither."""
    if "status" in payload and "source" in payload:
        return Listing.model_validate(payload)
    return listing_from_flat_payload(payload, source, source_id, url)


def listing_from_flat_payload(
    payload: dict[str, Any], source: str, source_id: str, url: str | None
) -> Listing:
    """A `Listing` from a version-1 `prospect.new` payload: the flat facts the first
    scraper stored (`address`, `price`, `lot_size`, `listing_type`, ...)."""
    listing_type = str(payload.get("listing_type") or "")
    return Listing(
        source=source,
        source_id=source_id,
        url=url,
        status=listing_type if listing_type in LISTING_STATUSES else "other",
        price=quantities.positive(payload.get("price")),
        street=quantities.text(payload.get("address") or payload.get("street_address")),
        city=quantities.text(payload.get("city")),
        state=quantities.text(payload.get("state")),
        zip_code=quantities.text(payload.get("zip_code") or payload.get("zip")),
        latitude=quantities.number(payload.get("latitude")),
        longitude=quantities.number(payload.get("longitude")),
        property_type=property_type(payload.get("property_type")),
        bedrooms=quantities.count(payload.get("bedrooms")),
        bathrooms=quantities.bathrooms_total(payload.get("bathrooms")),
        sqft=quantities.area_sqft(payload.get("sqft")),
        lot_sqft=quantities.area_sqft(payload.get("lot_size")),
        year_built=quantities.positive_integer(payload.get("year_built")),
        list_date=quantities.calendar_date(payload.get("date_posted")),
        mls_id=quantities.text(payload.get("listing_id")),
    )


PROPERTY_TYPE_WORDS: dict[str, PropertyType] = {
    "singlefamily": "single_family",
    "singlefamilyresidence": "single_family",
    "singlefamilyhome": "single_family",
    "house": "single_family",
    "detached": "single_family",
    "condo": "condo",
    "condominium": "condo",
    "condos": "condo",
    "coop": "condo",
    "cooperative": "condo",
    "townhouse": "townhouse",
    "townhome": "townhouse",
    "townhomes": "townhouse",
    "rowhouse": "townhouse",
    "multifamily": "multi_family",
    "multifamilyhome": "multi_family",
    "duplex": "multi_family",
    "triplex": "multi_family",
    "fourplex": "multi_family",
    "quadruplex": "multi_family",
    "apartment": "apartment",
    "apartments": "apartment",
    "land": "land",
    "lot": "land",
    "lotland": "land",
    "lotsland": "land",
    "vacantland": "land",
    "farm": "land",
    "manufactured": "manufactured",
    "manufacturedhome": "manufactured",
    "mobile": "manufactured",
    "mobilehome": "manufactured",
    "mobilemanufactured": "manufactured",
}


def property_type(value: Any) -> PropertyType | None:
    """The platform's property type for a site's word (`SINGLE_FAMILY`, `Condominium`,
    `townhomes`, `MULTI_FAMILY`, `mobile`); `other` for a word that names some other kind
    of property, None when there is no word."""
    word = quantities.text(value)
    if word is None:
        return None
    key = "".join(character for character in word.casefold() if character.isalpha())
    if not key:
        return None
    return PROPERTY_TYPE_WORDS.get(key, "other")


# Letters only, first match wins: "relisted" before "listed", "for rent" before "rented".
PRICE_EVENT_WORDS: tuple[tuple[str, PriceEventKind], ...] = (
    ("relisted", "relisted"),
    ("backonmarket", "relisted"),
    ("pricechange", "price_change"),
    ("pricereduc", "price_change"),
    ("pricedrop", "price_change"),
    ("priceincrease", "price_change"),
    ("pending", "pending"),
    ("contingent", "pending"),
    ("undercontract", "pending"),
    ("sold", "sold"),
    ("forrent", "listed"),
    ("rented", "rented"),
    ("leased", "rented"),
    ("removed", "delisted"),
    ("delisted", "delisted"),
    ("expired", "delisted"),
    ("withdrawn", "delisted"),
    ("offmarket", "delisted"),
    ("cancel", "delisted"),
    ("listed", "listed"),
)


def price_event_kind(value: Any) -> PriceEventKind:
    """The platform's kind of a price-history line from a site's words (`Price change`,
    `Listed for sale`, `Sold (Public Records)`, `Listing removed`); `other` otherwise."""
    word = quantities.text(value)
    if word is None:
        return "other"
    letters = "".join(character for character in word.casefold() if character.isalpha())
    return next((kind for key, kind in PRICE_EVENT_WORDS if key in letters), "other")


_TRAILING_UNIT = re.compile(
    r"[\s,]+((?:#\s*|(?:apt|unit|ste|suite|bldg|fl|rm|ph|lot|spc)\.?\s*#?\s*)"
    r"(?=[\w-]*\d|[a-z]\b)[\w-]+)$",
    re.IGNORECASE,
)


def split_unit(line: Any) -> tuple[str | None, str | None]:
    """A one-line street and the unit at its end: `"42-23 Parsons Blvd #7C"` →
    `("42-23 Parsons Blvd", "#7C")`, `"640 N 4th St Unit 5C"` → `("640 N 4th St",
    "Unit 5C")`; a line without a unit is returned whole."""
    text = quantities.text(line)
    if text is None:
        return None, None
    match = _TRAILING_UNIT.search(text)
    if match is None:
        return text, None
    unit = re.sub(r"#\s+", "#", match.group(1).strip())
    return text[: match.start()].strip(" ,") or text, unit
