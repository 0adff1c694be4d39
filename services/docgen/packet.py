"""What a property packet says: one property's facts, location, scores and provenance,
formatted for print.

Pure: database rows (plain mappings) in, display strings out. JSON columns
(`enrichment_data`, `score_components`, `enrichment_sources`) are rendered generically,
whatever keys the enricher and the scorer put there, so that a new field shows up in
the packet without a change here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

TEMPLATE_VERSION = "v1"
DOCUMENT_TYPE = "property_packet"
CONTENT_TYPE = "application/pdf"

# The one-page packet keeps to one page: longer lists end in "+ N more", and a renderer
# whose layout still overflows asks for a `condensed()` packet.
MAX_LOCATION_ROWS = 20
MAX_COMPONENT_ROWS = 32
MAX_SOURCE_ROWS = 6
MAX_TEXT_CHARS = 160

MISSING = "—"
LABEL_SEPARATOR = " \u203a "  # a single right-pointing angle quotation mark
ACRONYMS = frozenset(
    {
        "acs", "avm", "dscr", "fips", "grm", "hoa", "id", "irr", "moe", "noi", "roi", "shap",
        "usps", "zcta", "zip",
    }
)  # fmt: skip
WORD_REPLACEMENTS = {"sqft": "sq ft"}
MONEY_WORDS = frozenset(
    {"income", "rent", "price", "value", "cost", "noi", "payment", "taxes", "insurance", "usd"}
)
PERIOD_WORDS = frozenset({"monthly", "annual", "annually", "yearly"})
PERCENT_WORDS = frozenset({"percent", "pct"})
# Numbers that name something (a year, a ZIP code) are shown without thousands separators.
IDENTIFIER_WORDS = frozenset({"year", "built", "id", "zip", "code", "fips", "geoid", "zcta"})
SOURCE_NAME_KEYS = ("name", "source", "provider", "id")
# The enricher's per-field origin map in `enrichment_data`: shown with the sources.
PROVENANCE_KEY = "provenance"


@dataclass(frozen=True)
class Row:
    label: str
    value: str


T = TypeVar("T")


@dataclass(frozen=True)
class Shown(Generic[T]):
    """The entries a section shows, and how many more there were than it has room for."""

    items: tuple[T, ...]
    omitted: int = 0

    @classmethod
    def first(cls, entries: Iterable[T], limit: int) -> Shown[T]:
        every = tuple(entries)
        return cls(every[:limit], max(0, len(every) - limit))

    def halved(self) -> Shown[T]:
        keep = len(self.items) // 2
        return Shown(self.items[:keep], self.omitted + len(self.items) - keep)


@dataclass(frozen=True)
class Packet:
    property_id: int
    score_id: int
    address: str
    locality: str
    facts: tuple[Row, ...]
    location: Shown[Row]
    overall_score: str
    scores: tuple[Row, ...]
    components: Shown[Row]
    sources: Shown[str]
    field_origins: tuple[str, ...]
    listing_source: str | None
    generated_at: str
    generated_at_iso: str
    run_id: str
    template_version: str

    def condensed(self) -> Packet:
        """The same packet with half the rows in each open-ended section."""
        return replace(
            self,
            location=self.location.halved(),
            components=self.components.halved(),
            sources=self.sources.halved(),
        )


def packet_key(property_id: int, score_id: int, template_version: str = TEMPLATE_VERSION) -> str:
    """The object-store key of a packet; the same inputs always name the same object."""
    return f"packets/{property_id}/score-{score_id}-{template_version}.pdf"


def build_packet(
    prop: Mapping[str, Any],
    score: Mapping[str, Any],
    *,
    generated_at: datetime,
    run_id: str | None,
    template_version: str = TEMPLATE_VERSION,
) -> Packet:
    """The packet of one property (a `properties` row) and one of its scores."""
    generated_utc = generated_at.astimezone(UTC)
    enrichment = dict(prop.get("enrichment_data") or {})
    provenance = enrichment.pop(PROVENANCE_KEY, None)
    return Packet(
        property_id=int(prop["id"]),
        score_id=int(score["id"]),
        address=clip(str(prop["address"])),
        locality=locality(prop.get("city"), prop.get("state"), prop.get("zip_code")),
        facts=key_facts({**prop, "estimated_value": score.get("estimated_value")}),
        location=location_rows(prop, enrichment),
        overall_score=format_number(round(float(score["overall_score"]), 1)),
        scores=score_rows(score),
        components=Shown.first(flatten(score.get("score_components") or {}), MAX_COMPONENT_ROWS),
        sources=Shown.first(
            map(describe_source, prop.get("enrichment_sources") or []), MAX_SOURCE_ROWS
        ),
        field_origins=field_origins(provenance) if isinstance(provenance, Mapping) else (),
        listing_source=listing_source(prop.get("listing_source"), prop.get("listing_url")),
        generated_at=f"{generated_utc:%Y-%m-%d %H:%M:%S} UTC",
        generated_at_iso=generated_utc.isoformat(timespec="seconds"),
        run_id=run_id or MISSING,
        template_version=template_version,
    )


def locality(city: str | None, state: str | None, zip_code: str | None) -> str:
    region = " ".join(part for part in (state, zip_code) if part)
    return ", ".join(part for part in (city, region) if part) or MISSING


def key_facts(prop: Mapping[str, Any]) -> tuple[Row, ...]:
    price, sqft, lot = prop.get("price"), prop.get("sqft"), prop.get("lot_size")
    price_per_sqft = price / sqft if price is not None and sqft else None
    rows = [
        Row("Property type", humanize(prop.get("property_type") or "")),
        Row("Listing type", humanize(prop.get("listing_type") or "")),
        Row("Bedrooms", display(prop.get("bedrooms"))),
        Row("Bathrooms", display(prop.get("bathrooms"))),
        Row("Living area", f"{format_number(sqft)} sq ft" if sqft is not None else MISSING),
        Row("Lot size", f"{format_number(round(lot))} sq ft" if lot is not None else MISSING),
        Row("Year built", str(prop["year_built"]) if prop.get("year_built") else MISSING),
        Row("List price", format_money(price)),
        Row("Price per sq ft", format_money(price_per_sqft)),
    ]
    if prop.get("estimated_value") is not None:
        rows.append(Row("Estimated value", format_money(prop["estimated_value"])))
    return tuple(rows)


def location_rows(prop: Mapping[str, Any], enrichment: Mapping[str, Any]) -> Shown[Row]:
    rows = []
    latitude, longitude = prop.get("latitude"), prop.get("longitude")
    if latitude is not None and longitude is not None:
        rows.append(Row("Coordinates", f"{latitude:.4f}, {longitude:.4f}"))
    rows.extend(flatten(enrichment))
    return Shown.first(rows, MAX_LOCATION_ROWS)


def score_rows(score: Mapping[str, Any]) -> tuple[Row, ...]:
    return (
        Row("Overall score", f"{format_number(round(float(score['overall_score']), 1))} / 100"),
        Row("Investment score", format_number(round(float(score["investment_score"]), 1))),
        Row("Risk score", format_number(round(float(score["risk_score"]), 1))),
        Row("ROI estimate", display(score.get("roi_estimate"), "roi_estimate_percent")),
        Row("Model version", clip(str(score["model_version"]))),
    )


def flatten(data: Mapping[str, Any], prefix: str = "") -> list[Row]:
    """One row per leaf of a JSON object; nested labels start with their parent's."""
    rows: list[Row] = []
    for key in sorted(data, key=natural_order):
        value = data[key]
        label = prefix + humanize(str(key))
        if isinstance(value, Mapping):
            rows.extend(flatten(value, label + LABEL_SEPARATOR))
        else:
            rows.append(Row(label, display(value, str(key))))
    return rows


def display(value: Any, key: str = "") -> str:
    """A JSON value as a person reads it; money-named numbers get a dollar sign."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        words = words_of(key)
        if is_money(words):
            return format_money(value)
        if words and words[-1] in PERCENT_WORDS:
            return f"{format_number(value)}%"
        if words and words[-1] in IDENTIFIER_WORDS and float(value).is_integer():
            return str(int(value))
        return format_number(value)
    if isinstance(value, list):
        if all(not isinstance(item, Mapping | list) for item in value):
            return clip(", ".join(display(item, key) for item in value)) or MISSING
        return f"{len(value)} entries"
    return clip(str(value))


def is_money(words: list[str]) -> bool:
    """`median_rent`, `rent_estimate_monthly`, `price_per_sqft` are money; ratios such as
    `price_to_income` and a bare `value` are not."""
    amount = [word for word in words if word not in PERIOD_WORDS]
    if not amount or "to" in amount or amount == ["value"]:
        return False
    if amount[-1] == "estimate":
        amount = amount[:-1]
    return bool(amount) and (amount[-1] in MONEY_WORDS or amount[:2] == ["price", "per"])


def words_of(key: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return [word for word in re.split(r"[_\W]+", spaced.lower()) if word]


def natural_order(key: Any) -> list[tuple[int, int | str]]:
    """`feature_2` before `feature_10`."""
    return [
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", str(key).lower())
        if part
    ]


def format_number(value: float | None) -> str:
    """Thousands separators for large numbers, two decimals for small ones, three
    significant digits below one (ratios, SHAP contributions)."""
    if value is None or not math.isfinite(value):
        return MISSING
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def format_money(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return MISSING
    sign = "-" if value < 0 else ""
    amount = abs(value)
    return f"{sign}${amount:,.0f}" if amount >= 100 else f"{sign}${amount:,.2f}"


def humanize(key: str) -> str:
    """`median_household_income` → `Median household income`, `roi_estimate` → `ROI estimate`,
    `cap_rate_percent` → `Cap rate %`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    words = [word for word in re.split(r"[_\-\s]+", spaced) if word]
    if not words:
        return MISSING
    if len(words) > 1 and words[-1].lower() in PERCENT_WORDS:
        words[-1] = "%"
    words = [
        word.upper() if word.lower() in ACRONYMS else WORD_REPLACEMENTS.get(word.lower(), word)
        for word in words
    ]
    words = [word if word.isupper() else word.lower() for word in words]
    first = words[0]
    words[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def describe_source(source: Any) -> str:
    """An `enrichment_sources` entry: a name, or an object with a name and details."""
    if isinstance(source, Mapping):
        name_key = next((key for key in SOURCE_NAME_KEYS if source.get(key)), None)
        details = "; ".join(
            f"{humanize(str(key))}: {display(value, str(key))}"
            for key, value in sorted(source.items(), key=lambda item: str(item[0]))
            if key != name_key
        )
        name = str(source[name_key]) if name_key else "Source"
        return clip(f"{name} ({details})" if details else name)
    return clip(display(source))


def field_origins(provenance: Mapping[str, Any]) -> tuple[str, ...]:
    """`{"price": "zillow", "latitude": "zip_centroids"}` → one line per origin."""
    by_origin: dict[str, list[str]] = {}
    for field, origin in provenance.items():
        by_origin.setdefault(str(origin), []).append(humanize(str(field)))
    return tuple(
        clip(f"{origin}: {', '.join(sorted(fields))}")
        for origin, fields in sorted(by_origin.items())
    )


def listing_source(source: str | None, url: str | None) -> str | None:
    if not source:
        return None
    return clip(f"{source} — {url}" if url else source)


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
