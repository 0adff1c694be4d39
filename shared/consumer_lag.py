"""Consumer lag: how many messages each partition a service consumes is behind its end.

Every `interval` seconds the sampler asks each of the service's Kafka consumers for the
partitions assigned to it, their end offsets and the group's committed offsets, and sets
`reos_<service>_consumer_lag_messages{topic,partition}` to end minus committed. A partition
the group never committed on counts from its beginning (the subscribers start there). A
partition no longer assigned to this process loses its sample, so that after a rebalance
only the replica that owns a partition reports it.

Lag is measured against commits, not against what is in flight: a message being processed
still counts, which is what an operator waiting for the pipeline to drain wants to see.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from shared.observability import ServiceMetrics

DEFAULT_INTERVAL_SECONDS = 10.0

log = logging.getLogger("reos.consumer_lag")


def partition_lag(
    ends: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int | None],
    beginnings: Mapping[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """Messages between each partition's committed offset (its beginning when nothing was
    committed) and its end; never negative."""
    return {
        partition: max(0, end - _start(committed.get(partition), beginnings.get(partition, 0)))
        for partition, end in ends.items()
    }


def _start(committed: int | None, beginning: int) -> int:
    return beginning if committed is None else committed


def broker_consumers(broker: KafkaBroker) -> list[AIOKafkaConsumer]:
    """The running Kafka consumers of every subscriber of `broker` (several per subscriber
    when it runs concurrent workers)."""
    consumers: list[AIOKafkaConsumer] = []
    for subscriber in broker.subscribers:
        group: Iterable[Any] = getattr(subscriber, "consumer_subgroup", None) or [
            getattr(subscriber, "consumer", None)
        ]
        consumers.extend(consumer for consumer in group if consumer is not None)
    return consumers


async def consumer_lag(consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
    """The lag of each partition assigned to `consumer`."""
    assigned = list(consumer.assignment())
    if not assigned:
        return {}
    ends = await consumer.end_offsets(assigned)
    beginnings = await consumer.beginning_offsets(assigned)
    committed = {partition: await consumer.committed(partition) for partition in assigned}
    return partition_lag(ends, committed, beginnings)


class ConsumerLagSampler:
    """Samples the lag of a broker's consumers into a service's lag gauge (module doc)."""

    def __init__(
        self,
        broker: KafkaBroker,
        metrics: ServiceMetrics,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self.broker = broker
        self.metrics = metrics
        self.interval_seconds = interval_seconds
        self.reported: set[tuple[str, str]] = set()

    async def sample(self) -> None:
        """One sample of every assigned partition; partitions gone since the last one are
        dropped from the gauge."""
        lags: dict[TopicPartition, int] = {}
        for consumer in broker_consumers(self.broker):
            lags.update(await consumer_lag(consumer))
        current = {(partition.topic, str(partition.partition)) for partition in lags}
        for labels in self.reported - current:
            self.metrics.lag.remove(*labels)
        for partition, lag in lags.items():
            self.metrics.lag.labels(partition.topic, str(partition.partition)).set(lag)
        self.reported = current

    async def run(self) -> None:
        """Sample forever; a failed sample (broker unreachable, rebalance) keeps the last
        figures and is tried again at the next interval."""
        while True:
            try:
                await self.sample()
            except Exception as error:  # lag is advisory; the service goes on without it
                log.warning("could not sample consumer lag", extra={"error": repr(error)})
            await asyncio.sleep(self.interval_seconds)
