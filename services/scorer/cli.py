"""`reos-scorer`: run the service, or train, evaluate and promote valuation models.

reos-scorer [serve]                      run the scoring service
reos-scorer train [--data CSV] [--mapping kingcounty|ames] [--promote]
reos-scorer evaluate --data CSV [--mapping ...] [--json]
reos-scorer promote VERSION
reos-scorer models                       list registered AVM versions
reos-scorer ensure-model                 train and promote an AVM if none in production can be used
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from services.scorer import registry
from services.scorer.avm import ArtifactMismatch
from services.scorer.sales import MAPPINGS, SalesFileError, read_sales
from services.scorer.training import (
    METRIC_NAMES,
    ProgressCallback,
    TrainingPlan,
    TrainingReport,
    evaluate,
    fingerprint,
    train,
    unseen_sales,
)
from shared.db.session import create_engine, create_sessionmaker
from shared.settings import Settings, get_settings
from shared.storage import ObjectStore

KING_COUNTY_FILE = "kc_house_data.csv"
FITS_PER_TRAINING = 3


class CommandFailed(Exception):
    """Ends the command with its message and exit code 2."""


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings, application_name="reos-scorer-cli")
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


def _read(path: Path, mapping: str) -> list[Any]:
    if not path.is_file():
        raise CommandFailed(f"no sales file at {path}")
    try:
        sales = read_sales(path, MAPPINGS[mapping])
    except SalesFileError as error:
        raise CommandFailed(str(error)) from None
    if not sales:
        raise CommandFailed(f"{path} holds no sale with a price and a date")
    return sales


def _metrics_table(columns: dict[str, dict[str, Any]]) -> str:
    """Metrics as rows, one column per method."""
    names = list(columns)
    lines = [f"{'metric':<18}" + "".join(f"{name:>20}" for name in names)]
    for metric in METRIC_NAMES:
        cells = []
        for name in names:
            value = columns[name].get(metric)
            cells.append(f"{'-' if value is None else value:>20}")
        lines.append(f"{metric:<18}" + "".join(cells))
    return "\n".join(lines)


async def _train(
    settings: Settings, path: Path, mapping: str, promote: bool
) -> tuple[TrainingReport, registry.RegisteredModel, float]:
    sales = _read(path, mapping)
    trained_at = datetime.now(UTC).replace(microsecond=0)
    data_fingerprint = fingerprint(sales)
    plan = TrainingPlan()
    started = time.perf_counter()
    with tqdm(
        total=FITS_PER_TRAINING * plan.boosting.rounds, desc="training AVM", unit="round"
    ) as bar:
        report = await asyncio.to_thread(
            train,
            sales,
            registry.new_version(trained_at, data_fingerprint),
            plan,
            [ProgressCallback(bar.update)],
        )
    seconds = time.perf_counter() - started
    store = ObjectStore(settings)
    await asyncio.to_thread(store.ensure_bucket)
    async with _sessions(settings) as sessions, sessions() as session, session.begin():
        entry = await registry.register(
            session,
            store,
            report,
            trained_at,
            {
                "source": str(path),
                "mapping": mapping,
                "fingerprint_sha256": data_fingerprint,
                "training_seconds": round(seconds, 1),
            },
        )
        if promote:
            entry = await registry.promote(session, entry.version)
    return report, entry, seconds


def _report(report: TrainingReport, entry: registry.RegisteredModel, seconds: float) -> None:
    print(
        f"AVM {entry.version} ({entry.stage}) trained in {seconds:.1f} s on "
        f"{report.train_sales + report.test_sales} sales; artifact {entry.artifact_uri}"
    )
    print(
        f"test period from {report.test_start} ({report.test_sales} sales), model trained on "
        f"the {report.train_sales} earlier sales:"
    )
    print(
        _metrics_table(
            {"avm": report.test.as_dict(), "zip median $/sqft": report.baseline.as_dict()}
        )
    )


def command_train(args: argparse.Namespace) -> None:
    settings = get_settings()
    path = args.data or settings.data_dir / KING_COUNTY_FILE
    report, entry, seconds = asyncio.run(_train(settings, path, args.mapping, args.promote))
    _report(report, entry, seconds)


async def _production_valuer(settings: Settings) -> Any:
    async with _sessions(settings) as sessions, sessions() as session:
        entry = await registry.production(session)
    if entry is None:
        raise CommandFailed("no AVM is in production: run `reos-scorer train --promote` first")
    return await registry.load(ObjectStore(settings), entry)


def command_evaluate(args: argparse.Namespace) -> None:
    settings = get_settings()
    sales = _read(args.data, args.mapping)
    valuer = asyncio.run(_production_valuer(settings))
    unseen = unseen_sales(valuer, sales)
    if not unseen:
        raise CommandFailed(f"every sale in {args.data} is one the model learned from")
    metrics = evaluate(valuer, unseen).as_dict()
    print(
        f"AVM {valuer.version} on {len(unseen)} sales of {args.data} "
        f"({len(sales) - len(unseen)} it learned from left out)"
    )
    if args.json:
        print(json.dumps({"model_version": valuer.version, **metrics}))
    else:
        print(_metrics_table({"avm": metrics}))


def command_promote(args: argparse.Namespace) -> None:
    async def run() -> registry.RegisteredModel:
        async with _sessions(get_settings()) as sessions, sessions() as session, session.begin():
            return await registry.promote(session, args.version)

    try:
        entry = asyncio.run(run())
    except registry.UnknownModel as error:
        raise CommandFailed(str(error)) from None
    print(f"AVM {entry.version} is in production; running scorers switch to it")


def command_models(args: argparse.Namespace) -> None:
    async def run() -> list[registry.RegisteredModel]:
        async with _sessions(get_settings()) as sessions, sessions() as session:
            return await registry.list_models(session)

    for entry in asyncio.run(run()):
        test = entry.metrics.get("test", {})
        print(
            f"{entry.version:<40} {entry.stage:<11} trained {entry.trained_at:%Y-%m-%d %H:%M} "
            f"MdAPE {test.get('mdape', '-')} % PPE10 {test.get('ppe10', '-')} %"
        )


async def _usable_production(settings: Settings) -> tuple[registry.RegisteredModel | None, str]:
    """The production AVM if this code can load it, else None and why not."""
    async with _sessions(settings) as sessions, sessions() as session:
        found = await registry.production(session)
    if found is None:
        return None, "no AVM was in production"
    try:
        await registry.load(ObjectStore(settings), found)
    except (ArtifactMismatch, registry.UnknownModel) as error:
        return None, f"AVM {found.version} in production cannot be loaded by this code ({error})"
    return found, ""


def command_ensure_model(args: argparse.Namespace) -> None:
    settings = get_settings()
    found, why = asyncio.run(_usable_production(settings))
    if found is not None:
        print(f"AVM {found.version} is in production: nothing to train")
        return
    path = settings.data_dir / KING_COUNTY_FILE
    if not path.is_file():
        print(
            f"{why} and there are no sales data at {path}: nothing trained; "
            "properties are scored without a valuation until a model is trained"
        )
        return
    print(f"{why}: training one from {path}")
    report, entry, seconds = asyncio.run(_train(settings, path, "kingcounty", promote=True))
    print(f"trained and promoted AVM {entry.version}")
    _report(report, entry, seconds)


def command_serve(args: argparse.Namespace) -> None:
    from services.scorer.app import HTTP_PORT, SERVICE, build
    from shared.service import serve

    settings = get_settings()
    serve(build(settings), settings, HTTP_PORT, SERVICE)


def _add_mapping_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--mapping",
        choices=sorted(MAPPINGS),
        default="kingcounty",
        help="the sales file's columns (default: kingcounty)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="reos-scorer", description="The scorer service and its valuation models."
    )
    root.set_defaults(run=command_serve)
    commands = root.add_subparsers(title="commands")
    commands.add_parser("serve", help="run the scoring service (the default)").set_defaults(
        run=command_serve
    )
    trainer = commands.add_parser("train", help="train an AVM, store and register it")
    trainer.add_argument(
        "--data", type=Path, help=f"sales CSV (default: DATA_DIR/{KING_COUNTY_FILE})"
    )
    _add_mapping_option(trainer)
    trainer.add_argument("--promote", action="store_true", help="put it in production")
    trainer.set_defaults(run=command_train)
    evaluator = commands.add_parser("evaluate", help="judge the production AVM on other sales")
    evaluator.add_argument("--data", type=Path, required=True, help="sales CSV")
    _add_mapping_option(evaluator)
    evaluator.add_argument("--json", action="store_true", help="metrics as JSON on the last line")
    evaluator.set_defaults(run=command_evaluate)
    promoter = commands.add_parser("promote", help="put a registered AVM version in production")
    promoter.add_argument("version")
    promoter.set_defaults(run=command_promote)
    commands.add_parser("models", help="list registered AVM versions").set_defaults(
        run=command_models
    )
    commands.add_parser(
        "ensure-model",
        help="train and promote an AVM when none is in production or it cannot be loaded",
    ).set_defaults(run=command_ensure_model)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except CommandFailed as error:
        print(f"reos-scorer: {error}", file=sys.stderr)
        raise SystemExit(2) from None
