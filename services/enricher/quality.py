"""Validation rules and completeness of an enriched property. Pure: no I/O.

Completeness is the platform's one definition (`shared.completeness`); the validation
rules are the enricher's: a value outside its rule's range is reported, not changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.completeness import COMPLETENESS_THRESHOLD, completeness

VALIDITY_THRESHOLD = 100.0


def _between(name: str, low: float, high: float) -> Callable[[dict[str, Any]], bool]:
    def rule(columns: dict[str, Any]) -> bool:
        value = columns.get(name)
        return value is None or low <= value <= high

    return rule


def _address_parsed(columns: dict[str, Any]) -> bool:
    return columns.get("address_kind") != "unparsed"


RULES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "address_parsed": _address_parsed,
    "price_in_range": _between("price", 1_000, 500_000_000),
    "sqft_in_range": _between("sqft", 100, 100_000),
    "bedrooms_in_range": _between("bedrooms", 0, 50),
    "bathrooms_in_range": _between("bathrooms", 0, 50),
    "year_built_in_range": _between("year_built", 1600, date.today().year + 2),
    "latitude_in_range": _between("latitude", -90, 90),
    "longitude_in_range": _between("longitude", -180, 180),
}


@dataclass(frozen=True)
class QualityMeasure:
    metric_type: str
    metric_name: str
    value: float
    threshold: float
    details: dict[str, Any]

    @property
    def is_passing(self) -> bool:
        return self.value >= self.threshold


def measure(columns: dict[str, Any]) -> list[QualityMeasure]:
    complete = completeness(columns)
    failed = sorted(name for name, rule in RULES.items() if not rule(columns))
    return [
        QualityMeasure(
            "completeness",
            "property_fields",
            complete.percent,
            COMPLETENESS_THRESHOLD,
            {"missing": list(complete.missing)},
        ),
        QualityMeasure(
            "validation",
            "property_rules",
            round(100.0 * (len(RULES) - len(failed)) / len(RULES), 2),
            VALIDITY_THRESHOLD,
            {"failed_rules": failed},
        ),
    ]


def quality_summary(measures: list[QualityMeasure]) -> dict[str, Any]:
    """What the next stages read of a record's quality (its `measure`s): its completeness
    and broken rules."""
    completeness_measure, validation = measures
    return {
        "completeness_percent": completeness_measure.value,
        "missing": completeness_measure.details["missing"],
        "failed_rules": validation.details["failed_rules"],
    }
