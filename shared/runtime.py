"""What every consuming service is made of, wired once: settings, metrics, broker,
database sessions, the exactly-once processor and the HTTP side (health, metrics,
AsyncAPI) with the consumer-lag sampler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.specification import AsyncAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from shared.consumer_lag import ConsumerLagSampler
from shared.db.session import create_engine, create_sessionmaker
from shared.messaging import Messaging
from shared.observability import ServiceMetrics, configure_logging
from shared.processing import BatchHandler, E, EventProcessor, Handler
from shared.service import HealthChecks, observability_routes, ping_database, ping_kafka
from shared.settings import Settings

# How long a batch waits for what reached the broker while the consumer's fetched records
# waited (see `take_fresh_batches`): one round trip to the broker when it has them.
TOP_UP_MS = 10


async def raw_body(message: StreamMessage[Any]) -> Any:
    """A FastStream decoder that leaves the body (a batch's bodies) as bytes, for handlers
    that validate each record themselves."""
    return message.body


def take_fresh_batches(subscriber: Any, top_up_ms: int = TOP_UP_MS) -> None:
    """Make a FastStream batch subscriber take, with the records its consumer has fetched,
    those that reached the broker since.

    aiokafka fetches a partition again only once its fetched records have been taken. The
    records waiting when a batch ends were fetched as it began; what arrived while it ran
    is still on the broker and would wait for the batch after the next one: under steady
    load, a record waited about two batches instead of half of one. Taking the fetched
    records lets the consumer fetch at once, and a second `getmany`, waiting at most
    `top_up_ms` for that answer, adds what it brings, up to the batch's `max_records`.
    Per partition the records stay in order; a failed batch rewinds every partition in it.
    """
    batch_timeout_ms: int = subscriber.batch_timeout_ms
    max_records: int = subscriber.max_records

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        taken = await consumer.getmany(timeout_ms=batch_timeout_ms, max_records=max_records)
        if not taken:
            # As FastStream's own batch subscriber does, before asking again.
            await asyncio.sleep(batch_timeout_ms / 1000)
            return ()
        room = max_records - sum(len(records) for records in taken.values())
        if room > 0:
            arrived = await consumer.getmany(timeout_ms=top_up_ms, max_records=room)
            for partition, records in arrived.items():
                taken.setdefault(partition, []).extend(records)
        return tuple(record for records in taken.values() for record in records)

    subscriber.get_msg = get_msg


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    metrics: ServiceMetrics
    messaging: Messaging
    engine: AsyncEngine
    sessions: async_sessionmaker
    processor: EventProcessor
    health: HealthChecks

    @classmethod
    def create(cls, name: str, settings: Settings) -> ServiceRuntime:
        configure_logging(name, settings.log_level)
        metrics = ServiceMetrics(name)
        messaging = Messaging(settings, name, metrics)
        engine = create_engine(settings, application_name=f"reos-{name}")
        sessions = create_sessionmaker(engine)
        runtime = cls(
            name=name,
            settings=settings,
            metrics=metrics,
            messaging=messaging,
            engine=engine,
            sessions=sessions,
            processor=EventProcessor(name, sessions, messaging),
            health=HealthChecks(),
        )
        runtime.health.checks["database"] = partial(ping_database, engine)
        runtime.health.checks["kafka"] = partial(
            ping_kafka, messaging.broker, settings.kafka_bootstrap_servers
        )
        return runtime

    def batch_subscriber(
        self,
        topic: str,
        event_type: type[E],
        handle_batch: BatchHandler[E],
        handle_one: Handler[E],
        *,
        max_records: int = 500,
        batch_timeout_ms: int = 50,
        consumers: int = 1,
    ) -> None:
        """Consume `topic` in batches of up to `max_records`, each in one transaction
        (`EventProcessor.consume_batch`); the offsets are committed after each batch.

        `consumers` members of the service's group run in this process, each owning some
        partitions: while one batch waits for the database or the broker, another is
        computed. Each partition is still processed in order, by one of them.
        """

        async def consume(bodies: list[bytes], message: KafkaMessage) -> None:
            await self.processor.consume_batch(
                message.raw_message, event_type, handle_batch, handle_one
            )

        for member in range(consumers):
            subscriber = self.messaging.subscriber(
                topic,
                batch=True,
                max_records=max_records,
                batch_timeout_ms=batch_timeout_ms,
                max_workers=1,
                decoder=raw_body,
                title=f"{topic}:{event_type.__name__}",
                description=(event_type.__doc__ or "").strip() or None,
                include_in_schema=member == 0,
            )
            subscriber(consume)
            take_fresh_batches(subscriber)

    def asgi_app(
        self,
        *,
        description: str,
        on_startup: Sequence[Callable[..., Any]] = (),
        on_shutdown: Sequence[Callable[..., Any]] = (),
    ) -> AsgiFastStream:
        routes = observability_routes(self.name, self.metrics, self.health)
        lag = ConsumerLagSampler(self.messaging.broker, self.metrics)
        sampling: list[asyncio.Task[None]] = []

        async def start_sampling_lag() -> None:
            sampling.append(asyncio.create_task(lag.run()))

        async def stop_sampling_lag() -> None:
            for task in sampling:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        app = AsgiFastStream(
            self.messaging.broker,
            asgi_routes=[(path, routes) for path in ("/healthz", "/readyz", "/metrics")],
            specification=AsyncAPI(
                self.messaging.broker,
                title=f"Real Estate OS {self.name}",
                description=description,
            ),
            asyncapi_path="/asyncapi",
            on_startup=on_startup,
            on_shutdown=[stop_sampling_lag, *on_shutdown, self.engine.dispose],
        )
        app.after_startup(start_sampling_lag)
        return app
