"""Comparable sales: the nearest similar homes that sold before the valuation day, the
evidence a reader checks a valuation against.

Candidates are the located earlier sales nearest the home (or, for a home without
coordinates, the latest sales in its area). Each is scored for similarity, 1.0 for the
same home next door sold today: distance, size, bedrooms, bathrooms, age and how long ago
it sold each lower the score; the most similar few are returned, best first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from services.scorer.features import Floats, Ints, ReferenceSales, project
from services.scorer.sales import Home

CANDIDATES = 40
AREA_CANDIDATES = 200


@dataclass(frozen=True)
class SimilarityScales:
    """How far apart a fact may be before similarity falls to 1/e of its value."""

    distance_km: float = 1.5
    log_sqft: float = 0.35
    bedrooms: float = 2.0
    bathrooms: float = 1.5
    age_years: float = 30.0
    days: float = 365.0


@dataclass(frozen=True, slots=True)
class Comparable:
    """One earlier sale a valuation rests on; distance is None without coordinates."""

    sale_date: date
    price: float
    price_per_sqft: float | None
    sqft: float | None
    bedrooms: float | None
    bathrooms: float | None
    year_built: int | None
    distance_km: float | None
    similarity: float
    latitude: float | None
    longitude: float | None


def _candidates(reference: ReferenceSales, home: Home, day: float) -> tuple[Ints, Floats]:
    """Rows of candidate sales and their distances (NaN when the home has no location)."""
    if home.latitude is not None and home.longitude is not None:
        tree, rows = reference.before(day)
        if tree is not None:
            xy = project(
                np.array([home.latitude]), np.array([home.longitude]), reference.origin_latitude
            )
            count = min(CANDIDATES, rows.size)
            distance, position = tree.query(xy[0], k=list(range(1, count + 1)))
            return rows[np.asarray(position)], np.asarray(distance, dtype=np.float64)
    if home.area:
        earlier = np.flatnonzero(reference.areas[: reference.count_before(day)] == home.area)
        rows = earlier[-AREA_CANDIDATES:]
        return rows, np.full(rows.size, np.nan)
    return np.empty(0, dtype=np.int64), np.empty(0)


def _penalty(home_value: float | None, values: Floats, scale: float) -> Floats:
    """Squared scaled differences; an unknown fact on either side adds nothing."""
    if home_value is None:
        return np.zeros(values.size)
    gap = (values - float(home_value)) / scale
    return np.where(np.isfinite(gap), gap**2, 0.0)


def find_comparables(
    reference: ReferenceSales,
    home: Home,
    as_of: date,
    count: int = 5,
    scales: SimilarityScales | None = None,
) -> list[Comparable]:
    """The `count` most similar sales dated strictly before `as_of`, most similar first."""
    scales = scales or SimilarityScales()
    day = float(as_of.toordinal())
    rows, distance = _candidates(reference, home, day)
    if rows.size == 0:
        return []
    columns = reference.columns
    home_log_sqft = math.log(home.sqft) if home.sqft else None
    penalty = (
        np.where(np.isfinite(distance), (distance / scales.distance_km) ** 2, 0.0)
        + _penalty(home_log_sqft, reference.log_sqft[rows], scales.log_sqft)
        + _penalty(home.bedrooms, columns["bedrooms"][rows], scales.bedrooms)
        + _penalty(home.bathrooms, columns["bathrooms"][rows], scales.bathrooms)
        + _penalty(home.year_built, columns["year_built"][rows], scales.age_years)
        + ((day - reference.day[rows]) / scales.days) ** 2
    )
    similarity = np.exp(-np.sqrt(penalty))
    best = np.argsort(-similarity, kind="stable")[:count]
    return [_comparable(reference, int(rows[i]), distance[i], similarity[i]) for i in best]


def _optional(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _comparable(
    reference: ReferenceSales, row: int, distance: float, similarity: float
) -> Comparable:
    columns = reference.columns
    price = float(columns["price"][row])
    sqft = _optional(columns["sqft"][row])
    year_built = _optional(columns["year_built"][row])
    return Comparable(
        sale_date=date.fromordinal(int(reference.day[row])),
        price=price,
        price_per_sqft=round(price / sqft, 2) if sqft else None,
        sqft=sqft,
        bedrooms=_optional(columns["bedrooms"][row]),
        bathrooms=_optional(columns["bathrooms"][row]),
        year_built=int(year_built) if year_built is not None else None,
        distance_km=round(float(distance), 3) if math.isfinite(distance) else None,
        similarity=round(float(similarity), 4),
        latitude=_optional(columns["latitude"][row]),
        longitude=_optional(columns["longitude"][row]),
    )
