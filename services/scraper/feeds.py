"""Off-market public-record feeds: which feeds the scraper reads and how each maps to listings.

A feed is a public dataset about homes in trouble: a county's tax-delinquent list, a
recorder's notices of default, a city's code violations, a vacant-building registry. It
comes as a CSV file, a JSON document or a Socrata (SODA 2.x) open-data API. Every record
becomes an off-market `Listing` carrying the `DistressSignal`s the feed implies.

Feeds are configured, one entry each, in a YAML or JSON file whose path is the environment
variable `REOS_SCRAPER_FEEDS_FILE` (`deploy/feeds.example.yaml` shows three). The file
holds `feeds:`, a list of:

    name: lakeview-county-tax-delinquent   # the listings' source: lower case, digits, dashes
    format: csv                            # csv | json | socrata
    url: https://treasurer.lakeview.example/delinquent.csv
    signals:
      kinds: [tax_delinquent]              # the DistressSignal kind(s) every record implies
      kind_column: DOC TYPE                # optional: a column naming each record's kind...
      kind_values: {NOD: notice_of_default} # ...and the kinds its values imply (any case)
    columns:                               # the feed's column for each fact (JSON: dotted
      record_id: PIN                       # paths such as situs.city allowed)
      address: SITUS ADDRESS
      amount: TOTAL DUE
    date_format: "%m/%d/%Y"                # recorded dates (ISO, US or epoch when absent)
    defaults: {state: IL}                  # address parts the feed leaves out
    filters:                               # records to keep (any case, blanks trimmed)
      - {column: STATUS, exclude: [PAID, REDEEMED]}
    record_url: https://treasurer.lakeview.example/parcels/{PIN}  # optional, {column}s
    csv_delimiter: ","                     # csv only
    records_path: data.filings             # json only: where the list of records is
    socrata:                               # socrata only: how to page through the dataset
      limit: 1000
      order: ":id"
      select: ":*, *"
      where: "violation_date >= '{since}'" # {since}: today minus window_days, YYYY-MM-DD
      window_days: 90
      app_token_header: X-App-Token
      app_token_env: REOS_SOCRATA_APP_TOKEN  # the variable holding the token, never the token

Columns a feed can map (`FeedColumns`): the address as one line (`address`, split by the
feed parser) and/or in parts (`street`, `unit`, `city`, `state`, `zip_code`), `latitude`
and `longitude` or a `location` (a Socrata location or point, WKT `POINT (lon lat)` or
`(lat, lon)` text), `record_id` (the case, parcel or document number; the listing's
`source_id` and the signal's `record_id`), `recorded_date`, `amount` (owed or in default),
`detail`, `url`, `tax_assessed_value`, `tax_annual_amount`. The address columns,
`record_id` and `detail` may name a list of columns, whose values are joined (`record_id`
with ":", `detail` with "; ", address parts with a space: `street: [HOUSE NO, STREET]`).

Each record becomes one listing, even when several records concern one home (the
enricher merges them by address). Its `source_id` is the `record_id`, so the id columns
must tell records apart; a feed without an id gets a digest of the address, the signal
kinds and the recorded date.

This module only describes feeds and builds their requests; `parsers/feeds.py` reads them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.listing import DistressKind

FEEDS_FILE_VARIABLE = "REOS_SCRAPER_FEEDS_FILE"
FeedFormat = Literal["csv", "json", "socrata"]
ColumnRef = str | tuple[str, ...] | None

SOCRATA_LIMIT = "$limit"
SOCRATA_OFFSET = "$offset"
_SAFE_IN_QUERY = "$:,*'()"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class FeedConfigError(ValueError):
    """The feeds file is missing, unreadable or describes a feed wrongly."""


class SignalRule(BaseModel):
    """The distress signals a record stands for: `kinds` for every record, unless the
    record's `kind_column` holds a value listed in `kind_values`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: tuple[DistressKind, ...] = Field(..., min_length=1)
    kind_column: str | None = None
    kind_values: dict[str, tuple[DistressKind, ...]] = Field(default_factory=dict)

    @field_validator("kind_values", mode="before")
    @classmethod
    def _one_kind_or_several(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                " ".join(str(key).split()).casefold(): [kinds] if isinstance(kinds, str) else kinds
                for key, kinds in value.items()
            }
        return value

    @model_validator(mode="after")
    def _values_need_their_column(self) -> SignalRule:
        if self.kind_values and not self.kind_column:
            raise ValueError("kind_values needs kind_column, the column they are read from")
        return self

    def kinds_for(self, value: str | None) -> tuple[DistressKind, ...]:
        """The kinds a record implies, given the text of its `kind_column`."""
        if value is None:
            return self.kinds
        return self.kind_values.get(" ".join(value.split()).casefold(), self.kinds)


class FeedColumns(BaseModel):
    """Which column(s) of the feed hold each fact of the listing and of its signal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_id: ColumnRef = None
    address: ColumnRef = Field(None, description="the whole address in one line")
    street: ColumnRef = None
    unit: ColumnRef = None
    city: ColumnRef = None
    state: ColumnRef = None
    zip_code: ColumnRef = None
    latitude: str | None = None
    longitude: str | None = None
    location: str | None = None
    recorded_date: str | None = None
    amount: str | None = None
    detail: ColumnRef = None
    url: str | None = None
    tax_assessed_value: str | None = None
    tax_annual_amount: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _column_or_columns(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _some_address(self) -> FeedColumns:
        if self.address is None and self.street is None and self.location is None:
            raise ValueError("map at least one of address, street or location")
        return self


class RecordFilter(BaseModel):
    """Keeps the records whose `column` is one of `include` (when given) and none of
    `exclude`; values compare without case and surrounding blanks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    include: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _folded(cls, value: Any) -> Any:
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(" ".join(str(item).split()).casefold() for item in value)
        return value

    def admits(self, value: str | None) -> bool:
        folded = " ".join((value or "").split()).casefold()
        if self.include is not None and folded not in self.include:
            return False
        return folded not in self.exclude


class AddressDefaults(BaseModel):
    """Address parts a feed leaves out because they are the same for every record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


class SocrataPaging(BaseModel):
    """How to page through a Socrata dataset: `$limit` rows at a time in a stable `$order`,
    optionally only the rows of a recent date window (`$where`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(1000, ge=1, le=50_000)
    order: str = ":id"
    select: str | None = None
    where: str | None = Field(None, description="SoQL; `{since}` is the window's first day")
    window_days: int | None = Field(None, ge=1)
    app_token_header: str = "X-App-Token"
    app_token_env: str | None = Field(None, description="the variable holding the app token")

    @model_validator(mode="after")
    def _window_needs_since(self) -> SocrataPaging:
        uses_since = self.where is not None and "{since}" in self.where
        if uses_since != (self.window_days is not None):
            raise ValueError("window_days and a `{since}` in where go together")
        return self


class FeedConfig(BaseModel):
    """One public-record feed: where it is, what its records mean, how to read them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    format: FeedFormat
    url: str = Field(..., pattern=r"^https?://")
    description: str | None = None
    signals: SignalRule
    columns: FeedColumns
    date_format: str | None = Field(None, description="strptime format of recorded dates")
    defaults: AddressDefaults = AddressDefaults()
    filters: tuple[RecordFilter, ...] = ()
    record_url: str | None = Field(None, description="a URL with {column} placeholders")
    csv_delimiter: str = Field(",", min_length=1, max_length=1)
    records_path: str | None = None
    socrata: SocrataPaging | None = None

    @model_validator(mode="before")
    @classmethod
    def _socrata_paging_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("format") == "socrata" and not data.get("socrata"):
            return {**data, "socrata": {}}
        return data

    @model_validator(mode="after")
    def _format_options(self) -> FeedConfig:
        if self.format != "socrata" and self.socrata is not None:
            raise ValueError("the socrata section is only for format socrata")
        if self.format != "json" and self.records_path is not None:
            raise ValueError("records_path is only for format json")
        return self

    def column_names(self) -> set[str]:
        """Every column the feed's configuration reads."""
        names = {self.signals.kind_column, *(rule.column for rule in self.filters)}
        for mapped in self.columns.model_dump().values():
            names.update((mapped,) if isinstance(mapped, str) else mapped or ())
        if self.record_url:
            names.update(_PLACEHOLDER.findall(self.record_url))
        return {name for name in names if name}

    def first_request_url(self, today: date) -> str:
        """The URL a crawl of this feed starts with: the feed's URL, and for Socrata its first
        page (`$limit`, `$offset=0`, `$order`, `$select`, `$where` over the date window)."""
        if self.socrata is None:
            return self.url
        paging = self.socrata
        parameters = {SOCRATA_LIMIT: str(paging.limit), SOCRATA_OFFSET: "0", "$order": paging.order}
        if paging.select:
            parameters["$select"] = paging.select
        if paging.where:
            since = today - timedelta(days=paging.window_days or 0)
            parameters["$where"] = paging.where.replace("{since}", since.isoformat())
        return with_query(self.url, parameters)

    def request_headers(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Headers every request of the feed sends: Socrata's app token, when its variable
        is set in `environ`."""
        paging = self.socrata
        token = environ.get(paging.app_token_env, "") if paging and paging.app_token_env else ""
        return {paging.app_token_header: token} if paging and token.strip() else {}

    def record_url_for(self, value_of: Callable[[str], str | None]) -> str | None:
        """`record_url` with each `{column}` replaced by the record's value of that column
        (URL-quoted); None when there is no template or the record lacks one of its columns."""
        if self.record_url is None:
            return None
        values = {column: value_of(column) for column in _PLACEHOLDER.findall(self.record_url)}
        if not all(values.values()):
            return None
        return _PLACEHOLDER.sub(
            lambda match: quote(values[match.group(1)] or "", safe=""), self.record_url
        )


def with_query(url: str, parameters: Mapping[str, str]) -> str:
    """`url` with `parameters` set in its query (replacing those already there), the SoQL
    punctuation (`$`, `:`, `,`, `*`, quotes) left readable."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(parameters)
    encoded = urlencode(query, safe=_SAFE_IN_QUERY, quote_via=quote)
    return urlunsplit(parts._replace(query=encoded))


def feeds_from_document(document: Any) -> dict[str, FeedConfig]:
    """The feeds a parsed feeds file describes, by name; `FeedConfigError` naming the feed
    and the field at fault otherwise."""
    entries = document.get("feeds") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise FeedConfigError("a feeds file holds `feeds:`, a list of feeds")
    feeds: dict[str, FeedConfig] = {}
    for position, entry in enumerate(entries, start=1):
        label = entry.get("name") if isinstance(entry, dict) else None
        try:
            feed = FeedConfig.model_validate(entry)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'feed'}: {problem['msg']}"
                for problem in error.errors()
            )
            raise FeedConfigError(f"feed {label or position}: {problems}") from error
        if feed.name in feeds:
            raise FeedConfigError(f"feed {feed.name}: the name is used twice")
        feeds[feed.name] = feed
    return feeds


def load_feeds(path: Path) -> dict[str, FeedConfig]:
    """The feeds configured in a YAML (`.yaml`, `.yml`) or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FeedConfigError(f"cannot read the feeds file {path}: {error}") from error
    if path.suffix.lower() in (".yaml", ".yml"):
        return feeds_from_document(_yaml_document(text, path))
    try:
        return feeds_from_document(json.loads(text))
    except json.JSONDecodeError as error:
        raise FeedConfigError(f"the feeds file {path} is not JSON: {error}") from error


def configured_feeds(environ: Mapping[str, str] | None = None) -> dict[str, FeedConfig]:
    """The feeds of the file `REOS_SCRAPER_FEEDS_FILE` names."""
    variables = os.environ if environ is None else environ
    path = variables.get(FEEDS_FILE_VARIABLE, "").strip()
    if not path:
        raise FeedConfigError(f"no feeds are configured: set {FEEDS_FILE_VARIABLE}")
    return load_feeds(Path(path))


def feed_by_name(name: str, environ: Mapping[str, str] | None = None) -> FeedConfig:
    """The configured feed called `name`; `FeedConfigError` listing the known ones if none."""
    feeds = configured_feeds(environ)
    if name not in feeds:
        known = ", ".join(sorted(feeds)) or "none"
        raise FeedConfigError(f"no feed named {name!r}; configured feeds: {known}")
    return feeds[name]


def _yaml_document(text: str, path: Path) -> Any:
    try:
        import yaml
    except ImportError as error:
        raise FeedConfigError(f"reading {path} needs PyYAML; or write the feeds as JSON") from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FeedConfigError(f"the feeds file {path} is not YAML: {error}") from error
