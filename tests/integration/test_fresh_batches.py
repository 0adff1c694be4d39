"""A consuming service's batch takes what reached the broker while the records its Kafka
consumer had already fetched were waiting (`shared.runtime.take_fresh_batches`)."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.runtime import take_fresh_batches
from shared.settings import Settings


async def consumer_holding_first_record(
    bootstrap: str, partition: TopicPartition
) -> AIOKafkaConsumer:
    """A consumer that has fetched the partition's only record and not yet handed it out."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    consumer.assign([partition])
    # The consumer fetches in the background; its high-water mark comes with the answer.
    for _ in range(200):
        if consumer.highwater(partition) == 1:
            return consumer
        await asyncio.sleep(0.05)
    await consumer.stop()
    raise AssertionError("the consumer never fetched the first record")


async def test_a_batch_takes_what_arrived_after_its_records_were_fetched(
    settings: Settings,
) -> None:
    bootstrap = settings.kafka_bootstrap_servers
    topic = f"test.fresh-batches.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    partition = TopicPartition(topic, 0)
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        await producer.send_and_wait(topic, b"early")
        plain, fresh, small = [
            await consumer_holding_first_record(bootstrap, partition) for _ in range(3)
        ]
        await producer.send_and_wait(topic, b"late")
        try:
            # Without it, a batch is what was fetched before "late" reached the broker.
            taken = await plain.getmany(timeout_ms=500, max_records=100)
            assert [record.value for record in taken[partition]] == [b"early"]

            subscriber = SimpleNamespace(batch_timeout_ms=500, max_records=100)
            take_fresh_batches(subscriber, top_up_ms=5_000)
            batch = await subscriber.get_msg(fresh)
            assert [record.value for record in batch] == [b"early", b"late"]

            # Never more than the batch's size: "late" waits for the next one.
            subscriber = SimpleNamespace(batch_timeout_ms=500, max_records=1)
            take_fresh_batches(subscriber, top_up_ms=5_000)
            assert [record.value for record in await subscriber.get_msg(small)] == [b"early"]
            assert [record.value for record in await subscriber.get_msg(small)] == [b"late"]
        finally:
            for consumer in (plain, fresh, small):
                await consumer.stop()
    finally:
        await producer.stop()
        await admin.delete_topics([topic])
        await admin.close()
