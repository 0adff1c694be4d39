"""Dead letters: the messages each consumer gave up on, per `<topic>.dlq`, with why they
failed; replaying one or all of them to their original topic (needs `operate`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from services.gateway import deadletters
from services.gateway.api.deps import ConnectionDep, GatewayDep, require_scope
from services.gateway.security import Principal
from services.gateway.shapes import deadletters as shapes

router = APIRouter(
    prefix="/api/deadletters", tags=["Dead letters"], dependencies=[require_scope("read")]
)

Topic = Annotated[str, Path(description="a dead-letter topic, e.g. `prospect.new.dlq`")]
Partition = Annotated[int, Path(ge=0, le=2**31 - 1)]
Offset = Annotated[int, Path(ge=0, le=2**63 - 1)]
Operator = Annotated[Principal, require_scope("operate")]
NOT_FOUND = {404: {"description": "unknown dead-letter topic or dead letter"}}


def _known(topic: str) -> str:
    if topic not in deadletters.DEAD_LETTER_TOPICS:
        raise HTTPException(404, detail=f"{topic!r} is not a dead-letter topic")
    return topic


@router.get("", summary="Every dead-letter topic with how many messages it holds")
async def list_topics(gateway: GatewayDep, connection: ConnectionDep) -> shapes.DeadLetterTopics:
    async with deadletters.DeadLetterReader(gateway.settings.kafka_bootstrap_servers) as reader:
        counts = await reader.counts(deadletters.DEAD_LETTER_TOPICS)
    replayed = await deadletters.replay_counts(connection)
    return shapes.DeadLetterTopics(
        data=[
            shapes.DeadLetterTopic(
                topic=topic,
                original_topic=shapes.original_topic_of(topic),
                messages=counts.get(topic, 0),
                replayed=replayed.get(topic, 0),
            )
            for topic in deadletters.DEAD_LETTER_TOPICS
        ]
    )


@router.get("/{topic}", summary="The dead letters of a topic, newest first", responses=NOT_FOUND)
async def list_dead_letters(
    topic: Topic,
    gateway: GatewayDep,
    connection: ConnectionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=deadletters.MAX_READ - 100)] = 0,
) -> shapes.DeadLetterPage:
    _known(topic)
    async with deadletters.DeadLetterReader(gateway.settings.kafka_bootstrap_servers) as reader:
        total, letters = await reader.newest(topic, offset + limit)
    page = letters[offset : offset + limit]
    replayed = await deadletters.replayed_at(connection, topic, page)
    return shapes.DeadLetterPage(
        topic=topic,
        original_topic=shapes.original_topic_of(topic),
        total=total,
        limit=limit,
        offset=offset,
        data=[
            shapes.row(letter, replayed.get((letter.partition, letter.offset))) for letter in page
        ],
    )


async def _dead_letter(
    gateway: GatewayDep, topic: str, partition: int, offset: int
) -> shapes.DeadLetter:
    _known(topic)
    async with deadletters.DeadLetterReader(gateway.settings.kafka_bootstrap_servers) as reader:
        letter = await reader.one(topic, partition, offset)
    if letter is None:
        raise HTTPException(404, detail=f"No dead letter at {topic}:{partition}:{offset}")
    return letter


@router.get("/{topic}/{partition}/{offset}", summary="One dead letter", responses=NOT_FOUND)
async def get_dead_letter(
    topic: Topic,
    partition: Partition,
    offset: Offset,
    gateway: GatewayDep,
    connection: ConnectionDep,
) -> shapes.DeadLetterRow:
    letter = await _dead_letter(gateway, topic, partition, offset)
    replayed = await deadletters.replayed_at(connection, topic, [letter])
    return shapes.row(letter, replayed.get((partition, offset)))


@router.post(
    "/{topic}/{partition}/{offset}/replay",
    summary="Publish one dead letter to its original topic again (once)",
    responses=NOT_FOUND,
)
async def replay_one(
    topic: Topic, partition: Partition, offset: Offset, gateway: GatewayDep, operator: Operator
) -> shapes.ReplayResult:
    letter = await _dead_letter(gateway, topic, partition, offset)
    published, when = await deadletters.replay(
        gateway.engine, gateway.messaging, letter, operator.name
    )
    return shapes.ReplayResult(
        status="replayed" if published else "already_replayed",
        topic=topic,
        partition=partition,
        offset=offset,
        original_topic=letter.original_topic,
        event_id=shapes.row(letter, None).event_id,
        replayed_at=when,
    )


@router.post(
    "/{topic}/replay",
    summary=f"Replay every dead letter of a topic not replayed yet (its newest "
    f"{deadletters.MAX_READ:,})",
    responses=NOT_FOUND,
)
async def replay_all(
    topic: Topic, gateway: GatewayDep, operator: Operator
) -> shapes.ReplayAllResult:
    _known(topic)
    async with deadletters.DeadLetterReader(gateway.settings.kafka_bootstrap_servers) as reader:
        _, letters = await reader.newest(topic, deadletters.MAX_READ)
    replayed = 0
    for letter in sorted(letters, key=lambda item: (item.partition, item.offset)):
        published, _ = await deadletters.replay(
            gateway.engine, gateway.messaging, letter, operator.name
        )
        replayed += published
    return shapes.ReplayAllResult(
        topic=topic,
        original_topic=shapes.original_topic_of(topic),
        replayed=replayed,
        already_replayed=len(letters) - replayed,
    )
