"""What the valuation model sees of a home on a given day: its own facts and its
neighbourhood as the market knew it that day.

Neighbourhood features come only from reference sales dated strictly before the
valuation day: the price per sq ft of the k nearest earlier sales (weighted by distance
and by age, so a sale next door last month counts more than one a mile away last year),
area (ZIP or neighbourhood) statistics of earlier sales, the market's recent level, and
the home's own earlier sale if it sold before. Where the assessor records the sizes of the
homes around it (`Home.neighbours_sqft`), the home's size relative to them is a feature
too. A sale's own price, and any sale on or after its day, never enter its features:
training rows are computed exactly as a listing is scored on that day.

Every feature is a number; an unknown fact or a neighbourhood with no earlier sales is NaN
(XGBoost routes it down the branch it learned for missing values). `baseline` is the
neighbourhood's estimate of the home's log price: the model learns the correction to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from services.scorer.sales import Home, Sale

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

EARTH_RADIUS_KM = 6371.0088
MIN_LEVEL_SALES = 20
PROPERTY_TYPE_CODES = {
    "single_family": 0.0,
    "townhouse": 1.0,
    "condo": 2.0,
    "apartment": 2.0,
    "multi_family": 3.0,
    "manufactured": 4.0,
    "land": 5.0,
    "other": 6.0,
}
HOME_FEATURES = (
    "log_sqft",
    "log_lot_sqft",
    "bedrooms",
    "bathrooms",
    "stories",
    "age_years",
    "years_since_update",
    "renovated",
    "condition",
    "grade",
    "waterfront",
    "view",
    "property_type",
    "x_km",
    "y_km",
    "diagonal_km",
    "antidiagonal_km",
    "log_neighbours_sqft",
    "log_neighbours_lot_sqft",
    "log_sqft_over_neighbours",
)
NEIGHBOURHOOD_FEATURES = (
    "nb_log_ppsf",
    "nb_log_ppsf_spread",
    "nb_log_price",
    "nb_log_sqft",
    "nb_grade",
    "nb_distance_km",
    "nb_age_days",
    "nb_nearest_log_ppsf",
    "wide_log_ppsf",
    "similar_log_ppsf",
    "relative_log_sqft",
    "area_log_ppsf",
    "area_recent_log_ppsf",
    "area_log_sales",
    "market_recent_log_ppsf",
    "previous_sale_log_price",
    "previous_sale_days",
    "baseline_log_price",
)
FEATURE_NAMES = HOME_FEATURES + NEIGHBOURHOOD_FEATURES
NEIGHBOUR_COLUMNS = NEIGHBOURHOOD_FEATURES.index("relative_log_sqft")
_AT = {name: column for column, name in enumerate(NEIGHBOURHOOD_FEATURES)}

# Which features go unknown when a fact is missing: the groups a valuation reports.
FACT_GROUPS: dict[str, tuple[str, ...]] = {
    "sqft": ("sqft",),
    "location": ("latitude", "longitude"),
    "rooms": ("bedrooms", "bathrooms"),
    "age": ("year_built",),
    "quality": ("condition", "grade"),
    "surroundings": ("neighbours_sqft", "neighbours_lot_sqft"),
}


@dataclass(frozen=True)
class NeighbourhoodSettings:
    """How neighbours are chosen and weighted."""

    neighbours: int = 12
    wide_neighbours: int = 48
    distance_floor_km: float = 0.15
    half_life_days: float = 240.0
    recent_days: int = 120
    min_recent_sales: int = 3
    market_window_days: int = 30
    similar_log_sqft: float = 0.3
    similar_grade: float = 1.0


def day_number(value: date) -> int:
    """A date as a day count (proleptic ordinal), the time unit of every feature."""
    return value.toordinal()


def project(latitude: Floats, longitude: Floats, origin_latitude: float) -> Floats:
    """Latitude/longitude as kilometres on a plane tangent at the market's latitude."""
    scale = math.radians(1.0) * EARTH_RADIUS_KM
    x = longitude * scale * math.cos(math.radians(origin_latitude))
    return np.column_stack([x, latitude * scale])


def _column(homes: Sequence[Home], field: str) -> Floats:
    values = [getattr(home, field) for home in homes]
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _log(values: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.log(values)
    return np.where(values > 0, logged, np.nan)


class ReferenceSales:
    """The sales neighbourhood features and comparables are drawn from, oldest first.

    Each sale's facts are kept as columns; `before(day)` gives the spatial index of the
    located sales dated strictly before `day`. Coordinates are projected around the whole
    degree of latitude nearest the sales' mean, so adding a sale does not move the others.
    """

    COLUMNS = (
        "day",
        "price",
        "sqft",
        "bedrooms",
        "bathrooms",
        "year_built",
        "grade",
        "latitude",
        "longitude",
    )

    def __init__(
        self,
        columns: dict[str, Floats],
        areas: NDArray[np.str_],
        parcels: NDArray[np.str_],
        origin_latitude: float,
    ) -> None:
        order = np.argsort(columns["day"], kind="stable")
        self.columns = {
            name: np.asarray(columns[name], dtype=np.float64)[order] for name in columns
        }
        self.areas = np.asarray(areas)[order]
        self.parcels = np.asarray(parcels)[order]
        self.origin_latitude = origin_latitude
        self.day = self.columns["day"]
        self.log_price = _log(self.columns["price"])
        self.log_sqft = _log(self.columns["sqft"])
        self.log_ppsf = self.log_price - self.log_sqft
        self.xy = project(self.columns["latitude"], self.columns["longitude"], origin_latitude)
        self._located = np.flatnonzero(
            np.isfinite(self.xy).all(axis=1) & np.isfinite(self.log_ppsf)
        )
        self._trees: dict[int, tuple[cKDTree | None, Ints]] = {}
        self._areas = self._index_areas()
        self.known_areas = frozenset(self._areas)
        self._priced = np.flatnonzero(np.isfinite(self.log_ppsf))
        self._priced_cumsum = np.concatenate([[0.0], np.cumsum(self.log_ppsf[self._priced])])
        self._price_cumsum = np.concatenate([[0.0], np.cumsum(self.log_price)])
        self._previous_sales = self._index_parcels()
        self._levels: dict[int, Floats] = {}

    @classmethod
    def from_sales(cls, sales: Sequence[Sale]) -> ReferenceSales:
        homes = [sale.home for sale in sales]
        columns = {
            name: _column(homes, name) for name in cls.COLUMNS if name not in ("day", "price")
        }
        columns["day"] = np.array([day_number(sale.sale_date) for sale in sales], dtype=np.float64)
        columns["price"] = np.array([sale.price for sale in sales], dtype=np.float64)
        latitudes = columns["latitude"][np.isfinite(columns["latitude"])]
        return cls(
            columns,
            np.array([home.area or "" for home in homes], dtype=np.str_),
            np.array([home.parcel_id or "" for home in homes], dtype=np.str_),
            float(round(latitudes.mean())) if latitudes.size else 0.0,
        )

    def __len__(self) -> int:
        return len(self.day)

    def count_before(self, day: float) -> int:
        return int(np.searchsorted(self.day, day, side="left"))

    def before(self, day: float) -> tuple[cKDTree | None, Ints]:
        """The k-d tree of located sales strictly before `day` and their row numbers."""
        count = self.count_before(day)
        if count not in self._trees:
            rows = self._located[: np.searchsorted(self._located, count)]
            if len(self._trees) >= 4:
                self._trees.pop(next(iter(self._trees)))
            self._trees[count] = (cKDTree(self.xy[rows]) if rows.size else None, rows)
        tree, rows = self._trees[count]
        return tree, rows

    def _index_areas(self) -> dict[str, tuple[Floats, Floats, Floats]]:
        """Per area: its priced sales' days and the running sums of log $/sq ft and log price."""
        indexed = {}
        priced = np.isfinite(self.log_ppsf)
        for area in np.unique(self.areas):
            if not area:
                continue
            rows = np.flatnonzero((self.areas == area) & priced)
            indexed[str(area)] = (
                self.day[rows],
                np.concatenate([[0.0], np.cumsum(self.log_ppsf[rows])]),
                np.concatenate([[0.0], np.cumsum(self.log_price[rows])]),
            )
        return indexed

    def _index_parcels(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for row, parcel in enumerate(self.parcels):
            if parcel:
                rows.setdefault(str(parcel), []).append(row)
        return rows

    def area_statistics(self, area: str, day: float, recent_days: int, min_recent: int) -> Floats:
        """Mean log $/sq ft of the area's earlier sales, of its recent ones, log count,
        mean log price."""
        found = self._areas.get(area)
        if found is None:
            return np.full(4, np.nan)
        days, ppsf_sums, price_sums = found
        count = int(np.searchsorted(days, day, side="left"))
        if count == 0:
            return np.full(4, np.nan)
        start = int(np.searchsorted(days, day - recent_days, side="left"))
        recent = count - start
        return np.array(
            [
                ppsf_sums[count] / count,
                (ppsf_sums[count] - ppsf_sums[start]) / recent if recent >= min_recent else np.nan,
                math.log(count),
                price_sums[count] / count,
            ]
        )

    def market_level(self, days: Floats, window_days: int) -> Floats:
        """Mean log $/sq ft of all sales in the `window_days` before each day (NaN when
        fewer than `MIN_LEVEL_SALES` sold then)."""
        priced_days = self.day[self._priced]
        end = np.searchsorted(priced_days, days, side="left")
        start = np.searchsorted(priced_days, np.asarray(days) - window_days, side="left")
        count = end - start
        with np.errstate(invalid="ignore", divide="ignore"):
            level = (self._priced_cumsum[end] - self._priced_cumsum[start]) / count
        return np.where(count >= MIN_LEVEL_SALES, level, np.nan)

    def level_at_sale(self, window_days: int) -> Floats:
        """`market_level` on each reference sale's own day (cached per window)."""
        if window_days not in self._levels:
            self._levels[window_days] = self.market_level(self.day, window_days)
        return self._levels[window_days]

    def mean_log_price_before(self, day: float) -> float:
        count = self.count_before(day)
        return float(self._price_cumsum[count] / count) if count else math.nan

    def previous_sale(self, parcel: str, day: float) -> int | None:
        """Row of the latest sale of `parcel` strictly before `day`."""
        earlier = [row for row in self._previous_sales.get(parcel, ()) if self.day[row] < day]
        return earlier[-1] if earlier else None


@dataclass(frozen=True)
class Features:
    """The feature matrix of some homes (rows) in `FEATURE_NAMES` order, and each
    row's neighbourhood baseline log price (NaN where there is no earlier sale at all)."""

    values: Floats
    baseline: Floats

    def column(self, name: str) -> Floats:
        return self.values[:, FEATURE_NAMES.index(name)]


def home_features(homes: Sequence[Home], as_of_days: Floats, origin_latitude: float) -> Floats:
    """The `HOME_FEATURES` columns: the home's own facts, ages as of the valuation day."""
    as_of_years = np.array([_year_of(day) for day in as_of_days], dtype=np.float64).reshape(-1)
    built = _column(homes, "year_built")
    renovated = _column(homes, "year_renovated")
    updated = np.fmax(built, renovated)
    xy = project(_column(homes, "latitude"), _column(homes, "longitude"), origin_latitude)
    waterfront = _column(homes, "waterfront")
    property_type = np.array(
        [PROPERTY_TYPE_CODES.get(home.property_type or "", np.nan) for home in homes]
    )
    log_sqft = _log(_column(homes, "sqft"))
    neighbours_log_sqft = _log(_column(homes, "neighbours_sqft"))
    return np.column_stack(
        [
            log_sqft,
            _log(_column(homes, "lot_sqft")),
            _column(homes, "bedrooms"),
            _column(homes, "bathrooms"),
            _column(homes, "stories"),
            as_of_years - built,
            as_of_years - updated,
            np.where(np.isnan(built), np.nan, np.isfinite(renovated).astype(np.float64)),
            _column(homes, "condition"),
            _column(homes, "grade"),
            waterfront,
            _column(homes, "view"),
            property_type,
            xy[:, 0],
            xy[:, 1],
            (xy[:, 0] + xy[:, 1]) / math.sqrt(2.0),
            (xy[:, 0] - xy[:, 1]) / math.sqrt(2.0),
            neighbours_log_sqft,
            _log(_column(homes, "neighbours_lot_sqft")),
            log_sqft - neighbours_log_sqft,
        ]
    )


def _year_of(day: float) -> float:
    return float(date.fromordinal(int(day)).year)


def _weighted_mean(values: Floats, weights: Floats) -> Floats:
    known = np.isfinite(values)
    weights = np.where(known, weights, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            total > 0, (np.where(known, values, 0.0) * weights).sum(axis=1) / total, np.nan
        )


def _neighbour_block(
    reference: ReferenceSales,
    xy: Floats,
    log_sqft: Floats,
    grade: Floats,
    day: float,
    settings: NeighbourhoodSettings,
) -> Floats:
    """The first `NEIGHBOUR_COLUMNS` neighbourhood features of located homes valued on
    `day`; their `log_sqft` and `grade` pick out the similar neighbours."""
    result = np.full((len(xy), NEIGHBOUR_COLUMNS), np.nan)
    tree, rows = reference.before(day)
    if tree is None:
        return result
    wide = min(settings.wide_neighbours, rows.size)
    near = min(settings.neighbours, wide)
    distance, position = tree.query(xy, k=list(range(1, wide + 1)))
    picked = rows[position]
    age = day - reference.day[picked]
    weight = 0.5 ** (age / settings.half_life_days) / (distance + settings.distance_floor_km)
    log_ppsf = reference.log_ppsf[picked]
    if settings.market_window_days:
        window = settings.market_window_days
        now = reference.market_level(np.array([day]), window)[0]
        drift = now - reference.level_at_sale(window)[picked]
        log_ppsf = log_ppsf + np.where(np.isfinite(drift), drift, 0.0)
    near_weight = weight[:, :near]
    near_ppsf = log_ppsf[:, :near]
    mean_ppsf = _weighted_mean(near_ppsf, near_weight)
    spread = np.sqrt(_weighted_mean((near_ppsf - mean_ppsf[:, None]) ** 2, near_weight))
    result[:, 0] = mean_ppsf
    result[:, 1] = spread
    result[:, 2] = _weighted_mean(reference.log_price[picked[:, :near]], near_weight)
    result[:, 3] = _weighted_mean(reference.log_sqft[picked[:, :near]], near_weight)
    result[:, 4] = _weighted_mean(reference.columns["grade"][picked[:, :near]], near_weight)
    result[:, 5] = distance[:, :near].mean(axis=1)
    result[:, 6] = age[:, :near].mean(axis=1)
    result[:, 7] = log_ppsf[:, : min(3, near)].mean(axis=1)
    result[:, 8] = _weighted_mean(log_ppsf, weight)
    size_gap = np.abs(reference.log_sqft[picked] - log_sqft[:, None]) / settings.similar_log_sqft
    grade_gap = np.abs(reference.columns["grade"][picked] - grade[:, None]) / settings.similar_grade
    likeness = np.exp(-np.nan_to_num(size_gap) - np.nan_to_num(grade_gap))
    result[:, 9] = _weighted_mean(log_ppsf, weight * likeness)
    return result


def build_features(
    homes: Sequence[Home],
    as_of_days: Floats,
    reference: ReferenceSales,
    settings: NeighbourhoodSettings | None = None,
) -> Features:
    """Features of each home valued on its day in `as_of_days`, from `reference` sales
    strictly before that day."""
    settings = settings or NeighbourhoodSettings()
    as_of_days = np.asarray(as_of_days, dtype=np.float64)
    own = home_features(homes, as_of_days, reference.origin_latitude)
    log_sqft = own[:, HOME_FEATURES.index("log_sqft")]
    grade = own[:, HOME_FEATURES.index("grade")]
    xy = own[:, [HOME_FEATURES.index("x_km"), HOME_FEATURES.index("y_km")]]
    located = np.isfinite(xy).all(axis=1)
    neighbourhood = np.full((len(homes), len(NEIGHBOURHOOD_FEATURES)), np.nan)
    for day in np.unique(as_of_days):
        on_day = as_of_days == day
        rows = np.flatnonzero(on_day & located)
        if rows.size:
            neighbourhood[rows, :NEIGHBOUR_COLUMNS] = _neighbour_block(
                reference, xy[rows], log_sqft[rows], grade[rows], day, settings
            )
        market = reference.market_level(np.array([day]), settings.recent_days)[0]
        neighbourhood[on_day, _AT["market_recent_log_ppsf"]] = market
    neighbourhood[:, _AT["relative_log_sqft"]] = log_sqft - neighbourhood[:, _AT["nb_log_sqft"]]
    fallback_log_price = np.full(len(homes), np.nan)
    for row, home in enumerate(homes):
        day = float(as_of_days[row])
        area = reference.area_statistics(
            home.area or "", day, settings.recent_days, settings.min_recent_sales
        )
        neighbourhood[row, _AT["area_log_ppsf"] : _AT["area_log_sales"] + 1] = area[:3]
        fallback_log_price[row] = (
            area[3] if np.isfinite(area[3]) else reference.mean_log_price_before(day)
        )
        previous = reference.previous_sale(home.parcel_id, day) if home.parcel_id else None
        if previous is not None:
            neighbourhood[row, _AT["previous_sale_log_price"]] = reference.log_price[previous]
            neighbourhood[row, _AT["previous_sale_days"]] = day - reference.day[previous]
    baseline = _baseline(neighbourhood, log_sqft, fallback_log_price)
    neighbourhood[:, _AT["baseline_log_price"]] = baseline
    return Features(np.column_stack([own, neighbourhood]), baseline)


def _baseline(neighbourhood: Floats, log_sqft: Floats, fallback_log_price: Floats) -> Floats:
    """The neighbourhood's log price estimate: nearby $/sq ft times size, else the area's,
    else nearby log prices, else the area's (or market's) mean log price."""
    candidates = [
        neighbourhood[:, _AT["nb_log_ppsf"]] + log_sqft,
        neighbourhood[:, _AT["area_log_ppsf"]] + log_sqft,
        neighbourhood[:, _AT["nb_log_price"]],
        fallback_log_price,
    ]
    baseline = np.full(len(log_sqft), np.nan)
    for candidate in candidates:
        baseline = np.where(np.isnan(baseline), candidate, baseline)
    return baseline
