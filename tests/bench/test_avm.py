"""AVM benchmarks on the King County sales: training time, and batch valuation
throughput (targets: >= 2,000 homes/s, p99 of a 200-home batch < 200 ms).

A batch is valued as the service values it: estimate, band, top SHAP contributions and
five comparables per home.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from services.scorer.avm import Valuer
from services.scorer.sales import read_sales
from tests.conftest import DATA_DIR

SALES_FILE = DATA_DIR / "kc_house_data.csv"
BATCH = 200
BATCHES = 50


@pytest.fixture(scope="module")
def sales() -> list:
    if not SALES_FILE.is_file():
        pytest.skip(f"no sales data at {SALES_FILE}")
    return read_sales(SALES_FILE)


@pytest.fixture(scope="module")
def valuer(sales: list) -> Valuer:
    started = time.perf_counter()
    fitted = Valuer.fit(sales, "bench")
    print(f"\nAVM fit on {len(sales)} sales: {time.perf_counter() - started:.1f} s")
    return fitted


def test_a_stored_model_loads_in_under_a_second(valuer: Valuer) -> None:
    data = valuer.to_bytes()
    started = time.perf_counter()
    Valuer.from_bytes(data)
    seconds = time.perf_counter() - started
    print(f"\nartifact {len(data) / 1e6:.1f} MB, loaded in {seconds * 1000:.0f} ms")
    assert seconds < 1.0


def test_batches_of_200_homes_are_valued_at_2000_per_second(valuer: Valuer, sales: list) -> None:
    homes = [sale.home for sale in sales]
    as_of = sales[-1].sale_date
    random = np.random.default_rng(3)
    valuer.value(homes[:BATCH], as_of)
    durations = []
    for _ in range(BATCHES):
        batch = [homes[i] for i in random.choice(len(homes), BATCH, replace=False)]
        started = time.perf_counter()
        valuations = valuer.value(batch, as_of)
        durations.append(time.perf_counter() - started)
        assert len(valuations) == BATCH
    seconds = np.array(durations)
    throughput = BATCH * BATCHES / seconds.sum()
    p99 = float(np.quantile(seconds, 0.99))
    print(
        f"\n{BATCHES} batches of {BATCH}: {throughput:,.0f} homes/s, "
        f"p50 {np.median(seconds) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
    assert throughput >= 2000
    assert p99 < 0.2
