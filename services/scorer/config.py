"""The scorer's own knobs (environment variables), beside the shared `Settings`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.scorer.roi import DEFAULT_ASSUMPTIONS, Assumptions


class ScorerConfig(BaseSettings):
    """When properties are valued, under which investment assumptions, and how often the
    service looks for a newly promoted model.

    `REOS_SCORER_VALUATION_DATE` (default: today) is the day values, rents and returns are
    stated for; a market made of past sales (the demo market is built from King County's
    2014-15 sales) is valued on its own date. `REOS_SCORER_ASSUMPTIONS` is a JSON object
    overriding any of `roi.Assumptions` (e.g. `{"mortgage_rate": 0.065}`).
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    valuation_date: date | None = Field(None, alias="REOS_SCORER_VALUATION_DATE")
    assumption_overrides: dict[str, Any] = Field(
        default_factory=dict, alias="REOS_SCORER_ASSUMPTIONS"
    )
    model_refresh_seconds: float = Field(30.0, gt=0, alias="REOS_SCORER_MODEL_REFRESH_SECONDS")
    rental_comparables_per_zip: int = Field(50, ge=0, alias="REOS_SCORER_RENTAL_COMPARABLES")
    batch_size: int = Field(50, ge=1, le=2000, alias="REOS_SCORER_BATCH_SIZE")
    """Most `property.enriched` events scored in one transaction: larger batches cost less
    per property, smaller ones answer sooner (measured: 50 scores 5 % fewer a second than
    100, in half the time a batch)."""
    batch_consumers: int = Field(1, ge=1, le=16, alias="REOS_SCORER_BATCH_CONSUMERS")
    """Batches scored at once by one process (consumers of the group, each with its own
    partitions): one is valued while another is written. Two raise one process's rate by
    about a seventh and its batches' latency by half; one process per core (replicas)
    doubles the rate."""

    @field_validator("assumption_overrides")
    @classmethod
    def _known_assumptions(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        try:
            replace(DEFAULT_ASSUMPTIONS, **overrides)
        except TypeError as error:
            raise ValueError(f"unknown assumption in REOS_SCORER_ASSUMPTIONS: {error}") from None
        return overrides

    def as_of(self) -> date:
        return self.valuation_date or date.today()

    def assumptions(self) -> Assumptions:
        return replace(DEFAULT_ASSUMPTIONS, **self.assumption_overrides)
