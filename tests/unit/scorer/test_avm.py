"""The AVM learns a market, beats the area median, explains itself and keeps its band."""

from __future__ import annotations

import io
import json
import math
import time
import zipfile
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
import xgboost as xgb

from services.scorer.avm import ARTIFACT_FORMAT, ArtifactMismatch, BoostingSettings, Valuer
from services.scorer.sales import Home
from services.scorer.training import (
    area_median_baseline,
    calibrate_band,
    evaluate,
    split_by_time,
)
from tests.unit.scorer.synthetic_sales import START, synthetic_sales

SALES = synthetic_sales(3000, days=300)
FAST = BoostingSettings(rounds=150, learning_rate=0.1, threads=1)
TEST_START = START + timedelta(days=240)
CALIBRATION_START = START + timedelta(days=180)


@pytest.fixture(scope="module")
def valuer() -> Valuer:
    earlier, _ = split_by_time(SALES, TEST_START)
    before_calibration, calibration = split_by_time(earlier, CALIBRATION_START)
    band = calibrate_band(Valuer.fit(before_calibration, "calibration", FAST), calibration)
    return Valuer.fit(earlier, "test-v1", FAST, band=band)


def test_training_on_three_thousand_sales_takes_under_five_seconds() -> None:
    earlier, _ = split_by_time(SALES, TEST_START)
    started = time.perf_counter()
    Valuer.fit(earlier, "timed", FAST)
    assert time.perf_counter() - started < 5.0


def test_the_model_beats_the_area_median_price_per_sqft_on_later_sales(valuer: Valuer) -> None:
    earlier, later = split_by_time(SALES, TEST_START)

    model = evaluate(valuer, later)
    baseline = area_median_baseline(earlier, later)

    assert model.mdape < baseline.mdape
    assert model.ppe10 > baseline.ppe10
    assert model.r2 > baseline.r2


def test_the_band_holds_about_eighty_percent_of_later_prices(valuer: Valuer) -> None:
    _, later = split_by_time(SALES, TEST_START)

    coverage = evaluate(valuer, later).interval_coverage

    assert coverage is not None and 65 <= coverage <= 95


def test_every_valuation_lies_inside_its_band(valuer: Valuer) -> None:
    _, later = split_by_time(SALES, TEST_START)

    valuations = valuer.value([sale.home for sale in later[:50]], later[-1].sale_date)

    for valuation in valuations:
        assert valuation.value_low is not None and valuation.value_high is not None
        assert valuation.value_low < valuation.estimated_value < valuation.value_high


def test_contributions_add_up_to_the_valuation(valuer: Valuer) -> None:
    home = SALES[-1].home
    features = valuer.estimate([home], np.array([float(SALES[-1].sale_date.toordinal())]))
    contributions = valuer.booster.predict(
        xgb.DMatrix(features.features.values, feature_names=valuer.booster.feature_names),
        pred_contribs=True,
    )
    log_value = features.features.baseline[0] + contributions[0].sum()

    assert math.exp(log_value) == pytest.approx(features.value[0], rel=1e-4)


def test_a_valuation_names_its_largest_contributions_and_comparables(valuer: Valuer) -> None:
    (valuation,) = valuer.value([SALES[-1].home], SALES[-1].sale_date)

    assert valuation.model_version == "test-v1"
    assert len(valuation.contributions) == 6
    effects = [abs(c.log_effect) for c in valuation.contributions]
    assert effects == sorted(effects, reverse=True)
    assert valuation.comparables
    assert all(c.sale_date < SALES[-1].sale_date for c in valuation.comparables)


def test_a_home_without_size_is_valued_with_a_wider_band(valuer: Valuer) -> None:
    home = SALES[-1].home
    full, sizeless = valuer.value([home, replace(home, sqft=None)], SALES[-1].sale_date)

    assert sizeless.estimated_value is not None
    assert sizeless.missing_facts == ("sqft",)
    assert full.value_low and full.value_high and sizeless.value_low and sizeless.value_high
    assert sizeless.value_high / sizeless.value_low > full.value_high / full.value_low


def test_a_home_without_any_location_is_not_valued(valuer: Valuer) -> None:
    (valuation,) = valuer.value([Home(sqft=1800, bedrooms=3)], SALES[-1].sale_date)

    assert valuation.estimated_value is None
    assert valuation.reason is not None and "location" in valuation.reason


def test_a_valuer_survives_its_byte_form_unchanged(valuer: Valuer) -> None:
    homes = [sale.home for sale in SALES[-20:]]
    restored = Valuer.from_bytes(valuer.to_bytes())

    original = valuer.value(homes, SALES[-1].sale_date)
    again = restored.value(homes, SALES[-1].sale_date)

    assert restored.version == valuer.version
    assert restored.band == valuer.band
    assert [v.estimated_value for v in again] == [v.estimated_value for v in original]
    assert [v.comparables for v in again] == [v.comparables for v in original]


def test_an_artifact_of_another_format_is_refused_as_a_mismatch(valuer: Valuer) -> None:
    stored = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(valuer.to_bytes())) as original,
        zipfile.ZipFile(stored, "w") as older,
    ):
        for name in original.namelist():
            content = original.read(name)
            if name == "manifest.json":
                manifest = json.loads(content)
                content = json.dumps({**manifest, "format": ARTIFACT_FORMAT - 1}).encode()
            older.writestr(name, content)

    with pytest.raises(ArtifactMismatch, match="format"):
        Valuer.from_bytes(stored.getvalue())
    with pytest.raises(ArtifactMismatch):
        Valuer.from_bytes(b"not a zip")
