"""Training and judging the AVM on a forward, time-based split.

The last `test_months` calendar months of the sales are the test period; the model learns
only from earlier sales and is judged on the later ones, each valued on its sale day from
the sales known before the test period (the way a deployed model meets new sales). The
band is conformal: its offsets are the 10th/90th percentiles of the log errors on a
calibration slice (the last months before the test period) of a model that did not learn
from that slice. The production model learns from every sale; its band comes from the
evaluated model's errors on the test period, the most recent forward errors there are.

Metrics, as valuation is usually judged: MdAPE and MAPE (median/mean absolute percentage
error), PPE5/10/20 (share of estimates within 5/10/20 % of the price), R² of the prices
and the share of prices inside the P10-P90 band (80 % is the aim). The baseline is the
area (ZIP) median $/sq ft of earlier sales times the home's size.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import xgboost as xgb

from services.scorer.avm import Band, BoostingSettings, Valuer, hide_facts
from services.scorer.features import FACT_GROUPS, Floats, NeighbourhoodSettings, day_number
from services.scorer.sales import Sale

BAND_QUANTILES = (0.1, 0.9)
METRIC_NAMES = ("n", "mdape", "mape", "ppe5", "ppe10", "ppe20", "r2", "interval_coverage")


@dataclass(frozen=True)
class Metrics:
    """Accuracy on a set of sales; percentages are 0-100, `interval_coverage` is None
    for a method without a band."""

    n: int
    mdape: float
    mape: float
    ppe5: float
    ppe10: float
    ppe20: float
    r2: float
    interval_coverage: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(
    prices: Floats, estimates: Floats, low: Floats | None = None, high: Floats | None = None
) -> Metrics:
    """Metrics of `estimates` against `prices` over the sales that have an estimate."""
    valued = np.isfinite(estimates)
    prices, estimates = prices[valued], estimates[valued]
    if prices.size == 0:
        raise ValueError("no sale could be valued")
    error = np.abs(estimates - prices) / prices
    residual = ((prices - estimates) ** 2).sum()
    spread = ((prices - prices.mean()) ** 2).sum()
    coverage = None
    if low is not None and high is not None:
        inside = (low[valued] <= prices) & (prices <= high[valued])
        coverage = round(100.0 * float(inside.mean()), 2)
    return Metrics(
        n=int(prices.size),
        mdape=round(100.0 * float(np.median(error)), 2),
        mape=round(100.0 * float(error.mean()), 2),
        ppe5=round(100.0 * float((error <= 0.05).mean()), 2),
        ppe10=round(100.0 * float((error <= 0.10).mean()), 2),
        ppe20=round(100.0 * float((error <= 0.20).mean()), 2),
        r2=round(1.0 - float(residual / spread), 4) if spread > 0 else math.nan,
        interval_coverage=coverage,
    )


def prices_of(sales: Sequence[Sale]) -> Floats:
    return np.array([sale.price for sale in sales], dtype=np.float64)


def evaluate(valuer: Valuer, sales: Sequence[Sale]) -> Metrics:
    """The valuer's metrics on `sales`, each valued on its own sale day."""
    estimates = valuer.value_sales(sales)
    return measure(prices_of(sales), estimates.value, estimates.low, estimates.high)


def area_median_baseline(earlier: Sequence[Sale], later: Sequence[Sale]) -> Metrics:
    """The comparison method: median $/sq ft of the area's earlier sales times size."""
    per_area: dict[str, list[float]] = {}
    for sale in earlier:
        if sale.home.area and sale.price_per_sqft:
            per_area.setdefault(sale.home.area, []).append(sale.price_per_sqft)
    medians = {area: float(np.median(values)) for area, values in per_area.items()}
    estimates = np.array(
        [
            medians[sale.home.area] * sale.home.sqft
            if sale.home.area in medians and sale.home.sqft
            else np.nan
            for sale in later
        ]
    )
    return measure(prices_of(later), estimates)


def month_start(day: date, months_back: int) -> date:
    """The first day of the month `months_back` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def split_by_time(sales: Sequence[Sale], start: date) -> tuple[list[Sale], list[Sale]]:
    """Sales before `start` and sales on or after it."""
    return (
        [sale for sale in sales if sale.sale_date < start],
        [sale for sale in sales if sale.sale_date >= start],
    )


def fingerprint(sales: Sequence[Sale]) -> str:
    """sha256 of the sales as the model saw them (facts, price, day), in date order:
    the same sales give the same fingerprint whatever file or database they came from."""
    digest = hashlib.sha256()
    for sale in sorted(sales, key=lambda s: (s.sale_date, s.home.parcel_id or "", s.price)):
        record = {**asdict(sale.home), "price": sale.price, "sale_date": sale.sale_date.isoformat()}
        digest.update(json.dumps(record, sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def unseen_sales(valuer: Valuer, sales: Sequence[Sale]) -> list[Sale]:
    """The sales that are not among the valuer's reference (training) sales."""
    reference = valuer.reference
    known = set(
        zip(
            reference.parcels.tolist(),
            reference.day.astype(np.int64).tolist(),
            reference.columns["price"].tolist(),
            strict=True,
        )
    )
    return [
        sale
        for sale in sales
        if (sale.home.parcel_id or "", day_number(sale.sale_date), sale.price) not in known
    ]


def log_errors(valuer: Valuer, sales: Sequence[Sale]) -> Floats:
    """log(price) - log(estimate) of each sale that could be valued."""
    estimates = valuer.value_sales(sales).value
    errors = np.log(prices_of(sales)) - np.log(estimates)
    return errors[np.isfinite(errors)]


def calibrate_band(valuer: Valuer, later: Sequence[Sale]) -> Band:
    """The band from the valuer's errors on `later` sales it did not learn from, for
    complete homes and for homes missing each group of facts."""
    low_q, high_q = BAND_QUANTILES
    errors = log_errors(valuer, later)
    widened = {}
    for group in FACT_GROUPS:
        hidden = [Sale(hide_facts(sale.home, group), sale.price, sale.sale_date) for sale in later]
        group_errors = log_errors(valuer, hidden)
        if group_errors.size:
            widened[group] = (
                float(np.quantile(group_errors, low_q)),
                float(np.quantile(group_errors, high_q)),
            )
    return Band(float(np.quantile(errors, low_q)), float(np.quantile(errors, high_q)), widened)


@dataclass(frozen=True)
class TrainingPlan:
    """How a model is trained and judged: the test and calibration periods in months."""

    test_months: int = 2
    calibration_months: int = 2
    boosting: BoostingSettings = field(default_factory=BoostingSettings)
    neighbourhood: NeighbourhoodSettings = field(default_factory=NeighbourhoodSettings)


@dataclass(frozen=True)
class TrainingReport:
    """The production valuer and what is known about it."""

    valuer: Valuer
    test: Metrics
    baseline: Metrics
    test_start: date
    calibration_start: date
    train_sales: int
    test_sales: int

    def metrics(self) -> dict[str, Any]:
        return {
            "test": self.test.as_dict(),
            "baseline_area_median_ppsf": self.baseline.as_dict(),
            "test_start": self.test_start.isoformat(),
            "calibration_start": self.calibration_start.isoformat(),
            "train_sales": self.train_sales,
            "test_sales": self.test_sales,
        }


class ProgressCallback(xgb.callback.TrainingCallback):
    """Reports each boosting round to `advance` (e.g. a progress bar's `update`)."""

    def __init__(self, advance: Any) -> None:
        super().__init__()
        self.advance = advance

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.advance(1)
        return False


def train(
    sales: Sequence[Sale],
    version: str,
    plan: TrainingPlan | None = None,
    callbacks: Sequence[xgb.callback.TrainingCallback] = (),
) -> TrainingReport:
    """Calibrate, evaluate on the forward test period, then fit on every sale.

    Three fits: on sales before the calibration slice (its errors give the evaluated
    model's band), on sales before the test period (the evaluated model) and on all sales
    (production, banded by the evaluated model's test errors). `callbacks` see each fit.
    """
    plan = plan or TrainingPlan()
    sales = sorted(sales, key=lambda sale: sale.sale_date)
    last_day = sales[-1].sale_date
    test_start = month_start(last_day, plan.test_months - 1)
    calibration_start = month_start(test_start, plan.calibration_months)
    earlier, later = split_by_time(sales, test_start)
    before_calibration, calibration = split_by_time(earlier, calibration_start)
    if not later or not calibration or not before_calibration:
        raise ValueError(
            f"{len(sales)} sales from {sales[0].sale_date} to {last_day} are too few months "
            f"for {plan.calibration_months} calibration and {plan.test_months} test months"
        )

    def fit(chosen: Sequence[Sale], band: Band | None = None) -> Valuer:
        return Valuer.fit(
            chosen, version, plan.boosting, plan.neighbourhood, band, callbacks=callbacks
        )

    calibration_band = calibrate_band(fit(before_calibration), calibration)
    evaluated = fit(earlier, calibration_band)
    test = evaluate(evaluated, later)
    production = fit(sales, calibrate_band(evaluated, later))
    return TrainingReport(
        valuer=production,
        test=test,
        baseline=area_median_baseline(earlier, later),
        test_start=test_start,
        calibration_start=calibration_start,
        train_sales=len(earlier),
        test_sales=len(later),
    )
