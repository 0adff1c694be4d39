"""Running the platform's services as separate OS processes, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared import topics
from shared.settings import REPO_ROOT, Settings

CONSUMED_TOPICS = {
    "scraper": [
        topics.SCRAPE_REQUESTED,
        topics.SCRAPE_CANCEL_REQUESTED,
        topics.PROPERTY_ENRICHED,
        topics.SCORE_CREATED,
        topics.dlq(topics.PROSPECT_NEW),
    ],
    "enricher": [topics.PROSPECT_NEW, topics.ENRICHMENT_REQUESTED],
    "scorer": [topics.PROPERTY_ENRICHED, topics.SCORING_REQUESTED],
    "docgen": [topics.PROPERTY_ENRICHED, topics.SCORE_CREATED, topics.DOCGEN_REQUESTED],
}


def migrate(database_url: str) -> None:
    """Bring the database at `database_url` to the migrations' head (`alembic upgrade head`,
    as a deployment's migration job does); alembic's output is in the error when it fails."""
    migrated = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    if migrated.returncode:
        raise RuntimeError(f"migrating {database_url!r} failed:\n{migrated.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_processes(supervisor_pid: int) -> list[psutil.Process]:
    """The worker processes of a service run in several (`shared.workers`: started by
    multiprocessing's spawn), not their supervisor."""
    return [
        child
        for child in psutil.Process(supervisor_pid).children()
        if "spawn_main" in " ".join(child.cmdline())
    ]


class ServiceProcess:
    def __init__(
        self, module: str, port: int, log_dir: Path, env: dict[str, str], args: tuple[str, ...] = ()
    ) -> None:
        self.module = module
        self.port = port
        self.name = module.rsplit(".", 1)[-1]
        self.log_path = log_dir / f"{self.name}-{port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                *(
                    ["--port", str(port)]
                    if self.name == "demo_site" and "--port" not in args
                    else []
                ),
                *args,
            ],
            cwd=REPO_ROOT,
            env={**env, "REOS_HTTP_PORT": str(port)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/readyz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + path, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.module} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


async def assign_at_end(consumer: AIOKafkaConsumer, topic_names: list[str]) -> list[TopicPartition]:
    """Assign every partition of `topic_names` to a started consumer, at their ends."""
    # aiokafka's public `topics()` fetches this too, but drops the partition map.
    cluster = await consumer._client.fetch_all_metadata()
    partitions = [
        TopicPartition(topic, partition)
        for topic in topic_names
        for partition in cluster.partitions_for_topic(topic) or set()
    ]
    if not partitions:
        raise RuntimeError(f"topics {topic_names} do not exist")
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for partition in partitions:
        await consumer.position(partition)
    return partitions


async def skip_backlog(settings: Settings, services: list[str]) -> None:
    """Move the consumer groups of `services` to the end of their topics.

    Tests share one broker: events other tests published but never had consumed would
    otherwise be processed first by a service a test starts. Only valid while the
    groups have no running members, which is the case before the test starts them.
    """
    for service in services:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"{settings.consumer_group_prefix}-{service}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            partitions = await assign_at_end(consumer, CONSUMED_TOPICS[service])
            await consumer.commit({tp: await consumer.position(tp) for tp in partitions})
        finally:
            await consumer.stop()


@contextmanager
def running_services(
    modules: list[str],
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    args: dict[str, tuple[str, ...]] | None = None,
    ports: dict[str, int] | None = None,
) -> Iterator[dict[str, ServiceProcess]]:
    """Start each module as its own process on a free port; stop them all afterwards.

    `args` and `ports` are keyed by module; the port is also given as REOS_HTTP_PORT. A
    module listed twice runs as two replicas (the second is named e.g. `scorer-2`).
    """
    # One gateway process unless the environment or the test asks for more.
    env = {
        "REOS_GATEWAY_WORKERS": "1",
        **os.environ,
        "REOS_STARTUP_WAIT_SECONDS": "30",
        **(extra_env or {}),
    }
    consumers = [m.rsplit(".", 1)[-1] for m in modules if m.rsplit(".", 1)[-1] in CONSUMED_TOPICS]
    # In a thread of its own, so that async tests (with their loop running) may call this too.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, skip_backlog(Settings(), consumers)).result()
    started: dict[str, ServiceProcess] = {}
    try:
        for module in modules:
            port = (ports or {}).get(module) or free_port()
            process = ServiceProcess(module, port, log_dir, env, (args or {}).get(module, ()))
            replicas = sum(1 for name in started if name.split("-")[0] == process.name)
            started[f"{process.name}-{replicas + 1}" if replicas else process.name] = process
        for process in started.values():
            process.wait_ready("/healthz" if process.name == "demo_site" else "/readyz")
        yield started
    finally:
        for process in started.values():
            process.stop()
