"""Reading off-market public-record feeds (tax-delinquent lists, notices of default, code
violations, vacancy registries) into listings tagged with their distress signals.

A feed is configured (`services/scraper/feeds.py`), not detected: its `FeedConfig` says
its format and which column holds which fact. The bodies are:

- CSV (`feed.csv`): a header row naming the columns, then one record a line, as a county
  office exports a spreadsheet (maybe with a byte-order mark, CRLF line ends, quoted
  fields with commas, blank lines at the end). One file is the whole feed.
- JSON (`feed.json`): an array of record objects, or an object holding that array at the
  configured `records_path`; nested values are read with dotted column names
  (`situs.city`). One document is the whole feed.
- Socrata SODA 2.x (`feed.socrata`): a `/resource/<id>.json` response, an array of row
  objects keyed by the dataset's snake_case field names, with every value as text (numbers
  too), null fields left out, system fields (`:id`, `:created_at`, ...) when `$select`
  asks for them, a location either as `{"latitude", "longitude", "human_address"}` (the
  address being a JSON string) or as a GeoJSON point. Pages are `$limit` rows from
  `$offset`; a full page means there may be more, a short one is the last. An error comes
  back as an object `{"error": true, "message": ...}`.

Each usable record becomes one off-market `Listing` whose source is the feed's name,
whose `source_id` is the record's id (or a digest of its address, signal kinds and date
when the feed has no id column; a second record with the same id in one page gets the
id plus a digest of its values) and whose `distress_signals` hold one `DistressSignal`
per kind the record implies. A record without an address, or with a date or amount that
does not read, is a failure naming its row and the reason; the other records still count.
Records the feed's filters leave out are skipped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from services.scraper.feeds import (
    SOCRATA_LIMIT,
    SOCRATA_OFFSET,
    ColumnRef,
    FeedConfig,
    with_query,
)
from services.scraper.parsers.page import ListingCollector, ParsedPage
from shared import quantities
from shared.listing import STATE_CODE_SET, STATE_CODES

KINDS = {"csv": "feed.csv", "json": "feed.json", "socrata": "feed.socrata"}
STATUS = "off_market"
ID_SEPARATOR = ":"
DETAIL_SEPARATOR = "; "
DIGEST_LENGTH = 16

# USPS Publication 28 street suffixes (names and abbreviations) common enough in county
# records to mark the end of a street line written without commas.
STREET_SUFFIXES = frozenset(
    {
        "ALLEY", "ALY", "AV", "AVE", "AVENUE", "BEND", "BLVD", "BND", "BOULEVARD", "CIR",
        "CIRCLE", "COURT", "COVE", "CRES", "CRESCENT", "CT", "CV", "DR", "DRIVE", "EXPY",
        "EXPRESSWAY", "FREEWAY", "FWY", "HIGHWAY", "HWY", "LANE", "LN", "LOOP", "PARKWAY",
        "PATH", "PIKE", "PKWY", "PL", "PLACE", "PLAZA", "PLZ", "RD", "ROAD", "ROW", "RUN", "SQ",
        "SQUARE", "ST", "STREET", "TER", "TERRACE", "TRAIL", "TRL", "WALK", "WAY", "XING",
    }
)  # fmt: skip
DIRECTIONALS = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW"})
UNIT_DESIGNATORS = frozenset(
    {"APT", "APARTMENT", "UNIT", "STE", "SUITE", "BLDG", "BUILDING", "FL", "FLOOR", "RM", "ROOM",
     "SPC", "TRLR", "#"}
)  # fmt: skip
COUNTRY_WORDS = frozenset({"US", "USA", "UNITED STATES"})
SAINT = "ST"

_ZIP_AT_END = re.compile(r"[\s,]*\b(\d{5}(?:-\d{4})?)$")
_WKT_POINT = re.compile(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)", re.IGNORECASE)
_LAT_LON_PAIR = re.compile(r"\(\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\)")
_STATE_NAMES_LONGEST_FIRST = sorted(STATE_CODES, key=lambda name: -len(name.split()))


class BrokenFeed(ValueError):
    """The body as a whole is not the feed's format (no header, not JSON, an API error)."""


class BrokenRecord(ValueError):
    """One record cannot become a listing (no address, a date or amount that does not read)."""


@dataclass(frozen=True)
class AddressParts:
    """An address split into the listing's parts; None where the text does not say."""

    street: str | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


@dataclass(frozen=True)
class FeedRecord:
    """One record of a feed with the label failures name it by (`row 3 (line 4)`)."""

    label: str
    values: Mapping[str, Any]
    problem: str | None = None


@dataclass(frozen=True)
class FeedBody:
    """The records of one body, how many rows it held (filtered and broken ones too) and
    what is wrong with it as a whole."""

    records: list[FeedRecord]
    row_count: int
    problems: list[str] = field(default_factory=list)


@dataclass
class SourceIds:
    """Hands out each source id once per page."""

    used: set[str] = field(default_factory=set)

    def claim(self, wanted: str, values: Mapping[str, Any]) -> str:
        source_id = wanted
        if source_id in self.used:
            source_id = f"{wanted}-{_digest(json.dumps(values, sort_keys=True, default=str))}"
        self.used.add(source_id)
        return source_id


def parse(body: str, url: str | None, feed: FeedConfig) -> ParsedPage:
    """The listings of one feed body, in the feed's order; for Socrata, the next page when
    this one was full."""
    kind = KINDS[feed.format]
    try:
        read = _records(body, url, feed)
    except BrokenFeed as error:
        return ParsedPage(kind=kind, failures=[f"{feed.name}: {error}"])
    collector = ListingCollector(failures=[f"{feed.name}: {problem}" for problem in read.problems])
    source_ids = SourceIds()
    for record in read.records:
        if record.problem is None and not _admitted(record, feed):
            continue
        collector.add(record.label, partial(_listing, record, feed, source_ids))
    return ParsedPage(
        kind=kind,
        listings=collector.listings,
        failures=collector.failures,
        next_pages=_next_socrata_page(url, feed, read.row_count),
    )


def parse_address(text: str) -> AddressParts:
    """Street, unit, city, state and ZIP of a one-line address: `123 MAIN ST, SPRINGFIELD IL
    62701`, `9 Elm St Apt 4, Lakeview, Illinois 60601-1234`, `12 OAK CT SPRINGFIELD IL 62702`
    (without commas, the street ends at its suffix, so a ZIP must end the line), or a street
    line alone (`1482 W ELM ST APT 3`). `ValueError` when the street cannot be told apart."""
    line = " ".join(text.split()).strip(" ,")
    zip_code = None
    if match := _ZIP_AT_END.search(line):
        zip_code, line = match.group(1), line[: match.start()].strip(" ,")
    if "," in line:
        first, *rest = [part.strip() for part in line.split(",") if part.strip()]
        street, unit = split_unit(first)
        if rest and _starts_with_unit(rest[0]):
            unit = rest.pop(0)
        city, state = _city_and_state(rest)
        return AddressParts(street, unit, city, state, zip_code)
    if zip_code is None:
        street, unit = split_unit(line)
        return AddressParts(street, unit)
    tokens, state = _peel_state(line.split(" "), keep=1)
    street_end = _street_end(tokens)
    if street_end is None and state is not None:
        tokens, state = line.split(" "), None  # `77 OAK CT 62702`: CT is the street's suffix
        street_end = _street_end(tokens)
    if street_end is None:
        raise ValueError(f"address {text!r}: no street suffix tells the street from the city")
    street, unit = split_unit(" ".join(tokens[:street_end]))
    return AddressParts(street, unit, " ".join(tokens[street_end:]) or None, state, zip_code)


def split_unit(street_line: str) -> tuple[str | None, str | None]:
    """`("123 MAIN ST", "APT 4")` from `123 MAIN ST APT 4`; the unit keeps its designator."""
    tokens = street_line.split()
    for index in range(2, len(tokens)):
        if _is_unit_word(tokens[index]):
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    return " ".join(tokens) or None, None


def _admitted(record: FeedRecord, feed: FeedConfig) -> bool:
    return all(rule.admits(_text(record.values, rule.column)) for rule in feed.filters)


def _records(body: str, url: str | None, feed: FeedConfig) -> FeedBody:
    if feed.format == "csv":
        header, records = _csv_table(body, feed.csv_delimiter)
        missing = sorted(feed.column_names() - set(header))
        problems = [f"the CSV header has no column {name!r}" for name in missing]
        return FeedBody(records, len(records), problems)
    document = _json_document(body)
    if feed.format == "socrata":
        rows = _socrata_rows(document)
        first_row = _query_integer(url, SOCRATA_OFFSET, 0) + 1
    else:
        rows = _json_rows(document, feed.records_path)
        first_row = 1
    records = [_json_record(f"row {number}", row) for number, row in enumerate(rows, first_row)]
    return FeedBody(records, len(rows))


def _csv_table(body: str, delimiter: str) -> tuple[list[str], list[FeedRecord]]:
    """The header and the records of a CSV body; blank lines are not records."""
    reader = csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise BrokenFeed("the CSV body is empty: no header row") from None
    except csv.Error as error:
        raise BrokenFeed(f"the CSV header does not read: {error}") from None
    return header, list(_csv_rows(reader, header))


def _csv_rows(reader: Any, header: list[str]) -> Iterator[FeedRecord]:
    number, first_line = 0, reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = f"unreadable CSV, the rest is skipped: {error}"
            yield FeedRecord(f"line {reader.line_num}", {}, problem)
            return
        line, first_line = first_line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        label = f"row {number} (line {line})"
        if len(row) != len(header):
            problem = f"{len(row)} fields where the header names {len(header)}"
            yield FeedRecord(label, {}, problem)
        else:
            yield FeedRecord(label, dict(zip(header, row, strict=True)))


def _json_document(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as error:
        raise BrokenFeed(f"the body is not JSON: {error}") from None


def _socrata_rows(document: Any) -> list[Any]:
    if isinstance(document, dict) and document.get("error"):
        code = document.get("code") or "error"
        raise BrokenFeed(f"Socrata answered {code}: {document.get('message') or 'no message'}")
    if not isinstance(document, list):
        raise BrokenFeed("a Socrata response is an array of rows")
    return document


def _json_rows(document: Any, records_path: str | None) -> list[Any]:
    rows = _at_path(document, records_path) if records_path else document
    if not isinstance(rows, list):
        where = f"at {records_path!r}" if records_path else "at the top of the document"
        raise BrokenFeed(f"no list of records {where}")
    return rows


def _json_record(label: str, row: Any) -> FeedRecord:
    if not isinstance(row, dict):
        return FeedRecord(label, {}, f"a record is an object, not {type(row).__name__}")
    return FeedRecord(label, row)


def _listing(record: FeedRecord, feed: FeedConfig, source_ids: SourceIds) -> dict[str, Any]:
    """The listing fields of one record; `BrokenRecord` saying why when it cannot be one."""
    if record.problem:
        raise BrokenRecord(record.problem)
    values, columns = record.values, feed.columns
    address = _address(values, feed)
    kinds = feed.signals.kinds_for(_text(values, feed.signals.kind_column))
    recorded_date = _recorded_date(values, feed)
    amount = _money(values, columns.amount, "amount")
    record_id = _text(values, columns.record_id, ID_SEPARATOR)
    latitude, longitude = _coordinates(values, feed)
    signal = {
        "recorded_date": recorded_date,
        "amount": amount,
        "detail": _text(values, columns.detail, DETAIL_SEPARATOR),
        "record_id": record_id,
        "feed": feed.name,
    }
    listing = {
        "source": feed.name,
        "status": STATUS,
        "url": _text(values, columns.url) or feed.record_url_for(partial(_text, values)),
        "street": address.street,
        "unit": address.unit,
        "city": address.city,
        "state": address.state,
        "zip_code": _zip5(address.zip_code),
        "latitude": latitude,
        "longitude": longitude,
        "tax_assessed_value": _money(values, columns.tax_assessed_value, "assessed value"),
        "tax_annual_amount": _money(values, columns.tax_annual_amount, "annual tax"),
        "distress_signals": [{**signal, "kind": kind} for kind in kinds],
    }
    without_id = "|".join([_address_key(address), ",".join(kinds), str(recorded_date or "")])
    listing["source_id"] = source_ids.claim(record_id or f"addr-{_digest(without_id)}", values)
    return listing


def _address(values: Mapping[str, Any], feed: FeedConfig) -> AddressParts:
    """The record's address: the parts the feed maps, else those its one-line address or its
    Socrata location gives, else the feed's defaults."""
    columns, defaults = feed.columns, feed.defaults
    line = _text(values, columns.address)
    try:
        whole = parse_address(line) if line else AddressParts()
    except ValueError as error:
        raise BrokenRecord(str(error)) from None
    located = _human_address(_raw(values, columns.location))
    street_line = _text(values, columns.street)
    street, unit = split_unit(street_line) if street_line else (None, None)
    street = street or whole.street or located.street
    if not street:
        raise BrokenRecord("no address")
    return AddressParts(
        street=street,
        unit=_text(values, columns.unit) or unit or whole.unit or located.unit,
        city=_text(values, columns.city) or whole.city or located.city or defaults.city,
        state=_text(values, columns.state) or whole.state or located.state or defaults.state,
        zip_code=_text(values, columns.zip_code)
        or whole.zip_code
        or located.zip_code
        or defaults.zip_code,
    )


def _recorded_date(values: Mapping[str, Any], feed: FeedConfig) -> date | None:
    text = _text(values, feed.columns.recorded_date)
    if text is None:
        return None
    if feed.date_format:
        try:
            return datetime.strptime(text, feed.date_format).date()
        except ValueError:
            raise BrokenRecord(
                f"recorded date {text!r} does not match {feed.date_format!r}"
            ) from None
    found = quantities.calendar_date(text)
    if found is None:
        raise BrokenRecord(f"recorded date {text!r} is not a date")
    return found


def _money(values: Mapping[str, Any], column: ColumnRef, name: str) -> float | None:
    text = _text(values, column)
    if text is None:
        return None
    amount = quantities.number(text)
    if amount is None:
        raise BrokenRecord(f"{name} {text!r} is not an amount")
    return amount


def _coordinates(values: Mapping[str, Any], feed: FeedConfig) -> tuple[float | None, float | None]:
    """Latitude and longitude from their columns, or from a location: a Socrata location
    object, a GeoJSON point, WKT `POINT (lon lat)` or `(lat, lon)` text."""
    columns = feed.columns
    latitude = quantities.number(_text(values, columns.latitude))
    longitude = quantities.number(_text(values, columns.longitude))
    if latitude is not None and longitude is not None:
        return latitude, longitude
    location = _raw(values, columns.location)
    if isinstance(location, dict):
        coordinates = location.get("coordinates")
        if location.get("type") == "Point" and isinstance(coordinates, list):
            return _pair(coordinates[1:2] + coordinates[:1])
        return _pair([location.get("latitude"), location.get("longitude")])
    if isinstance(location, str):
        if match := _WKT_POINT.search(location):
            return _pair([match.group(2), match.group(1)])
        if match := _LAT_LON_PAIR.search(location):
            return _pair([match.group(1), match.group(2)])
    return None, None


def _pair(values: list[Any]) -> tuple[float | None, float | None]:
    if len(values) != 2:
        return None, None
    latitude, longitude = (quantities.number(value) for value in values)
    return (latitude, longitude) if latitude is not None and longitude is not None else (None, None)


def _human_address(location: Any) -> AddressParts:
    """The address of a Socrata location: its `human_address`, a JSON object written as a
    string, with empty strings where the part is unknown."""
    if not isinstance(location, dict):
        return AddressParts()
    human = location.get("human_address")
    if isinstance(human, str):
        try:
            human = json.loads(human)
        except ValueError:
            return AddressParts()
    if not isinstance(human, dict):
        return AddressParts()
    street_line = quantities.text(human.get("address"))
    street, unit = split_unit(street_line) if street_line else (None, None)
    return AddressParts(
        street=street,
        unit=unit,
        city=quantities.text(human.get("city")),
        state=quantities.text(human.get("state")),
        zip_code=quantities.text(human.get("zip")),
    )


def _next_socrata_page(url: str | None, feed: FeedConfig, row_count: int) -> list[str]:
    """The page after a full one: the same query with `$offset` moved on by `$limit`."""
    if feed.socrata is None:
        return []
    limit = _query_integer(url, SOCRATA_LIMIT, feed.socrata.limit)
    if row_count < limit:
        return []
    offset = _query_integer(url, SOCRATA_OFFSET, 0)
    parameters = {SOCRATA_LIMIT: str(limit), SOCRATA_OFFSET: str(offset + limit)}
    if url is None:
        parameters["$order"] = feed.socrata.order
    return [with_query(url or feed.url, parameters)]


def _query_integer(url: str | None, name: str, default: int) -> int:
    query = dict(parse_qsl(urlsplit(url).query)) if url else {}
    value = quantities.integer(query.get(name))
    return value if value is not None and value >= 0 else default


def _raw(values: Mapping[str, Any], column: str | None) -> Any:
    """The value of `column`, a key of the record or a dotted path into it."""
    if column is None:
        return None
    if column in values:
        return values[column]
    return _at_path(values, column) if "." in column else None


def _text(values: Mapping[str, Any], column: ColumnRef, separator: str = " ") -> str | None:
    """The text of a column, or of several joined by `separator` (blanks left out); a
    Socrata URL field (`{"url": ...}`) gives its URL."""
    if column is None:
        return None
    names = (column,) if isinstance(column, str) else column
    texts = []
    for name in names:
        value = _raw(values, name)
        if isinstance(value, dict):
            value = value.get("url")
        found = quantities.text(value) if isinstance(value, str | int | float) else None
        if found is not None:
            texts.append(found)
    return separator.join(texts) or None


def _at_path(document: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _city_and_state(parts: list[str]) -> tuple[str | None, str | None]:
    """City and state from the comma-separated parts after the street: `SPRINGFIELD IL`,
    `Springfield, Illinois`, `NEW YORK, NY, USA`."""
    tokens = " ".join(parts).split()
    for width in (2, 1):
        if len(tokens) > width and " ".join(tokens[-width:]).upper() in COUNTRY_WORDS:
            tokens = tokens[:-width]
    tokens, state = _peel_state(tokens, keep=0)
    return " ".join(tokens) or None, state


def _peel_state(tokens: list[str], keep: int) -> tuple[list[str], str | None]:
    """The tokens without a trailing state (a USPS code or a state's name), leaving at least
    `keep` tokens, and that state."""
    for name in _STATE_NAMES_LONGEST_FIRST:
        width = len(name.split())
        if len(tokens) >= width + keep and " ".join(tokens[-width:]).casefold() == name:
            return tokens[:-width], STATE_CODES[name]
    code = tokens[-1].upper().rstrip(".") if len(tokens) > keep else None
    return (tokens[:-1], code) if code in STATE_CODE_SET else (tokens, None)


def _street_end(tokens: list[str]) -> int | None:
    """Where the street (with its trailing directional and unit) ends in `house street city`
    tokens: after its first suffix, or the last of adjacent suffixes (`N COURT ST`), except
    that `ST ST` is a street then a saint's city (`MAIN ST ST LOUIS`)."""
    words = [token.upper().rstrip(".") for token in tokens]
    end = next((index for index in range(2, len(words)) if words[index] in STREET_SUFFIXES), None)
    if end is None:
        return None
    while (
        end + 1 < len(words)
        and words[end + 1] in STREET_SUFFIXES
        and not (words[end] == SAINT and words[end + 1] == SAINT)
    ):
        end += 1
    end += 1
    if end < len(words) and words[end] in DIRECTIONALS:
        end += 1
    if end < len(words) and _is_unit_word(words[end]):
        end += 1 if words[end].startswith("#") and len(words[end]) > 1 else 2
    return min(end, len(words))


def _is_unit_word(token: str) -> bool:
    word = token.upper().rstrip(".")
    return word in UNIT_DESIGNATORS or word.startswith("#")


def _starts_with_unit(part: str) -> bool:
    return _is_unit_word(part.split(" ")[0])


def _zip5(text: str | None) -> str | None:
    """A ZIP code whose leading zeros a spreadsheet dropped (`2134`) gets them back."""
    if text is not None and text.isdigit() and 3 <= len(text) < 5:
        return text.zfill(5)
    return text


def _address_key(address: AddressParts) -> str:
    parts = (address.street, address.unit, address.city, address.state, address.zip_code)
    return " ".join(" ".join(part.upper().split()) for part in parts if part)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]
