"""Benchmark: how accurate the AVM is on King County sales, and how accurate it could be.

    make bench   (or: python -m tests.bench.avm_accuracy [--seeds 3])

Forward tests, as `reos-scorer train` judges a model: learned from the sales before a
two-month window, tested on the window's sales, each valued on its sale day from earlier
sales only; the last two months of data (`train`'s test period) and each two months before
them that has six months of sales before it. Beside each, the ZIP-median $/sq ft baseline.

Then a ceiling: a random third of the next-to-last window held out, the model learned
from every other sale, later ones included (their prices teach the model the window's
market, and the held-out homes' neighbours sold in it). No forward test can know more:
what this reaches is what these features and this data can reach. Each figure is the mean
over `--seeds` fits (XGBoost's row and column sampling). Prints a table and writes
bench-results/avm_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np

from services.scorer.avm import BoostingSettings, Valuer
from services.scorer.sales import Sale, read_sales
from services.scorer.training import area_median_baseline, evaluate, month_start, split_by_time
from shared.settings import REPO_ROOT, Settings

FIGURES = ("mdape", "ppe10", "r2", "mape", "ppe20")
WARM_UP_MONTHS = 6
WINDOW_MONTHS = 2


def window(sales: list[Sale], start: date) -> list[Sale]:
    end = month_start(start, -WINDOW_MONTHS)
    return [sale for sale in sales if start <= sale.sale_date < end]


def fitted_metrics(train: list[Sale], test: list[Sale], seeds: int) -> dict[str, float]:
    """The mean of each figure over `seeds` fits on `train`, tested on `test`."""
    runs = [
        evaluate(Valuer.fit(train, "bench", replace(BoostingSettings(), seed=seed)), test)
        for seed in range(1, seeds + 1)
    ]
    return {
        name: round(float(np.mean([getattr(run, name) for run in runs])), 3) for name in FIGURES
    }


def forward_windows(sales: list[Sale]) -> list[date]:
    """The windows' first days, oldest first: the last ends with the data (it is the test
    period `reos-scorer train` reports), each earlier one just before the next."""
    earliest = month_start(sales[0].sale_date, -WARM_UP_MONTHS)
    start = month_start(sales[-1].sale_date, WINDOW_MONTHS - 1)
    starts = []
    while start >= earliest:
        starts.insert(0, start)
        start = month_start(start, WINDOW_MONTHS)
    return starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    sales = sorted(read_sales(settings.data_dir / "kc_house_data.csv"), key=lambda s: s.sale_date)
    rows: list[dict[str, Any]] = []
    for start in forward_windows(sales):
        earlier, _ = split_by_time(sales, start)
        later = window(sales, start)
        baseline = area_median_baseline(earlier, later)
        rows.append(
            {
                "test": f"forward {start:%Y-%m} +{WINDOW_MONTHS} months",
                "learned_from": f"{len(earlier)} earlier sales",
                "n": len(later),
                **fitted_metrics(earlier, later, args.seeds),
                "baseline_mdape": round(baseline.mdape, 3),
                "baseline_ppe10": round(baseline.ppe10, 3),
            }
        )
    # The window before the last: it has later sales to learn from.
    ceiling_start = forward_windows(sales)[-2]
    held_window = window(sales, ceiling_start)
    chosen = np.random.default_rng(5).permutation(len(held_window))[: len(held_window) // 3]
    held = {id(held_window[index]) for index in chosen}
    learned = [sale for sale in sales if id(sale) not in held]
    tested = [sale for sale in held_window if id(sale) in held]
    baseline = area_median_baseline(learned, tested)
    rows.append(
        {
            "test": f"ceiling: a third of {ceiling_start:%Y-%m} +{WINDOW_MONTHS} months, random",
            "learned_from": "every other sale, later ones too",
            "n": len(tested),
            **fitted_metrics(learned, tested, args.seeds),
            "baseline_mdape": round(baseline.mdape, 3),
            "baseline_ppe10": round(baseline.ppe10, 3),
        }
    )
    out = REPO_ROOT / "bench-results" / "avm_accuracy.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"seeds": args.seeds, "tests": rows}, indent=2) + "\n")
    print(f"AVM accuracy on {len(sales)} King County sales (mean of {args.seeds} seeds)")
    print(f"{'test':<52} {'n':>5} {'MdAPE':>6} {'PPE10':>6} {'R2':>6} {'base MdAPE':>10}")
    for row in rows:
        print(
            f"{row['test']:<52} {row['n']:>5} {row['mdape']:>6.2f} {row['ppe10']:>6.1f} "
            f"{row['r2']:>6.3f} {row['baseline_mdape']:>10.2f}"
        )


if __name__ == "__main__":
    main()
