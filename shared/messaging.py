"""Kafka plumbing: the broker factory, commit-after-success subscribers, publishing,
and retry with backoff ending in a dead-letter topic.

FastStream's defaults are not what this platform needs, so each is set here once:
- subscribers commit only after the handler returned (`AckPolicy.NACK_ON_ERROR`; the
  default acknowledges first, which is at-most-once);
- the producer waits for every in-sync replica (`acks=all`) and is idempotent;
- FastStream has no retry delay or dead-letter topic for Kafka: `DeadLetterMiddleware`
  retries a failing message with exponential backoff and then publishes it to
  `<topic>.dlq` with the reason, so the partition moves on.

Failures are sorted in three kinds:
- *poison* (not JSON, fails its schema, `PoisonMessage`): dead-lettered at once;
- *transient* (database or broker unreachable): retried, then left uncommitted and
  redelivered, since the message itself is fine and dead-lettering it would only
  move the outage into the DLQ;
- anything else: retried `retry_attempts` times, then dead-lettered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic
from aiokafka.errors import KafkaError
from botocore.exceptions import BotoCoreError, ClientError
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka import KafkaBroker
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from shared.events import Event
from shared.observability import ServiceMetrics, current_event_id, current_run_id
from shared.settings import Settings
from shared.topics import DLQ_SUFFIX, dlq

log = logging.getLogger("reos.messaging")

ERROR_MESSAGE_LIMIT = 2000

HEADER_ERROR_TYPE = "x-reos-error-type"
HEADER_ERROR_MESSAGE = "x-reos-error-message"
HEADER_ATTEMPTS = "x-reos-attempts"
HEADER_SERVICE = "x-reos-service"
HEADER_ORIGINAL_TOPIC = "x-reos-original-topic"
HEADER_ORIGINAL_PARTITION = "x-reos-original-partition"
HEADER_ORIGINAL_OFFSET = "x-reos-original-offset"
HEADER_FAILED_AT = "x-reos-failed-at"
HEADER_RUN_ID = "x-reos-run-id"


class PoisonMessage(Exception):
    """The message can never be processed as it is: dead-letter it without retrying."""


POISON_ERRORS: tuple[type[BaseException], ...] = (
    PoisonMessage,
    pydantic.ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    KafkaError,
    ConnectionError,
    TimeoutError,
    BotoCoreError,
)


def is_transient(error: BaseException) -> bool:
    """An outage of the database, the broker or object storage, not a fault of the message."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, ClientError):
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)) >= 500
    return isinstance(error, TRANSIENT_ERRORS)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            settings.retry_attempts,
            settings.retry_backoff_seconds,
            settings.retry_backoff_max_seconds,
        )

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter before retry number `attempt` (1-based)."""
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling) if ceiling else 0.0


def dead_letter_headers(
    record: Any, error: BaseException, attempts: int, service: str
) -> dict[str, str]:
    """The original headers plus why, where and how often the message failed."""
    headers = {key: value.decode("utf-8", "replace") for key, value in (record.headers or ())}
    headers.update(
        {
            HEADER_ERROR_TYPE: type(error).__name__,
            HEADER_ERROR_MESSAGE: str(error)[:ERROR_MESSAGE_LIMIT],
            HEADER_ATTEMPTS: str(attempts),
            HEADER_SERVICE: service,
            HEADER_ORIGINAL_TOPIC: record.topic,
            HEADER_ORIGINAL_PARTITION: str(record.partition),
            HEADER_ORIGINAL_OFFSET: str(record.offset),
            HEADER_FAILED_AT: datetime.now(UTC).isoformat(),
        }
    )
    return headers


def _envelope_ids(body: bytes) -> tuple[str | None, str | None]:
    """Best-effort `(run_id, event_id)` of a raw message, for logs only."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    run_id, event_id = data.get("run_id"), data.get("event_id")
    return (str(run_id) if run_id else None, str(event_id) if event_id else None)


class DeadLetterMiddleware:
    """Builds, per message, the middleware that retries and dead-letters (see module doc)."""

    def __init__(self, service: str, policy: RetryPolicy, metrics: ServiceMetrics) -> None:
        self.service = service
        self.policy = policy
        self.metrics = metrics
        self.broker: KafkaBroker | None = None

    def __call__(self, msg: Any, /, *, context: Any) -> _DeadLetterScope:
        return _DeadLetterScope(msg, context=context, owner=self)

    async def process(self, record: Any, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run `call` for `record` under the retry and dead-letter policy (module doc)."""
        metrics, topic = self.metrics, record.topic
        run_id, event_id = _envelope_ids(record.value)
        run_token, event_token = current_run_id.set(run_id), current_event_id.set(event_id)
        metrics.consumed.labels(topic).inc()
        _observe_lag(metrics, record)
        started = time.perf_counter()
        try:
            attempt = 0
            while True:
                attempt += 1
                try:
                    return await call()
                except POISON_ERRORS as error:
                    metrics.failed.labels(topic, type(error).__name__).inc()
                    await self.dead_letter(record, error, attempt)
                    return None
                except Exception as error:
                    metrics.failed.labels(topic, type(error).__name__).inc()
                    if attempt < self.policy.attempts:
                        log.warning(
                            "processing failed, retrying",
                            extra={"topic": topic, "attempt": attempt, "error": repr(error)},
                        )
                        await asyncio.sleep(self.policy.delay(attempt))
                        continue
                    if is_transient(error):
                        log.error(
                            "infrastructure unavailable, message left for redelivery",
                            extra={"topic": topic, "attempts": attempt, "error": repr(error)},
                        )
                        await asyncio.sleep(self.policy.backoff_max_seconds)
                        raise
                    await self.dead_letter(record, error, attempt)
                    return None
        finally:
            metrics.processing.labels(topic).observe(time.perf_counter() - started)
            current_run_id.reset(run_token)
            current_event_id.reset(event_token)

    async def dead_letter(self, record: Any, error: BaseException, attempts: int) -> None:
        if record.topic.endswith(DLQ_SUFFIX):
            # A reader of a dead-letter topic gave up on a record: the record stays where
            # it is, so there is nothing to move, only a failure to report.
            log.error(
                "dead letter could not be processed; it stays on its topic",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "error_type": type(error).__name__,
                    "error": str(error)[:ERROR_MESSAGE_LIMIT],
                },
            )
            return
        assert self.broker is not None, "DeadLetterMiddleware used before its broker was set"
        target = dlq(record.topic)
        await self.broker.publish(
            record.value,
            topic=target,
            key=record.key,
            headers=dead_letter_headers(record, error, attempts, self.service),
        )
        self.metrics.dead_lettered.labels(record.topic).inc()
        log.warning(
            "dead-lettered message",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "dead_letter_topic": target,
                "error_type": type(error).__name__,
                "error": str(error)[:ERROR_MESSAGE_LIMIT],
                "attempts": attempts,
            },
        )


class _DeadLetterScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, owner: DeadLetterMiddleware) -> None:
        super().__init__(msg, context=context)
        self.owner = owner

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        record = msg.raw_message
        if isinstance(record, tuple):
            return await call_next(msg)
        return await self.owner.process(record, lambda: call_next(msg))


def _observe_lag(metrics: ServiceMetrics, record: Any) -> None:
    consumer = getattr(record, "consumer", None)
    if consumer is None:
        return
    try:
        from aiokafka import TopicPartition

        highwater = consumer.highwater(TopicPartition(record.topic, record.partition))
    except Exception:  # lag is advisory; never fail a message over it
        return
    if highwater is not None:
        metrics.lag.labels(record.topic, str(record.partition)).set(
            max(0, highwater - record.offset - 1)
        )


class Messaging:
    """A service's broker, subscriber factory and publisher, with the guarantees built in."""

    def __init__(
        self,
        settings: Settings,
        service: str,
        metrics: ServiceMetrics,
        *,
        extra_middlewares: Sequence[Any] = (),
    ) -> None:
        self.settings = settings
        self.service = service
        self.metrics = metrics
        self.dead_letters = DeadLetterMiddleware(
            service, RetryPolicy.from_settings(settings), metrics
        )
        self.broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            client_id=f"reos-{service}",
            acks="all",
            enable_idempotence=True,
            # Topics created after a service started (a Helm post-install hook) are
            # noticed within this time instead of aiokafka's five minutes.
            metadata_max_age_ms=30_000,
            middlewares=(self.dead_letters, *extra_middlewares),
            logger=logging.getLogger(f"reos.{service}.faststream"),
            log_level=logging.DEBUG,
        )
        self.dead_letters.broker = self.broker

    @property
    def group_id(self) -> str:
        return f"{self.settings.consumer_group_prefix}-{self.service}"

    def subscriber(self, topic: str, **options: Any) -> Any:
        """A subscriber in this service's consumer group that commits after success.

        `REOS_CONSUMER_WORKERS` consumers of the group run in this process, each owning
        some partitions, so partitions are processed concurrently and each in order.
        """
        options.setdefault("group_id", self.group_id)
        options.setdefault("max_workers", self.settings.consumer_workers)
        options.setdefault("auto_offset_reset", "earliest")
        options.setdefault("ack_policy", AckPolicy.NACK_ON_ERROR)
        return self.broker.subscriber(topic, **options)

    def declares(self, event_type: type[Event]) -> None:
        """Name a topic this service publishes, with its schema, in its AsyncAPI document.

        Publishing itself goes through `publish`, after the database commit.
        """
        self.broker.publisher(
            event_type.TOPIC,
            title=f"{event_type.TOPIC}:{event_type.__name__}",
            description=(event_type.__doc__ or "").strip() or None,
            schema=event_type,
        )

    async def publish(self, event: Event) -> None:
        """Publish `event` on its topic, keyed for per-property order; waits for `acks=all`."""
        await self.publish_many([event])

    async def publish_many(
        self, events: Sequence[Event], bodies: Sequence[bytes] | None = None
    ) -> None:
        """Publish all of `events` (as `bodies` when the caller has them serialized already),
        then wait for every acknowledgement: each is handed to the producer in order
        (per-partition order kept), none waits for another's."""
        if bodies is None:
            bodies = [event.body() for event in events]
        acknowledged = [
            await self._hand_over(event, body) for event, body in zip(events, bodies, strict=True)
        ]
        await asyncio.gather(*acknowledged)
        for event in events:
            self.metrics.produced.labels(event.TOPIC).inc()

    async def _hand_over(self, event: Event, body: bytes) -> asyncio.Future[Any]:
        """Give `event` to the producer; the future resolves when the broker has it."""
        headers = {"content-type": "application/json", "x-reos-event-type": event.event_type}
        if event.run_id:
            headers[HEADER_RUN_ID] = event.run_id
        return await self.broker.publish(
            body,
            topic=event.TOPIC,
            key=event.key(),
            headers=headers,
            no_confirm=True,
        )
