"""The automated valuation model (AVM): what a home would sell for on a given day, with an
80 % band, the reasons and the comparable sales.

The model is XGBoost regression on log price, with a pseudo-Huber loss: errors beyond
`huber_slope` (about 10 %) count linearly rather than squared, so the few sales far from
their home's market value (a teardown, a sale within a family) pull it less. It starts
from the neighbourhood's estimate (`baseline_log_price`: the $/sq ft of nearby earlier
sales times the home's size, see `features`) and learns the correction from the home's
own facts and its neighbourhood, so

    log(value) = baseline + bias + sum of the SHAP contributions of the features

and each contribution reads as a percentage effect on the value (`exp(c) - 1`). Batches
get XGBoost's fast per-path contributions; `exact_contributions` gives exact TreeSHAP.

The band (P10 to P90) is calibrated: the 10th and 90th percentiles of the log errors the
model made on sales later than the ones it learned from (`Band`). A home with missing facts
gets the wider band measured on the same sales with those facts hidden; some training rows
have facts hidden too, so the model knows what to do without them. A home with no location
at all (no coordinates, no known area) or no earlier sale to compare with is not valued:
the valuation says why, it never invents a number.

A `Valuer` carries everything scoring needs (model, reference sales, band) and
serialises to one byte string (`to_bytes`/`from_bytes`): a zip of a JSON manifest, the
XGBoost model (UBJSON) and the reference sales (NumPy arrays, no pickles).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, cast

import numpy as np
import xgboost as xgb

from services.scorer.comparables import Comparable, comparables_of
from services.scorer.features import (
    FACT_GROUPS,
    FEATURE_NAMES,
    Features,
    Floats,
    NeighbourhoodSettings,
    ReferenceSales,
    build_features,
    day_number,
)
from services.scorer.sales import Home, Sale

MODEL_NAME = "avm"
ARTIFACT_FORMAT = 2
TOP_CONTRIBUTIONS = 6
SERVING_THREADS = 1
"""Threads a loaded model predicts with. The service values batches of about a hundred
homes: one thread does that with half the CPU time of an OpenMP team, whose threads spin
between the small batches (measured: 0.43 against 0.78 ms of CPU a home on two cores)."""


class ArtifactMismatch(ValueError):
    """A stored AVM this code cannot load: it was built by code with another artifact
    format or other features, and must be trained again."""


@dataclass(frozen=True)
class BoostingSettings:
    """XGBoost's knobs (`huber_slope`: the log error where the loss turns from squared to
    linear), and how training rows are chosen and augmented."""

    rounds: int = 1200
    learning_rate: float = 0.03
    huber_slope: float = 0.1
    max_depth: int = 6
    min_child_weight: float = 3.0
    subsample: float = 0.8
    colsample_bytree: float = 0.7
    reg_lambda: float = 2.0
    warmup_days: int = 30
    hidden_fact_share: float = 0.2
    seed: int = 7
    threads: int = 2

    def xgboost_params(self) -> dict[str, Any]:
        return {
            "objective": "reg:pseudohubererror",
            "huber_slope": self.huber_slope,
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "lambda": self.reg_lambda,
            "tree_method": "hist",
            "seed": self.seed,
            "nthread": self.threads,
        }


@dataclass(frozen=True)
class Band:
    """Log offsets from the estimate to P10 and P90: `low` for a home with every fact,
    `widened[group]` for a home missing that group of facts."""

    low: float = math.log(0.9)
    high: float = math.log(1.1)
    widened: dict[str, tuple[float, float]] = field(default_factory=dict)

    def offsets(self, missing: Sequence[str]) -> tuple[float, float]:
        lows, highs = [self.low], [self.high]
        for group in missing:
            low, high = self.widened.get(group, (self.low, self.high))
            lows.append(low)
            highs.append(high)
        return min(lows), max(highs)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature's share of a valuation: `log_effect` adds to log(value), so the value
    is `percent_effect` % higher (or lower) than without it."""

    feature: str
    feature_value: float | None
    log_effect: float
    percent_effect: float


@dataclass(frozen=True)
class Valuation:
    """What one home is worth on `as_of`; `estimated_value` is None when the model cannot
    value it, and `reason` says why."""

    as_of: date
    model_version: str
    estimated_value: float | None
    value_low: float | None
    value_high: float | None
    baseline_value: float | None = None
    contributions: tuple[Contribution, ...] = ()
    comparables: tuple[Comparable, ...] = ()
    missing_facts: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Estimates:
    """Vectorised valuations: estimate, P10, P90 (NaN where a home cannot be valued)."""

    value: Floats
    low: Floats
    high: Floats
    features: Features
    missing: list[tuple[str, ...]]
    contributions: Floats | None = None


def missing_facts(home: Home) -> tuple[str, ...]:
    """The `FACT_GROUPS` the home lacks (a group counts as missing if any fact is)."""
    return tuple(
        group
        for group, facts in FACT_GROUPS.items()
        if any(getattr(home, fact) is None for fact in facts)
    )


def hide_facts(home: Home, group: str) -> Home:
    """The home with one group of facts unknown."""
    return replace(home, **dict.fromkeys(FACT_GROUPS[group]))


def _unvaluable_reason(home: Home, reference: ReferenceSales, baseline: float) -> str | None:
    located = home.latitude is not None and home.longitude is not None
    if not located and not (home.area and home.area in reference.known_areas):
        return "no location: neither coordinates nor an area with recorded sales"
    if not math.isfinite(baseline):
        return "no sale recorded before the valuation day to compare with"
    return None


class Valuer:
    """A trained AVM: values homes on a day from its reference sales."""

    def __init__(
        self,
        version: str,
        booster: xgb.Booster,
        reference: ReferenceSales,
        band: Band,
        neighbourhood: NeighbourhoodSettings,
        boosting: BoostingSettings,
        trained_through: date,
    ) -> None:
        self.version = version
        self.booster = booster
        self.reference = reference
        self.band = band
        self.neighbourhood = neighbourhood
        self.boosting = boosting
        self.trained_through = trained_through

    @classmethod
    def fit(
        cls,
        sales: Sequence[Sale],
        version: str,
        boosting: BoostingSettings | None = None,
        neighbourhood: NeighbourhoodSettings | None = None,
        band: Band | None = None,
        callbacks: Sequence[xgb.callback.TrainingCallback] = (),
    ) -> Valuer:
        """Learn from `sales` (they also become the reference sales)."""
        boosting = boosting or BoostingSettings()
        neighbourhood = neighbourhood or NeighbourhoodSettings()
        reference = ReferenceSales.from_sales(sales)
        homes, days, log_prices = _training_rows(sales, boosting)
        features = build_features(homes, days, reference, neighbourhood)
        usable = np.isfinite(features.baseline)
        data = xgb.DMatrix(
            features.values[usable],
            label=(log_prices - features.baseline)[usable],
            feature_names=list(FEATURE_NAMES),
        )
        booster = xgb.train(
            boosting.xgboost_params(),
            data,
            num_boost_round=boosting.rounds,
            callbacks=list(callbacks),
        )
        return cls(
            version,
            booster,
            reference,
            band or Band(),
            neighbourhood,
            boosting,
            max(sale.sale_date for sale in sales),
        )

    def estimate(
        self,
        homes: Sequence[Home],
        days: Floats,
        explain: bool = False,
        exact_contributions: bool = False,
    ) -> Estimates:
        """Estimate and band of each home on its day (a day count, see `day_number`).

        With `explain`, each feature's contribution too (XGBoost's `pred_contribs`, the
        last column the bias): they add up to the model's output, which is then taken
        from them rather than predicted a second time.
        """
        features = build_features(homes, days, self.reference, self.neighbourhood)
        contributions = None
        if explain:
            contributions = self.booster.predict(
                xgb.DMatrix(
                    features.values, feature_names=list(FEATURE_NAMES), nthread=SERVING_THREADS
                ),
                pred_contribs=True,
                approx_contribs=not exact_contributions,
            )
            correction = contributions.sum(axis=1)
        else:
            correction = self.booster.inplace_predict(features.values)
        log_value = features.baseline + np.asarray(correction, dtype=np.float64)
        missing = [missing_facts(home) for home in homes]
        offsets = np.array([self.band.offsets(gaps) for gaps in missing]).reshape(-1, 2)
        valuable = np.array(
            [
                _unvaluable_reason(home, self.reference, baseline) is None
                for home, baseline in zip(homes, features.baseline, strict=True)
            ]
        )
        log_value = np.where(valuable, log_value, np.nan)
        return Estimates(
            value=np.exp(log_value),
            low=np.exp(log_value + offsets[:, 0]),
            high=np.exp(log_value + offsets[:, 1]),
            features=features,
            missing=missing,
            contributions=contributions,
        )

    def value_sales(self, sales: Sequence[Sale]) -> Estimates:
        """Each sale's home valued on its sale day (for evaluation)."""
        days = np.array([day_number(sale.sale_date) for sale in sales], dtype=np.float64)
        return self.estimate([sale.home for sale in sales], days)

    def value(
        self,
        homes: Sequence[Home],
        as_of: date,
        comparables: int = 5,
        exact_contributions: bool = False,
    ) -> list[Valuation]:
        """Value every home on `as_of` from the reference sales before that day, with
        the top contributions and the `comparables` most similar earlier sales.

        Contributions are XGBoost's `pred_contribs`: by default the per-path attribution
        (`approx_contribs`, ~50x faster, for batches), with `exact_contributions` the
        exact TreeSHAP values (about 4 ms a home). Both add up to the estimate exactly.
        """
        if not homes:
            return []
        days = np.full(len(homes), float(day_number(as_of)))
        estimates = self.estimate(
            homes, days, explain=True, exact_contributions=exact_contributions
        )
        contributions = cast(Floats, estimates.contributions)  # filled: explain=True
        similar = comparables_of(self.reference, homes, as_of, comparables)
        valuations = []
        for row, home in enumerate(homes):
            baseline = float(estimates.features.baseline[row])
            reason = _unvaluable_reason(home, self.reference, baseline)
            if reason is not None:
                valuations.append(
                    Valuation(
                        as_of,
                        self.version,
                        None,
                        None,
                        None,
                        missing_facts=estimates.missing[row],
                        reason=reason,
                    )
                )
                continue
            valuations.append(
                Valuation(
                    as_of=as_of,
                    model_version=self.version,
                    estimated_value=round(float(estimates.value[row]), -2),
                    value_low=round(float(estimates.low[row]), -2),
                    value_high=round(float(estimates.high[row]), -2),
                    baseline_value=round(math.exp(baseline + contributions[row, -1]), -2),
                    contributions=_top_contributions(
                        contributions[row], estimates.features.values[row]
                    ),
                    comparables=tuple(similar[row]),
                    missing_facts=estimates.missing[row],
                )
            )
        return valuations

    def to_bytes(self) -> bytes:
        manifest = {
            "format": ARTIFACT_FORMAT,
            "model_name": MODEL_NAME,
            "version": self.version,
            "feature_names": list(FEATURE_NAMES),
            "band": asdict(self.band),
            "neighbourhood": asdict(self.neighbourhood),
            "boosting": asdict(self.boosting),
            "trained_through": self.trained_through.isoformat(),
            "origin_latitude": self.reference.origin_latitude,
        }
        named: dict[str, Any] = {
            "areas": self.reference.areas,
            "parcels": self.reference.parcels,
            **self.reference.columns,
        }
        arrays = io.BytesIO()
        np.savez_compressed(arrays, **named)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
            archive.writestr("model.ubj", bytes(self.booster.save_raw("ubj")))
            archive.writestr("reference.npz", arrays.getvalue())
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Valuer:
        """The valuer stored by `to_bytes`; `ArtifactMismatch` when this code cannot use it
        (another artifact format, other features, or not an AVM artifact at all)."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            raise ArtifactMismatch(f"not an AVM artifact: {error}") from None
        with archive:
            try:
                manifest = json.loads(archive.read("manifest.json"))
            except (KeyError, ValueError) as error:
                raise ArtifactMismatch(f"not an AVM artifact: {error}") from None
            if manifest.get("format") != ARTIFACT_FORMAT:
                raise ArtifactMismatch(
                    f"AVM artifact format {manifest.get('format')}, "
                    f"this code reads {ARTIFACT_FORMAT}"
                )
            if manifest.get("feature_names") != list(FEATURE_NAMES):
                raise ArtifactMismatch(
                    "the artifact was trained on other features than this code builds"
                )
            booster = xgb.Booster(model_file=bytearray(archive.read("model.ubj")))
            booster.set_param({"nthread": SERVING_THREADS})
            with np.load(io.BytesIO(archive.read("reference.npz")), allow_pickle=False) as saved:
                columns = {name: saved[name] for name in ReferenceSales.COLUMNS}
                reference = ReferenceSales(
                    columns, saved["areas"], saved["parcels"], manifest["origin_latitude"]
                )
        band = manifest["band"]
        return cls(
            manifest["version"],
            booster,
            reference,
            Band(
                band["low"],
                band["high"],
                {group: (low, high) for group, (low, high) in band["widened"].items()},
            ),
            NeighbourhoodSettings(**manifest["neighbourhood"]),
            BoostingSettings(**manifest["boosting"]),
            date.fromisoformat(manifest["trained_through"]),
        )


def _training_rows(
    sales: Sequence[Sale], boosting: BoostingSettings
) -> tuple[list[Home], Floats, Floats]:
    """Homes, days and log prices to learn from: every sale after the warm-up (the first
    days have too few earlier sales to stand for scoring), plus a share of them again with
    one group of facts hidden."""
    first_day = min(day_number(sale.sale_date) for sale in sales)
    kept = [s for s in sales if day_number(s.sale_date) >= first_day + boosting.warmup_days]
    homes = [sale.home for sale in kept]
    days = [float(day_number(sale.sale_date)) for sale in kept]
    log_prices = [math.log(sale.price) for sale in kept]
    random = np.random.default_rng(boosting.seed)
    groups = list(FACT_GROUPS)
    hidden = random.random(len(kept)) < boosting.hidden_fact_share
    for row in np.flatnonzero(hidden):
        homes.append(hide_facts(kept[row].home, groups[int(random.integers(len(groups)))]))
        days.append(days[row])
        log_prices.append(log_prices[row])
    return homes, np.array(days), np.array(log_prices)


def _top_contributions(row: Floats, values: Floats) -> tuple[Contribution, ...]:
    """The features with the largest effects, largest first (the last column is the bias)."""
    effects = row[:-1]
    order = np.argsort(-np.abs(effects))[:TOP_CONTRIBUTIONS]
    return tuple(
        Contribution(
            feature=FEATURE_NAMES[i],
            feature_value=float(values[i]) if math.isfinite(values[i]) else None,
            log_effect=round(float(effects[i]), 5),
            percent_effect=round(100.0 * math.expm1(float(effects[i])), 2),
        )
        for i in order
    )
