"""Create what the platform needs on its broker and object store, idempotently:
every topic of the registry (with its dead-letter twin) and the bucket.

    python -m shared.bootstrap            # topics and bucket
    python -m shared.bootstrap topics
    python -m shared.bootstrap bucket
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.settings import Settings, get_settings
from shared.storage import ObjectStore
from shared.topics import DEFAULT_PARTITIONS, TOPICS, dlq


async def ensure_topics(settings: Settings, replication_factor: int = 1) -> list[str]:
    """Create missing topics; returns the names it created."""
    wanted = {spec.name: spec.partitions for spec in TOPICS}
    wanted.update({dlq(spec.name): DEFAULT_PARTITIONS for spec in TOPICS})
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(name, wanted[name], replication_factor) for name in missing]
            )
        return missing
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.bootstrap", description=__doc__)
    parser.add_argument("what", nargs="?", choices=("all", "topics", "bucket"), default="all")
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.what in ("all", "topics"):
        try:
            created = asyncio.run(ensure_topics(settings, args.replication_factor))
        except Exception as error:
            sys.exit(f"bootstrap: Kafka at {settings.kafka_bootstrap_servers}: {error}")
        print(f"topics: {len(created)} created, {len(TOPICS) * 2 - len(created)} already there")
    if args.what in ("all", "bucket"):
        store = ObjectStore(settings)
        try:
            store.ensure_bucket()
        except Exception as error:
            sys.exit(f"bootstrap: object store at {store.endpoint}: {error}")
        print(f"bucket: {settings.s3_bucket} ready at {store.endpoint}")


if __name__ == "__main__":
    main()
