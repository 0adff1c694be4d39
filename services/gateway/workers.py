"""The gateway in several processes (`REOS_GATEWAY_WORKERS`): uvicorn's workers, dealt the
connections in turn by the process that listens (`shared.workers`), each with its own
connection pool, caches and Kafka producer.

Their Prometheus metrics are kept in prometheus_client's multiprocess mode: each process
writes its values to files in `PROMETHEUS_MULTIPROC_DIR` and `/metrics`, whichever process
answers it, sums them (`ServiceMetrics.exposition`). The directory is the operator's when
that variable is set (its files of an earlier run are removed at start), else a temporary
one that lives as long as the gateway.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.multiprocess import mark_process_dead

from shared.observability import MULTIPROCESS_DIRECTORY


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """`PROMETHEUS_MULTIPROC_DIR`, empty, for the workers about to start."""
    given = os.environ.get(MULTIPROCESS_DIRECTORY)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    with tempfile.TemporaryDirectory(prefix="reos-gateway-metrics-") as name:
        os.environ[MULTIPROCESS_DIRECTORY] = name
        try:
            yield Path(name)
        finally:
            del os.environ[MULTIPROCESS_DIRECTORY]


def worker_ended() -> None:
    """A worker leaving: its live gauges are dropped from the sums (its counters stay)."""
    if os.environ.get(MULTIPROCESS_DIRECTORY):
        mark_process_dead(os.getpid())
