"""The AVM's lifecycle: trained models as artifacts in object storage and rows in
`model_registry` (candidate -> production -> archived), and the holder through which a
running service picks up a newly promoted model without a restart.

One model name (`avm`) has at most one production version; promoting a version archives
the one it replaces.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scorer.avm import MODEL_NAME, Valuer
from services.scorer.features import FEATURE_NAMES
from services.scorer.training import TrainingReport
from shared.db.tables import model_registry
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

ALGORITHM = "xgboost"
ARTIFACT_TYPE = "application/zip"


class UnknownModel(LookupError):
    """No registered AVM has the version asked for."""


@dataclass(frozen=True)
class RegisteredModel:
    version: str
    stage: str
    metrics: dict[str, Any]
    params: dict[str, Any]
    artifact_uri: str | None
    trained_at: datetime | None
    promoted_at: datetime | None


def new_version(trained_at: datetime, fingerprint: str) -> str:
    """`avm-<UTC time>-<first 8 hex of the training data's fingerprint>`."""
    return f"{MODEL_NAME}-{trained_at:%Y%m%d-%H%M%S}-{fingerprint[:8]}"


def artifact_key(version: str) -> str:
    return f"models/{MODEL_NAME}/{version}.zip"


def _entry(row: Any) -> RegisteredModel:
    return RegisteredModel(
        version=row.model_version,
        stage=row.stage,
        metrics=row.metrics,
        params=row.params,
        artifact_uri=row.artifact_uri,
        trained_at=row.trained_at,
        promoted_at=row.promoted_at,
    )


async def register(
    session: AsyncSession,
    store: ObjectStore,
    report: TrainingReport,
    trained_at: datetime,
    training_data: dict[str, Any],
) -> RegisteredModel:
    """Store the report's valuer in object storage and record it as a candidate.

    `training_data` says where the sales came from (file, mapping, fingerprint, ...); the
    number of sales and the last sale day are added to it.
    """
    valuer = report.valuer
    uri = await store.aput(
        artifact_key(valuer.version),
        await asyncio.to_thread(valuer.to_bytes),
        ARTIFACT_TYPE,
        {"model-version": valuer.version},
    )
    params = {
        "boosting": asdict(valuer.boosting),
        "neighbourhood": asdict(valuer.neighbourhood),
        "band": asdict(valuer.band),
        "training_data": {
            **training_data,
            "sales": report.train_sales + report.test_sales,
            "last_sale": valuer.trained_through.isoformat(),
        },
    }
    row = (
        await session.execute(
            model_registry.insert()
            .values(
                model_name=MODEL_NAME,
                model_version=valuer.version,
                stage="candidate",
                algorithm=ALGORITHM,
                metrics=report.metrics(),
                params=params,
                feature_names=list(FEATURE_NAMES),
                artifact_uri=uri,
                trained_at=trained_at,
            )
            .returning(model_registry)
        )
    ).one()
    return _entry(row)


async def list_models(session: AsyncSession) -> list[RegisteredModel]:
    """Every registered AVM, newest first."""
    rows = await session.execute(
        select(model_registry)
        .where(model_registry.c.model_name == MODEL_NAME)
        .order_by(model_registry.c.trained_at.desc().nulls_last(), model_registry.c.id.desc())
    )
    return [_entry(row) for row in rows]


async def production(session: AsyncSession) -> RegisteredModel | None:
    """The AVM in production, if any."""
    row = (
        await session.execute(
            select(model_registry).where(
                model_registry.c.model_name == MODEL_NAME, model_registry.c.stage == "production"
            )
        )
    ).one_or_none()
    return _entry(row) if row else None


async def promote(session: AsyncSession, version: str) -> RegisteredModel:
    """Put `version` in production and archive the version it replaces."""
    chosen = model_registry.c.model_version == version
    named = model_registry.c.model_name == MODEL_NAME
    found = (
        await session.execute(select(model_registry).where(named, chosen).with_for_update())
    ).one_or_none()
    if found is None:
        raise UnknownModel(f"no AVM version {version!r} is registered")
    if found.stage == "production":
        return _entry(found)
    await session.execute(
        update(model_registry)
        .where(named, model_registry.c.stage == "production")
        .values(stage="archived")
    )
    row = (
        await session.execute(
            update(model_registry)
            .where(named, chosen)
            .values(stage="production", promoted_at=datetime.now(UTC))
            .returning(model_registry)
        )
    ).one()
    return _entry(row)


async def archive(session: AsyncSession, version: str) -> None:
    """Retire `version`: it stays registered but is never loaded again."""
    await session.execute(
        update(model_registry)
        .where(model_registry.c.model_name == MODEL_NAME, model_registry.c.model_version == version)
        .values(stage="archived")
    )


async def load(store: ObjectStore, entry: RegisteredModel) -> Valuer:
    """The valuer stored for a registry entry."""
    if not entry.artifact_uri:
        raise UnknownModel(f"AVM {entry.version} has no artifact")
    data = await store.aget(entry.artifact_uri)
    return await asyncio.to_thread(Valuer.from_bytes, data)


class ModelHolder:
    """The production valuer of a running service.

    `refresh()` asks the registry which version is in production and loads it when it is
    not the one held; `watch()` does so every `interval` seconds, so a promotion reaches
    the service without a restart. `current` is None until a production AVM exists.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], store: ObjectStore, interval: float = 30.0
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.interval = interval
        self.current: Valuer | None = None
        self.trained_at: datetime | None = None

    @property
    def version(self) -> str | None:
        return self.current.version if self.current else None

    async def refresh(self) -> bool:
        """Load the production version if it changed; True when the held model changed."""
        async with self.sessions() as session:
            entry = await production(session)
        if entry is None or entry.version == self.version:
            return False
        self.current = await load(self.store, entry)
        self.trained_at = entry.trained_at
        log.info("AVM %s loaded", entry.version)
        return True

    def age_seconds(self) -> float:
        """Seconds since the held model was trained; NaN while none (or no date) is held."""
        if self.current is None or self.trained_at is None:
            return math.nan
        return (datetime.now(UTC) - self.trained_at).total_seconds()

    async def watch(self) -> None:
        """Refresh forever; a failed refresh keeps the held model and is tried again."""
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("could not refresh the AVM; keeping %s", self.version)
            await asyncio.sleep(self.interval)
