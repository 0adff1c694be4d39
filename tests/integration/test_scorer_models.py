"""The AVM's lifecycle against the real stack: a model trained on a slice of the King
County sales is stored in S3 and registered, promotion switches the version a running
holder uses, and `reos-scorer evaluate --json` judges the production model on sales it
never learned from.

Whatever AVM was in production before these tests is put back afterwards.
"""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.scorer import registry
from services.scorer.avm import BoostingSettings, Valuer
from services.scorer.sales import read_sales
from services.scorer.training import TrainingPlan, TrainingReport, fingerprint, train
from shared.settings import REPO_ROOT, Settings
from shared.storage import ObjectStore
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.stack

SALES_FILE = DATA_DIR / "kc_house_data.csv"
FAST_PLAN = TrainingPlan(boosting=BoostingSettings(rounds=120, learning_rate=0.1))


@pytest.fixture(scope="module")
def sales_slices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two King County sales files: every third sale (to learn from) and the other
    March 2015 sales (never learned from)."""
    if not SALES_FILE.is_file():
        pytest.skip(f"no sales data at {SALES_FILE}")
    with SALES_FILE.open(newline="") as source:
        header, *body = list(csv.reader(source))
    date_column = header.index("date")
    learned = body[::3]
    unseen = [row for n, row in enumerate(body) if n % 3 and row[date_column] >= "201503"]
    folder = tmp_path_factory.mktemp("sales")
    paths = folder / "learned.csv", folder / "unseen.csv"
    for path, rows in zip(paths, (learned, unseen), strict=True):
        with path.open("w", newline="") as target:
            csv.writer(target).writerows([header, *rows])
    return paths


@pytest.fixture(scope="module")
def learned_sales(sales_slices: tuple[Path, Path]) -> list[Any]:
    return read_sales(sales_slices[0])


@pytest.fixture(scope="module")
def report(learned_sales: list[Any]) -> TrainingReport:
    return train(learned_sales, "avm-test", FAST_PLAN)


@pytest.fixture
async def production_restored(sessions: Any) -> AsyncIterator[None]:
    async with sessions() as session:
        before = await registry.production(session)
    yield
    async with sessions() as session, session.begin():
        if before is not None:
            await registry.promote(session, before.version)
            return
        current = await registry.production(session)
        if current is not None:
            await registry.archive(session, current.version)


def renamed(valuer: Valuer, version: str) -> Valuer:
    return Valuer(
        version,
        valuer.booster,
        valuer.reference,
        valuer.band,
        valuer.neighbourhood,
        valuer.boosting,
        valuer.trained_through,
    )


async def register(
    sessions: Any, store: ObjectStore, report: TrainingReport, sales: list[Any]
) -> registry.RegisteredModel:
    """Register the report's model under a version of its own."""
    version = f"avm-test-{uuid.uuid4().hex[:12]}"
    async with sessions() as session, session.begin():
        return await registry.register(
            session,
            store,
            replace(report, valuer=renamed(report.valuer, version)),
            datetime.now(UTC),
            {"source": "test slice", "fingerprint_sha256": fingerprint(sales)},
        )


async def test_a_trained_model_is_stored_in_s3_and_registered_as_a_candidate(
    settings: Settings, sessions: Any, report: TrainingReport, learned_sales: list[Any]
) -> None:
    store = ObjectStore(settings)

    entry = await register(sessions, store, report, learned_sales)

    assert entry.stage == "candidate"
    assert entry.artifact_uri == f"s3://{settings.s3_bucket}/models/avm/{entry.version}.zip"
    restored = Valuer.from_bytes(await store.aget(entry.artifact_uri))
    assert restored.version == entry.version
    assert entry.metrics["test"]["n"] == report.test_sales
    assert entry.metrics["test"]["mdape"] < entry.metrics["baseline_area_median_ppsf"]["mdape"]
    assert entry.params["training_data"]["sales"] == len(learned_sales)
    assert entry.params["training_data"]["fingerprint_sha256"] == fingerprint(learned_sales)
    async with sessions() as session:
        assert entry.version in [m.version for m in await registry.list_models(session)]


async def test_promotion_switches_the_version_a_running_holder_values_with(
    settings: Settings,
    sessions: Any,
    report: TrainingReport,
    learned_sales: list[Any],
    production_restored: None,
) -> None:
    store = ObjectStore(settings)
    first = await register(sessions, store, report, learned_sales)
    second = await register(sessions, store, report, learned_sales)
    holder = registry.ModelHolder(sessions, store)

    async with sessions() as session, session.begin():
        await registry.promote(session, first.version)
    assert await holder.refresh()
    assert holder.version == first.version
    assert not await holder.refresh()

    async with sessions() as session, session.begin():
        await registry.promote(session, second.version)
    assert await holder.refresh()
    assert holder.version == second.version
    async with sessions() as session:
        stages = {m.version: m.stage for m in await registry.list_models(session)}
    assert stages[first.version] == "archived"
    assert stages[second.version] == "production"
    home = learned_sales[-1].home
    assert holder.current is not None
    (valuation,) = holder.current.value([home], learned_sales[-1].sale_date)
    assert valuation.model_version == second.version
    assert valuation.estimated_value is not None


async def test_evaluate_prints_the_production_models_metrics_as_json_on_its_last_line(
    stack_env: dict[str, str],
    settings: Settings,
    sessions: Any,
    report: TrainingReport,
    learned_sales: list[Any],
    sales_slices: tuple[Path, Path],
    production_restored: None,
) -> None:
    entry = await register(sessions, ObjectStore(settings), report, learned_sales)
    async with sessions() as session, session.begin():
        await registry.promote(session, entry.version)

    command = [sys.executable, "-m", "services.scorer", "evaluate", "--json"]
    result = await asyncio.to_thread(
        subprocess.run,
        [*command, "--data", str(sales_slices[1])],
        cwd=REPO_ROOT,
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["model_version"] == entry.version
    assert metrics["n"] > 1000
    for name in ("mdape", "mape", "ppe5", "ppe10", "ppe20", "r2", "interval_coverage"):
        assert isinstance(metrics[name], float)
    assert 0 < metrics["mdape"] < 20
