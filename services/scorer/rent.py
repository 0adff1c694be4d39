"""A monthly rent estimate for a home, with a low/high band and the evidence behind it.

Pure: the caller reads the Census table and the platform's rental listings and passes the
numbers in; nothing here does I/O. The figure is an estimate, said so in its `basis`.

Three methods, each a named rule, combined in log space:
- `census_zip_median`: the ZIP's median contract rent (Census ACS 2009-2013 5-year,
  table B25058, in 2013 dollars; 2001 means "2,000 or more"), brought to the valuation
  year with the CPI rent index, then scaled to the home: by floor area with
  `SIZE_ELASTICITY` (by bedroom count with `BEDROOM_RATIOS` when the area is unknown),
  by bathrooms with `BATHROOM_STEP`, and by `PROPERTY_TYPE_FACTORS`. Contract rent is
  what the landlord receives; gross rent adds the utilities a tenant pays to others, so
  it is deliberately not the basis of a landlord's income.
- `rent_to_value`: the estimated value times a monthly rent-to-value ratio that falls as
  value rises (rent grows more slowly than value: `RENT_VALUE_ELASTICITY`). It brings the
  home's quality and location within the ZIP, which the ZIP median cannot see.
- `comparables`: the platform's own rental listings, each scaled to the home's size and
  weighted by distance; their weighted median, trusted in proportion to their number
  (`COMPARABLE_CREDIBILITY`), pulls the estimate toward what the market asks now.

The band combines each method's own uncertainty with their disagreement. It is a spread
of plausible rents, not a calibrated interval: the platform has no rent outcomes to
calibrate it against yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.scorer.records import plain

CENSUS_RENT_YEAR = 2013
"""ACS 2009-2013 5-year dollar figures are expressed in 2013 dollars."""
CENSUS_RENT_TOP_CODE = 2001.0
"""The value the table writes for a median of $2,000 or more (B25058's top code)."""

US_RENT_INDEX: Mapping[int, float] = {
    2013: 266.3,
    2014: 274.4,
    2015: 284.1,
    2016: 295.0,
    2017: 306.4,
    2018: 317.8,
    2019: 329.3,
    2020: 340.4,
    2021: 347.7,
    2022: 366.1,
    2023: 395.4,
    2024: 420.5,
    2025: 435.5,
}
"""Annual averages (1982-84 = 100), rounded, of BLS CPI-U "Rent of primary residence",
U.S. city average (series CUUR0000SEHA). Years outside the table use its nearest year.
A market with its own BLS area index can pass that instead (`rent_index`)."""

REFERENCE_SQFT = 1_000.0
"""Floor area of the ZIP's median rental unit: a two-bedroom apartment (two bedrooms is
the commonest renter-occupied unit in ACS table B25042). Platform assumption."""
REFERENCE_BEDROOMS = 2
REFERENCE_BATHROOMS = 1.0
SIZE_ELASTICITY = 0.5
"""Rent rises with the square root of floor area: doubling the area adds about 41 %,
because rent per square foot falls as homes get bigger. Platform assumption."""
SQFT_RANGE = (300.0, 10_000.0)
"""Floor areas outside this range are held at its ends before scaling."""
BEDROOM_RATIOS: Mapping[int, float] = {0: 0.80, 1: 0.88, 2: 1.00, 3: 1.30, 4: 1.50, 5: 1.70}
"""Rent relative to a two-bedroom unit when the floor area is unknown; rounded from the
bedroom ratios HUD applies to its Fair Market Rents. More than 5 bedrooms counts as 5."""
BATHROOM_STEP = 0.03
"""Each bathroom beyond one adds 3 % (up to `MAX_BATHROOMS`). Platform assumption."""
MAX_BATHROOMS = 4.0
PROPERTY_TYPE_FACTORS: Mapping[str, float] = {
    "single_family": 1.10,
    "townhouse": 1.05,
    "condo": 1.00,
    "apartment": 1.00,
    "multi_family": 1.00,
    "manufactured": 0.80,
}
"""Rent relative to an apartment of the same size: a house's yard, privacy and parking
earn a premium, a manufactured home a discount. Platform assumption. Land has no rent."""
UNKNOWN_TYPE_FACTOR = 1.0

RENT_TO_VALUE_AT_REFERENCE = 0.0057
"""Monthly rent / value of a typical US home: about $2,000 a month (Zillow Observed Rent
Index, 2024) against about $350,000 (Zillow Home Value Index, 2024)."""
REFERENCE_VALUE = 350_000.0
RENT_VALUE_ELASTICITY = 0.6
"""Rent grows as value^0.6, so the rent-to-value ratio falls as value rises. Across the 69
King County ZIPs with an untop-coded median, Census median rent grows as the ZIP's median
sale price^0.34 (platform measurement, ACS 2009-2013 x King County sales 2014-15); within
an area rent follows a home's value more closely. Platform assumption."""

AREA_METHOD_BAND = 0.25
"""Log half-width of the Census method alone: a ZIP median is a coarse guide to one home."""
VALUE_METHOD_BAND = 0.25
"""Log half-width of the rent-to-value method alone."""
SIZE_UNKNOWN_BAND = 0.15
"""Added (in quadrature) to the Census method's band when neither area nor bedrooms are known."""
COMPARABLE_MIN_BAND = 0.10
"""The comparables' band is their weighted log spread, never narrower than this."""
MIN_COMPARABLES = 3
"""Fewer rental listings than this are not used: one or two asking rents are anecdotes."""
COMPARABLE_CREDIBILITY = 5.0
"""n comparables get weight n / (n + 5) against the other methods (credibility weighting)."""
COMPARABLE_DISTANCE_SCALE_MILES = 1.0
"""A comparable's weight is 1 / (1 + (distance / 1 mile)^2)."""
COMPARABLE_WEIGHT_WITHOUT_DISTANCE = 0.5
"""A comparable with no distance but the same ZIP counts like one a mile away."""
COMPARABLE_WEIGHT_ELSEWHERE = 0.2
"""A comparable with neither a distance nor the home's ZIP counts like one two miles away."""
RENTLESS_PROPERTY_TYPES = frozenset({"land"})


@dataclass(frozen=True)
class Home:
    """What the rent depends on. `estimated_value` is the AVM's, never the asking price."""

    sqft: float | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    property_type: str | None = None
    zip_code: str | None = None
    estimated_value: float | None = None


@dataclass(frozen=True)
class AreaRent:
    """The ZIP's median contract rent as the Census table states it."""

    zip_code: str
    median_contract_rent: float
    survey_year: int = CENSUS_RENT_YEAR

    @property
    def top_coded(self) -> bool:
        return self.median_contract_rent >= CENSUS_RENT_TOP_CODE


@dataclass(frozen=True)
class RentalComparable:
    """A rental listing on the platform: its asking rent is evidence of the market's."""

    monthly_rent: float
    sqft: float | None = None
    bedrooms: int | None = None
    zip_code: str | None = None
    distance_miles: float | None = None


@dataclass(frozen=True)
class MethodEstimate:
    method: str
    monthly_rent: float
    weight: float
    band: float
    factors: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RentEstimate:
    """The estimate, its band, and each method with the inputs and factors it used."""

    monthly_rent: float
    low: float
    high: float
    methods: tuple[MethodEstimate, ...]
    home: Home
    valuation_year: int
    basis: str = "estimate"

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


def rent_index_factor(
    from_year: int, to_year: int, rent_index: Mapping[int, float] = US_RENT_INDEX
) -> float:
    """How much rents grew from one year to another by the index (nearest known years)."""
    return _index_at(rent_index, to_year) / _index_at(rent_index, from_year)


def size_factor(sqft: float | None, bedrooms: int | None) -> float | None:
    """Rent relative to the reference two-bedroom unit; None when the size is unknown."""
    if sqft is not None and sqft > 0:
        low, high = SQFT_RANGE
        return (min(max(sqft, low), high) / REFERENCE_SQFT) ** SIZE_ELASTICITY
    if bedrooms is not None and bedrooms >= 0:
        return BEDROOM_RATIOS[min(bedrooms, max(BEDROOM_RATIOS))]
    return None


def bathroom_factor(bathrooms: float | None) -> float:
    if bathrooms is None:
        return 1.0
    extra = min(max(bathrooms, REFERENCE_BATHROOMS), MAX_BATHROOMS) - REFERENCE_BATHROOMS
    return 1.0 + BATHROOM_STEP * extra


def property_type_factor(property_type: str | None) -> float:
    return PROPERTY_TYPE_FACTORS.get(property_type or "", UNKNOWN_TYPE_FACTOR)


def rent_to_value_ratio(value: float) -> float:
    """Monthly rent per dollar of value: 0.57 % at $350,000, falling as value rises."""
    return RENT_TO_VALUE_AT_REFERENCE * (value / REFERENCE_VALUE) ** (RENT_VALUE_ELASTICITY - 1)


def census_method(
    home: Home,
    area: AreaRent,
    valuation_year: int,
    rent_index: Mapping[int, float] = US_RENT_INDEX,
) -> MethodEstimate:
    indexed = rent_index_factor(area.survey_year, valuation_year, rent_index)
    size = size_factor(home.sqft, home.bedrooms)
    baths = bathroom_factor(home.bathrooms)
    kind = property_type_factor(home.property_type)
    base = min(area.median_contract_rent, CENSUS_RENT_TOP_CODE - 1)
    rent = base * indexed * (size or 1.0) * baths * kind
    band = AREA_METHOD_BAND if size is not None else math.hypot(AREA_METHOD_BAND, SIZE_UNKNOWN_BAND)
    return MethodEstimate(
        "census_zip_median",
        rent,
        weight=1.0,
        band=band,
        factors={
            "zip_code": area.zip_code,
            "zip_median_contract_rent": area.median_contract_rent,
            "top_coded": area.top_coded,
            "survey_year": area.survey_year,
            "rent_index_factor": round(indexed, 4),
            "size_factor": None if size is None else round(size, 4),
            "bathroom_factor": round(baths, 4),
            "property_type_factor": kind,
        },
    )


def value_method(estimated_value: float) -> MethodEstimate:
    ratio = rent_to_value_ratio(estimated_value)
    return MethodEstimate(
        "rent_to_value",
        estimated_value * ratio,
        weight=1.0,
        band=VALUE_METHOD_BAND,
        factors={"estimated_value": estimated_value, "rent_to_value_ratio": round(ratio, 6)},
    )


def comparables_method(home: Home, comparables: Sequence[RentalComparable]) -> MethodEstimate:
    """The distance-weighted median of the comparables' rents, each scaled to the home."""
    scaled = [(_scaled_to(home, comp), _comparable_weight(home, comp)) for comp in comparables]
    rent = _weighted_median(scaled)
    spread = math.sqrt(
        sum(w * math.log(r / rent) ** 2 for r, w in scaled) / sum(w for _, w in scaled)
    )
    return MethodEstimate(
        "comparables",
        rent,
        weight=len(comparables) / (len(comparables) + COMPARABLE_CREDIBILITY),
        band=max(spread, COMPARABLE_MIN_BAND),
        factors={"count": len(comparables), "log_spread": round(spread, 4)},
    )


def estimate_rent(
    home: Home,
    area: AreaRent | None,
    valuation_year: int,
    comparables: Sequence[RentalComparable] = (),
    rent_index: Mapping[int, float] = US_RENT_INDEX,
) -> RentEstimate | None:
    """The home's monthly rent in `valuation_year` dollars; None when nothing informs it.

    The Census and rent-to-value methods share the weight left by the comparables. A
    top-coded ZIP median only says "at least $2,000", so there the Census estimate is a
    floor under the others rather than one of them.
    """
    if home.property_type in RENTLESS_PROPERTY_TYPES:
        return None
    usable = [comp for comp in comparables if comp.monthly_rent > 0]
    known_area = area if area and area.median_contract_rent > 0 else None
    census = census_method(home, known_area, valuation_year, rent_index) if known_area else None
    value = (
        value_method(home.estimated_value)
        if home.estimated_value and home.estimated_value > 0
        else None
    )
    market = comparables_method(home, usable) if len(usable) >= MIN_COMPARABLES else None
    area_floor = census if known_area and known_area.top_coded and value else None
    shared = [m for m in (census, value) if m is not None and m is not area_floor]
    if market and not shared:
        market = _with_weight(market, 1.0)
    share = (1.0 - market.weight if market else 1.0) / max(len(shared), 1)
    methods = [_with_weight(m, share) for m in shared] + ([market] if market else [])
    if not methods:
        return None
    log_rent = sum(m.weight * math.log(m.monthly_rent) for m in methods)
    own = sum(m.weight * m.band**2 for m in methods)
    disagreement = sum(m.weight * (math.log(m.monthly_rent) - log_rent) ** 2 for m in methods)
    rent = math.exp(log_rent)
    if area_floor:
        rent = max(rent, area_floor.monthly_rent)
        methods.append(_with_weight(area_floor, 0.0))
    half_width = math.sqrt(own + disagreement)
    return RentEstimate(
        monthly_rent=round(rent),
        low=round(rent * math.exp(-half_width)),
        high=round(rent * math.exp(half_width)),
        methods=tuple(_rounded(m) for m in methods),
        home=home,
        valuation_year=valuation_year,
    )


def _index_at(rent_index: Mapping[int, float], year: int) -> float:
    """The index in `year`, or in the nearest year it has."""
    if year in rent_index:
        return rent_index[year]
    nearest = min(rent_index, key=lambda known: abs(known - year))
    return rent_index[nearest]


def _scaled_to(home: Home, comp: RentalComparable) -> float:
    home_size = size_factor(home.sqft, home.bedrooms)
    if home.sqft and comp.sqft:
        comp_size = size_factor(comp.sqft, None)
    elif home.bedrooms is not None and comp.bedrooms is not None:
        home_size = size_factor(None, home.bedrooms)
        comp_size = size_factor(None, comp.bedrooms)
    else:
        return comp.monthly_rent
    return comp.monthly_rent * (home_size or 1.0) / (comp_size or 1.0)


def _comparable_weight(home: Home, comp: RentalComparable) -> float:
    if comp.distance_miles is not None:
        return 1.0 / (1.0 + (max(comp.distance_miles, 0.0) / COMPARABLE_DISTANCE_SCALE_MILES) ** 2)
    if home.zip_code and comp.zip_code == home.zip_code:
        return COMPARABLE_WEIGHT_WITHOUT_DISTANCE
    return COMPARABLE_WEIGHT_ELSEWHERE


def _weighted_median(values: Sequence[tuple[float, float]]) -> float:
    ordered = sorted(values)
    half = sum(weight for _, weight in ordered) / 2
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= half:
            return value
    return ordered[-1][0]


def _with_weight(method: MethodEstimate, weight: float) -> MethodEstimate:
    return MethodEstimate(method.method, method.monthly_rent, weight, method.band, method.factors)


def _rounded(method: MethodEstimate) -> MethodEstimate:
    return MethodEstimate(
        method.method,
        round(method.monthly_rent, 2),
        round(method.weight, 4),
        round(method.band, 4),
        method.factors,
    )
