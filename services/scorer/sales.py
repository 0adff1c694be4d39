"""Home sales as the valuation model learns from them: a home's facts, the price it sold
for and the day it sold.

Sales files differ by market: King County (`kc_house_data.csv`) writes one row per sale
with coordinates, ZIP, condition 1-5 and the assessor's grade 1-13; Ames, Iowa
(`AmesHousing.csv`) writes no coordinates and no ZIP but a neighbourhood, overall
condition and quality 1-10, and only the month of the sale. A `ColumnMapping` says how
one market's columns become a `Sale`; a fact the market does not record stays None, and
nothing downstream assumes any one market.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

Row = Mapping[str, str]
Reader = Callable[[Row], object]

MISSING_MARKERS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "None"})


@dataclass(frozen=True, slots=True)
class Home:
    """The facts of one home the valuation model uses; any of them may be unknown.

    `condition` and `grade` are on the market's own scale (King County: condition 1-5,
    grade 1-13; Ames: 1-10 each), so a model learns them within one market only.
    `parcel_id` is the assessor's id: it links a home to its earlier sales.
    `neighbours_sqft` and `neighbours_lot_sqft` describe the home's surroundings: the mean
    living and lot area of its nearest neighbouring homes, sold or not, as an assessor
    records them (King County's `sqft_living15`/`sqft_lot15`); None where nobody does.
    """

    sqft: float | None = None
    lot_sqft: float | None = None
    bedrooms: float | None = None
    bathrooms: float | None = None
    year_built: int | None = None
    year_renovated: int | None = None
    stories: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    zip_code: str | None = None
    neighborhood: str | None = None
    property_type: str | None = None
    condition: float | None = None
    grade: float | None = None
    waterfront: bool | None = None
    view: float | None = None
    parcel_id: str | None = None
    neighbours_sqft: float | None = None
    neighbours_lot_sqft: float | None = None

    @property
    def area(self) -> str | None:
        """The home's area for area statistics: its ZIP, else its named neighbourhood."""
        return self.zip_code or self.neighborhood


@dataclass(frozen=True, slots=True)
class Sale:
    """One recorded sale: the home as it was sold, the price and the day."""

    home: Home
    price: float
    sale_date: date

    @property
    def price_per_sqft(self) -> float | None:
        sqft = self.home.sqft
        return self.price / sqft if sqft else None


@dataclass(frozen=True)
class ColumnMapping:
    """How one market's sales file becomes `Sale` records.

    `home` reads each `Home` field from a row (fields not named stay None), `price` and
    `sale_date` read the sale itself; `columns` are the columns a file must have.
    """

    name: str
    columns: tuple[str, ...]
    home: Mapping[str, Reader]
    price: Callable[[Row], float | None]
    sale_date: Callable[[Row], date | None]


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value in MISSING_MARKERS else value


def _number(value: str | None) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def number(column: str) -> Callable[[Row], float | None]:
    return lambda row: _number(row.get(column))


def positive(column: str) -> Callable[[Row], float | None]:
    """A size or price: zero and below mean "not recorded"."""

    def read(row: Row) -> float | None:
        value = _number(row.get(column))
        return value if value is not None and value > 0 else None

    return read


def year(column: str) -> Callable[[Row], int | None]:
    """A year; 0 (King County's "never renovated") means none."""

    def read(row: Row) -> int | None:
        value = _number(row.get(column))
        return int(value) if value is not None and value > 0 else None

    return read


def text(column: str) -> Callable[[Row], str | None]:
    return lambda row: _text(row.get(column))


def flag(column: str) -> Callable[[Row], bool | None]:
    def read(row: Row) -> bool | None:
        value = _number(row.get(column))
        return None if value is None else value > 0

    return read


def total(*weighted: tuple[str, float]) -> Callable[[Row], float | None]:
    """A weighted sum of columns (e.g. full baths + half baths / 2); None if all are missing."""

    def read(row: Row) -> float | None:
        parts = [(_number(row.get(column)), weight) for column, weight in weighted]
        known = [value * weight for value, weight in parts if value is not None]
        return sum(known) if known else None

    return read


def _kc_date(row: Row) -> date | None:
    value = _text(row.get("date"))
    if value is None:
        return None
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


KING_COUNTY = ColumnMapping(
    name="kingcounty",
    columns=(
        "id",
        "date",
        "price",
        "bedrooms",
        "bathrooms",
        "sqft_living",
        "sqft_lot",
        "floors",
        "waterfront",
        "view",
        "condition",
        "grade",
        "yr_built",
        "yr_renovated",
        "zipcode",
        "lat",
        "long",
    ),
    home={
        "sqft": positive("sqft_living"),
        "lot_sqft": positive("sqft_lot"),
        "bedrooms": number("bedrooms"),
        "bathrooms": number("bathrooms"),
        "year_built": year("yr_built"),
        "year_renovated": year("yr_renovated"),
        "stories": positive("floors"),
        "latitude": number("lat"),
        "longitude": number("long"),
        "zip_code": text("zipcode"),
        "condition": number("condition"),
        "grade": number("grade"),
        "waterfront": flag("waterfront"),
        "view": number("view"),
        "parcel_id": text("id"),
        "neighbours_sqft": positive("sqft_living15"),
        "neighbours_lot_sqft": positive("sqft_lot15"),
    },
    price=positive("price"),
    sale_date=_kc_date,
)

AMES_STORIES = {
    "1Story": 1.0,
    "1.5Fin": 1.5,
    "1.5Unf": 1.5,
    "2Story": 2.0,
    "2.5Fin": 2.5,
    "2.5Unf": 2.5,
    "SFoyer": 1.5,
    "SLvl": 1.5,
}
AMES_PROPERTY_TYPES = {
    "1Fam": "single_family",
    "2fmCon": "multi_family",
    "Duplex": "multi_family",
    "TwnhsE": "townhouse",
    "Twnhs": "townhouse",
}


def _ames_date(row: Row) -> date | None:
    """Ames records the month only; a sale is dated the 15th of its month."""
    sold_year, sold_month = _number(row.get("Yr Sold")), _number(row.get("Mo Sold"))
    if sold_year is None or sold_month is None or not 1 <= sold_month <= 12:
        return None
    return date(int(sold_year), int(sold_month), 15)


def _ames_remodel(row: Row) -> int | None:
    """`Year Remod/Add` equals `Year Built` when the home was never remodelled."""
    built, remodelled = year("Year Built")(row), year("Year Remod/Add")(row)
    return remodelled if remodelled and remodelled != built else None


AMES = ColumnMapping(
    name="ames",
    columns=(
        "PID",
        "Lot Area",
        "Neighborhood",
        "Bldg Type",
        "House Style",
        "Overall Qual",
        "Overall Cond",
        "Year Built",
        "Year Remod/Add",
        "Gr Liv Area",
        "Full Bath",
        "Half Bath",
        "Bsmt Full Bath",
        "Bsmt Half Bath",
        "Bedroom AbvGr",
        "Mo Sold",
        "Yr Sold",
        "SalePrice",
    ),
    home={
        "sqft": positive("Gr Liv Area"),
        "lot_sqft": positive("Lot Area"),
        "bedrooms": number("Bedroom AbvGr"),
        "bathrooms": total(
            ("Full Bath", 1.0), ("Half Bath", 0.5), ("Bsmt Full Bath", 1.0), ("Bsmt Half Bath", 0.5)
        ),
        "year_built": year("Year Built"),
        "year_renovated": _ames_remodel,
        "stories": lambda row: AMES_STORIES.get(row.get("House Style", "")),
        "neighborhood": text("Neighborhood"),
        "property_type": lambda row: AMES_PROPERTY_TYPES.get(row.get("Bldg Type", "")),
        "condition": number("Overall Cond"),
        "grade": number("Overall Qual"),
        "parcel_id": text("PID"),
    },
    price=positive("SalePrice"),
    sale_date=_ames_date,
)

MAPPINGS: dict[str, ColumnMapping] = {mapping.name: mapping for mapping in (KING_COUNTY, AMES)}


class SalesFileError(ValueError):
    """A sales file that cannot be read with the mapping asked for."""


def sales_from_rows(rows: Iterable[Row], mapping: ColumnMapping) -> list[Sale]:
    """Every row with a price and a date as a `Sale`; rows without either are skipped."""
    sales = []
    for row in rows:
        price, sold = mapping.price(row), mapping.sale_date(row)
        if price is None or sold is None:
            continue
        facts = {field: read(row) for field, read in mapping.home.items()}
        sales.append(Sale(home=Home(**facts), price=price, sale_date=sold))  # type: ignore[arg-type]
    return sales


def read_sales(path: Path, mapping: ColumnMapping = KING_COUNTY) -> list[Sale]:
    """The sales in the CSV file at `path`, read with `mapping`, oldest first."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        missing = [column for column in mapping.columns if column not in (reader.fieldnames or [])]
        if missing:
            raise SalesFileError(
                f"{path} lacks the {mapping.name} columns {', '.join(missing)}; "
                f"choose the mapping that matches the file ({', '.join(MAPPINGS)})"
            )
        sales = sales_from_rows(reader, mapping)
    return sorted(sales, key=lambda sale: sale.sale_date)
