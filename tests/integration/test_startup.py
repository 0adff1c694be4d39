"""A service whose broker or database is unreachable, or whose port is taken, says so in one
line and exits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from shared.settings import REPO_ROOT
from tests.services import free_port

pytestmark = pytest.mark.stack

SERVICES = [
    "services.enricher",
    "services.scorer",
    "services.docgen",
    "services.scraper",
    "services.gateway",
]


def start(module: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=REPO_ROOT,
        env={**os.environ, "REOS_HTTP_PORT": str(free_port()), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize("module", SERVICES)
def test_unreachable_database_ends_the_service_with_one_line_naming_it(module: str) -> None:
    port = free_port()
    result, _ = start(module, DATABASE_URL=f"postgresql://reos:reos@127.0.0.1:{port}/reos")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in lines[0]


@pytest.mark.parametrize("module", SERVICES)
def test_unreachable_kafka_ends_the_service_with_one_line_naming_it(module: str) -> None:
    port = free_port()
    result, _ = start(module, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in lines[0]


def test_a_configured_wait_retries_before_giving_up() -> None:
    port = free_port()
    result, elapsed = start(
        "services.enricher",
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}",
        REOS_STARTUP_WAIT_SECONDS="3",
    )
    assert result.returncode == 2
    assert elapsed >= 3
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in result.stderr


def test_gateway_workers_whose_port_is_taken_end_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result, _ = start("services.gateway", REOS_HTTP_PORT=str(port), REOS_GATEWAY_WORKERS="2")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"cannot listen on port {port}" in lines[0]
