"""JSON logs carrying `run_id` and `event_id`, and the Prometheus metrics every service exports."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

current_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("run_id", default=None)
current_event_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "event_id", default=None
)

_RESERVED = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the run and event being processed."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "run_id": current_run_id.get(),
            "event_id": current_event_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger (ours, FastStream's, uvicorn's) to JSON lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "aiokafka"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    for chatty in ("aiokafka", "fontTools", "weasyprint", "scrapy", "botocore", "urllib3"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
"""Where the processes of a service served by several write their metrics (prometheus_client's
multiprocess mode); unset for a service in one process."""

DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _EveryProcess(Collector):
    """The sums over every process of a service (prometheus_client's multiprocess files),
    then the metrics of `declared` that no process has a value of yet, without samples,
    as a single process declares them."""

    def __init__(self, declared: CollectorRegistry) -> None:
        self.declared = declared
        self.files = MultiProcessCollector(None)

    def collect(self) -> Iterator[Metric]:
        sampled = set()
        for family in self.files.collect():
            sampled.add(family.name)
            yield family
        for family in self.declared.collect():
            if family.name not in sampled:
                yield Metric(family.name, family.documentation, family.type, family.unit)


class ServiceMetrics:
    """The metrics of one service, named `reos_<service>_<thing>_<unit>`."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        self.consumed = self.counter(
            "messages_consumed_total", "Messages taken from a topic", ["topic"]
        )
        self.produced = self.counter("messages_produced_total", "Messages published", ["topic"])
        self.failed = self.counter(
            "messages_failed_total", "Processing attempts that raised", ["topic", "error_type"]
        )
        self.dead_lettered = self.counter(
            "messages_dead_lettered_total", "Messages sent to a dead-letter topic", ["topic"]
        )
        self.redelivered = self.counter(
            "messages_duplicate_total", "Events seen again and answered from the record", ["topic"]
        )
        self.processing = self.histogram(
            "processing_duration_seconds", "Time to process one message", ["topic"]
        )
        self.lag = self.gauge(
            "consumer_lag_messages", "Messages behind the partition end", ["topic", "partition"]
        )

    def name(self, suffix: str) -> str:
        return f"reos_{self.service}_{suffix}"

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format. A service served by several processes
        (`PROMETHEUS_MULTIPROC_DIR` set, see `shared.service.serve`) answers the sums over
        all of them, read from the files each one writes its values to, and declares its
        metrics that have no sample yet as a single process does."""
        if os.environ.get(MULTIPROCESS_DIRECTORY):
            every_process = CollectorRegistry()
            every_process.register(_EveryProcess(self.registry))
            return generate_latest(every_process)
        return generate_latest(self.registry)

    def counter(self, suffix: str, doc: str, labels: list[str] | None = None) -> Counter:
        return Counter(self.name(suffix), doc, labels or [], registry=self.registry)

    def gauge(self, suffix: str, doc: str, labels: list[str] | None = None) -> Gauge:
        return Gauge(self.name(suffix), doc, labels or [], registry=self.registry)

    def histogram(
        self,
        suffix: str,
        doc: str,
        labels: list[str] | None = None,
        buckets: tuple[float, ...] = DURATION_BUCKETS,
    ) -> Histogram:
        return Histogram(
            self.name(suffix), doc, labels or [], registry=self.registry, buckets=buckets
        )
