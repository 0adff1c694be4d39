"""Fixtures for the tests that need the real stack (Kafka, PostgreSQL, S3).

Endpoints come from the environment (`KAFKA_BOOTSTRAP_SERVERS`, `DATABASE_URL`,
`S3_ENDPOINT_URL`), which `make test` sets after starting the local stack. Where one
is missing and a Docker engine answers, a testcontainer is started for it. Tests that
need none of this live in `tests/unit/` and use no fixture from here.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.db.session import async_url, create_engine, create_sessionmaker
from shared.db.tables import metadata
from shared.settings import REPO_ROOT, Settings
from tests.services import assign_at_end, migrate

ENDPOINT_VARIABLES = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "S3_ENDPOINT_URL")

LOCAL_SERVICES = ("scraper", "enricher", "scorer", "docgen", "gateway")
"""The services `make up` starts on this machine (`deploy/local/services.sh`, a pid file
each in `.stack/pids`)."""


def _local_services_running() -> list[str]:
    running = []
    for name in LOCAL_SERVICES:
        try:
            os.kill(int((REPO_ROOT / ".stack" / "pids" / f"{name}.pid").read_text()), 0)
        except (OSError, ValueError):
            continue
        running.append(name)
    return running


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def _start_containers(stack: ExitStack) -> dict[str, str]:
    """Testcontainers for whichever endpoint the environment does not give."""
    found: dict[str, str] = {}
    if not os.environ.get("DATABASE_URL"):
        from testcontainers.postgres import PostgresContainer

        pg = stack.enter_context(PostgresContainer("postgres:16", driver="psycopg"))
        found["DATABASE_URL"] = pg.get_connection_url()
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        from testcontainers.kafka import KafkaContainer

        kafka = stack.enter_context(KafkaContainer("apache/kafka:4.1.0").with_kraft())
        found["KAFKA_BOOTSTRAP_SERVERS"] = kafka.get_bootstrap_server()
    if not os.environ.get("S3_ENDPOINT_URL"):
        from testcontainers.minio import MinioContainer

        minio = stack.enter_context(MinioContainer())
        config = minio.get_config()
        found["S3_ENDPOINT_URL"] = f"http://{config['endpoint']}"
        found["S3_ACCESS_KEY_ID"] = config["access_key"]
        found["S3_SECRET_ACCESS_KEY"] = config["secret_key"]
    return found


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    """Environment naming the running stack, migrated and bootstrapped."""
    running = _local_services_running()
    if running:
        # They consume the topics in groups of their own: a test's request would be
        # handled twice, and the test could read the other service's outcome as its own.
        pytest.fail(
            f"the services `make up` started are running ({', '.join(running)}) and would "
            "take the tests' requests too: stop them with `deploy/local/services.sh stop` "
            "(`make test` does)"
        )
    with ExitStack() as stack:
        missing = [name for name in ENDPOINT_VARIABLES if not os.environ.get(name)]
        if missing:
            if not _docker_available():
                pytest.fail(
                    f"{', '.join(missing)} not set and no Docker engine: run the tests with "
                    "`make test`, which starts the local stack"
                )
            os.environ.update(_start_containers(stack))
        env = {**os.environ}
        migrate(env["DATABASE_URL"])
        subprocess.run(
            [sys.executable, "-m", "shared.bootstrap"], cwd=REPO_ROOT, env=env, check=True
        )
        yield env


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str]) -> Settings:
    return Settings()


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[Any]:
    engine = create_engine(settings, application_name="reos-tests")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: Any) -> Any:
    return create_sessionmaker(engine)


TABLES_IN_DELETE_ORDER = [table.name for table in reversed(metadata.sorted_tables)]


@pytest.fixture
async def clean_tables(engine: Any) -> None:
    """Empty every table (not the schema) so a test sees only its own rows."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} RESTART IDENTITY CASCADE")
        )


def sync_database_url(settings: Settings) -> str:
    return async_url(settings.database_url)


class TopicReader:
    """Reads what was published on topics from the moment it was created."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
        )
        self.topics = topics

    async def start(self) -> None:
        await self.consumer.start()
        await assign_at_end(self.consumer, self.topics)

    async def read(self, count: int, timeout: float = 30.0, topic: str | None = None) -> list[Any]:
        """At least `count` records (of `topic`, if given); fails the test on timeout."""
        records: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                pytest.fail(
                    f"expected {count} records on {topic or self.topics}, got {len(records)}"
                )
            batch = await self.consumer.getmany(timeout_ms=int(min(remaining, 1.0) * 1000))
            for tp_records in batch.values():
                records.extend(r for r in tp_records if topic is None or r.topic == topic)
        return records

    async def stop(self) -> None:
        await self.consumer.stop()


@pytest.fixture
async def topic_reader(settings: Settings) -> AsyncIterator[Any]:
    """`await topic_reader("score.created", ...)` starts reading those topics from now on."""
    readers: list[TopicReader] = []

    async def open_reader(*topics: str) -> TopicReader:
        reader = TopicReader(settings.kafka_bootstrap_servers, list(topics))
        await reader.start()
        readers.append(reader)
        return reader

    yield open_reader
    for reader in readers:
        await reader.stop()


@pytest.fixture
async def raw_producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    """A plain producer for publishing arbitrary (also malformed) bytes."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    yield producer
    await producer.stop()


async def publish(producer: AIOKafkaProducer, event: Any, key: bytes | None = None) -> bytes:
    """Publish `event` as the services do (JSON, keyed, acknowledged); returns the body."""
    body: bytes = event.model_dump_json().encode()
    await producer.send_and_wait(
        event.TOPIC,
        body,
        key=key or event.key(),
        headers=[("content-type", b"application/json")],
    )
    return body


async def count_run_rows(sessions: Any, table: sa.Table, run_id: str, *where: Any) -> int:
    """How many rows of `table` carry `run_id` (and match `where`); waits out a database
    restart of up to 30 s."""
    query = (
        sa.select(sa.func.count()).select_from(table).where(table.c.dag_run_id == run_id, *where)
    )
    for _ in range(30):
        try:
            async with sessions() as session:
                return int((await session.execute(query)).scalar_one())
        except sa.exc.OperationalError:
            await asyncio.sleep(1)
    raise AssertionError("the database did not come back")


def unique_run_id(prefix: str = "test") -> str:
    return f"{prefix}__{uuid.uuid4().hex[:12]}"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, default=str).encode()


DATA_DIR = Path(os.environ.get("REOS_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
