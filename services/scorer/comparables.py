"""Comparable sales: the nearest similar homes that sold before the valuation day, the
evidence a reader checks a valuation against.

Candidates are the located earlier sales nearest the home (or, for a home without
coordinates, the latest sales in its area). Each is scored for similarity, 1.0 for the
same home next door sold today: distance, size, bedrooms, bathrooms, age and how long ago
it sold each lower the score; the most similar few are returned, best first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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


def _area_candidates(reference: ReferenceSales, home: Home, day: float) -> Ints:
    """Rows of the latest earlier sales in the home's area, for a home without location."""
    if not home.area:
        return np.empty(0, dtype=np.int64)
    earlier = np.flatnonzero(reference.areas[: reference.count_before(day)] == home.area)
    return earlier[-AREA_CANDIDATES:]


def _facts(homes: Sequence[Home]) -> dict[str, Floats]:
    """Each fact similarity compares, one value per home (NaN when unknown)."""

    def column(values: list[float | None]) -> Floats:
        return np.array([np.nan if value is None else value for value in values], dtype=float)

    return {
        "log_sqft": column([math.log(home.sqft) if home.sqft else None for home in homes]),
        "bedrooms": column([home.bedrooms for home in homes]),
        "bathrooms": column([home.bathrooms for home in homes]),
        "year_built": column([home.year_built for home in homes]),
    }


def _penalty(home_values: Floats, values: Floats, scale: float) -> Floats:
    """Squared scaled differences (one row per home); an unknown fact on either side
    adds nothing."""
    gap = (values - home_values[:, None]) / scale
    return np.where(np.isfinite(gap), gap**2, 0.0)


def _most_similar(
    reference: ReferenceSales,
    homes: Sequence[Home],
    rows: Ints,
    distance: Floats,
    day: float,
    count: int,
    scales: SimilarityScales,
) -> list[list[Comparable]]:
    """For each home (row i of the `rows` and `distance` candidate matrices), the `count`
    most similar of its candidates, best first."""
    columns, facts = reference.columns, _facts(homes)
    penalty = (
        np.where(np.isfinite(distance), (distance / scales.distance_km) ** 2, 0.0)
        + _penalty(facts["log_sqft"], reference.log_sqft[rows], scales.log_sqft)
        + _penalty(facts["bedrooms"], columns["bedrooms"][rows], scales.bedrooms)
        + _penalty(facts["bathrooms"], columns["bathrooms"][rows], scales.bathrooms)
        + _penalty(facts["year_built"], columns["year_built"][rows], scales.age_years)
        + ((day - reference.day[rows]) / scales.days) ** 2
    )
    similarity = np.exp(-np.sqrt(penalty))
    best = np.argsort(-similarity, axis=1, kind="stable")[:, :count]
    picked = np.take_along_axis(rows, best, axis=1)
    return _comparables(
        reference,
        picked,
        np.take_along_axis(distance, best, axis=1),
        np.take_along_axis(similarity, best, axis=1),
    )


def comparables_of(
    reference: ReferenceSales,
    homes: Sequence[Home],
    as_of: date,
    count: int = 5,
    scales: SimilarityScales | None = None,
) -> list[list[Comparable]]:
    """For each home, the `count` most similar sales dated strictly before `as_of`, most
    similar first: the located homes' candidates found in one query of the spatial index."""
    scales = scales or SimilarityScales()
    day = float(as_of.toordinal())
    found: list[list[Comparable]] = [[] for _ in homes]
    tree, located_rows = reference.before(day)
    located = [
        index
        for index, home in enumerate(homes)
        if tree is not None and home.latitude is not None and home.longitude is not None
    ]
    if located and tree is not None:
        xy = project(
            np.array([homes[index].latitude for index in located], dtype=float),
            np.array([homes[index].longitude for index in located], dtype=float),
            reference.origin_latitude,
        )
        k = min(CANDIDATES, located_rows.size)
        distance, position = tree.query(xy, k=list(range(1, k + 1)))
        nearest = _most_similar(
            reference,
            [homes[index] for index in located],
            located_rows[np.asarray(position)],
            np.asarray(distance, dtype=np.float64),
            day,
            count,
            scales,
        )
        for index, comparables in zip(located, nearest, strict=True):
            found[index] = comparables
    for index in sorted(set(range(len(homes))) - set(located)):
        rows = _area_candidates(reference, homes[index], day)
        if rows.size:
            found[index] = _most_similar(
                reference,
                [homes[index]],
                rows[None, :],
                np.full((1, rows.size), np.nan),
                day,
                count,
                scales,
            )[0]
    return found


def _optional(values: Floats) -> list[float | None]:
    return [float(value) if math.isfinite(value) else None for value in values.tolist()]


def _comparables(
    reference: ReferenceSales, rows: Ints, distance: Floats, similarity: Floats
) -> list[list[Comparable]]:
    """The sales of a matrix of rows (one row of sales per home) as comparables."""
    columns = reference.columns
    flat = rows.ravel()
    price = columns["price"][flat].tolist()
    sqft = _optional(columns["sqft"][flat])
    bedrooms = _optional(columns["bedrooms"][flat])
    bathrooms = _optional(columns["bathrooms"][flat])
    year_built = [
        None if year is None else int(year) for year in _optional(columns["year_built"][flat])
    ]
    latitude = _optional(columns["latitude"][flat])
    longitude = _optional(columns["longitude"][flat])
    days = reference.day[flat].astype(np.int64).tolist()
    kilometres = _optional(np.round(distance.ravel(), 3))
    similar = np.round(similarity.ravel(), 4).tolist()
    made = [
        Comparable(
            sale_date=date.fromordinal(days[i]),
            price=price[i],
            price_per_sqft=round(price[i] / sqft[i], 2) if sqft[i] else None,
            sqft=sqft[i],
            bedrooms=bedrooms[i],
            bathrooms=bathrooms[i],
            year_built=year_built[i],
            distance_km=kilometres[i],
            similarity=similar[i],
            latitude=latitude[i],
            longitude=longitude[i],
        )
        for i in range(flat.size)
    ]
    width = rows.shape[1]
    return [made[start : start + width] for start in range(0, len(made), width)]
