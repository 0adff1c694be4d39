"""Offline reference data by ZIP code, read from the configured data folder.

- `uszips.csv`: ZIP centroid, city, state, county, population, density, time zone.
- `ACS_16_5YR_B19013_with_ann.csv`: US Census ACS 2012-2016 5-year estimate of median
  household income by ZCTA (table B19013).
- `acs2013_zcta_demographics.csv`: ACS 2009-2013 ZCTA demographics (median *contract* rent,
  per-capita income, median age, population).

These are the enricher's offline source of demographics: the ACS API, when enabled and
answering, gives fresher and fuller figures. Where a file is absent the platform says so
(`missing`) and enriches without it: it never invents values. A value the Census
suppressed (`-`, `NA`) is left out; a top-coded one (`250,000+`) is kept at its code with
a flag.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("reos.enricher.reference")

USZIPS = "uszips.csv"
ACS_INCOME = "ACS_16_5YR_B19013_with_ann.csv"
ACS_DEMOGRAPHICS = "acs2013_zcta_demographics.csv"

SOURCE_NAMES = {
    USZIPS: "zip_centroids",
    ACS_INCOME: "census_acs_2016_b19013",
    ACS_DEMOGRAPHICS: "census_acs_2013_zcta",
}


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


@dataclass
class ReferenceData:
    zips: dict[str, dict[str, Any]] = field(default_factory=dict)
    income: dict[str, dict[str, Any]] = field(default_factory=dict)
    demographics: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> ReferenceData:
        data = cls()
        readers = {
            USZIPS: data._read_zips,
            ACS_INCOME: data._read_income,
            ACS_DEMOGRAPHICS: data._read_demographics,
        }
        for name, read in readers.items():
            path = folder / name
            if path.is_file():
                with path.open(newline="", encoding="utf-8") as handle:
                    read(handle)
            else:
                data.missing.append(name)
                log.warning(
                    "reference file missing; enrichment continues without it",
                    extra={"path": str(path), "hint": "set REOS_DATA_DIR"},
                )
        return data

    def _read_zips(self, handle: Any) -> None:
        for row in csv.DictReader(handle):
            self.zips[row["zip"]] = {
                "latitude": _float(row["lat"]),
                "longitude": _float(row["lng"]),
                "city": row["city"],
                "state": row["state_id"],
                "county": row["county_name"],
                "county_fips": row["county_fips"].zfill(5) if row["county_fips"] else None,
                "population": _float(row["population"]),
                "density_per_km2": _float(row["density"]),
                "timezone": row["timezone"],
            }

    def _read_income(self, handle: Any) -> None:
        rows = csv.reader(handle)
        next(rows)
        next(rows)
        for row in rows:
            zcta, estimate, margin = row[1], row[3], row[4]
            if estimate in ("-", ""):
                continue
            top_coded = estimate.endswith("+")
            value = _float(estimate.rstrip("+").replace(",", ""))
            if value is None:
                continue
            self.income[zcta] = {
                "median_household_income": value,
                "median_household_income_moe": _float(margin.replace(",", "")),
                "median_household_income_top_coded": top_coded,
            }

    def _read_demographics(self, handle: Any) -> None:
        for row in csv.DictReader(handle):
            self.demographics[row["region"]] = {
                "total_population": _float(row["total_population"]),
                "per_capita_income": _float(row["per_capita_income"]),
                "median_rent": _float(row["median_rent"]),
                "median_age": _float(row["median_age"]),
            }

    def offline_demographics(self, zcta: str) -> tuple[dict[str, Any], list[str]]:
        """The offline files' figures for a ZCTA and the names of the files that had it."""
        figures: dict[str, Any] = {}
        found: list[str] = []
        for table, source_file in (
            (self.income, ACS_INCOME),
            (self.demographics, ACS_DEMOGRAPHICS),
        ):
            if zcta in table:
                figures.update(table[zcta])
                found.append(SOURCE_NAMES[source_file])
        if figures.get("total_population") is not None:
            figures["population"] = figures["total_population"]
        return figures, found

    def sources(self) -> list[str]:
        return [SOURCE_NAMES[name] for name in SOURCE_NAMES if name not in self.missing]
