"""Completeness of a property record: the platform's one definition.

A record is complete to the extent its key facts are known: the share of
`COMPLETENESS_FIELDS` that are not None, in percent. The enricher measures it for every
property it writes (`enrichment_data["quality"]["completeness_percent"]` and the
`completeness/property_fields` row of `data_quality_metrics`); the gateway and the scorer
read that figure or call `completeness` on a `properties` row, so all three agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COMPLETENESS_FIELDS: tuple[str, ...] = (
    "address",
    "city",
    "state",
    "zip_code",
    "property_type",
    "bedrooms",
    "bathrooms",
    "sqft",
    "lot_size",
    "year_built",
    "price",
    "latitude",
    "longitude",
)
COMPLETENESS_THRESHOLD = 80.0


@dataclass(frozen=True)
class Completeness:
    percent: float
    missing: tuple[str, ...]

    @property
    def is_passing(self) -> bool:
        return self.percent >= COMPLETENESS_THRESHOLD


def completeness(record: Mapping[str, Any]) -> Completeness:
    """How complete a `properties` row (or its column dict) is."""
    missing = tuple(name for name in COMPLETENESS_FIELDS if record.get(name) is None)
    known = len(COMPLETENESS_FIELDS) - len(missing)
    return Completeness(round(100.0 * known / len(COMPLETENESS_FIELDS), 2), missing)
