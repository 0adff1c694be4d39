import json

import pydantic
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from sqlalchemy.exc import OperationalError

from shared.events import ProspectNew
from shared.messaging import (
    HEADER_ATTEMPTS,
    HEADER_ERROR_MESSAGE,
    HEADER_ERROR_TYPE,
    HEADER_ORIGINAL_OFFSET,
    HEADER_ORIGINAL_TOPIC,
    HEADER_SERVICE,
    RetryPolicy,
    dead_letter_headers,
    is_transient,
)


class Record:
    topic, partition, offset = "prospect.new", 3, 41
    headers = (("x-trace", b"abc"),)


def test_outages_are_transient_and_bad_messages_are_not() -> None:
    assert is_transient(OperationalError("select 1", {}, Exception("connection refused")))
    assert is_transient(EndpointConnectionError(endpoint_url="http://s3"))
    assert is_transient(ClientError({"ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject"))
    assert not is_transient(ClientError({"ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject"))
    assert not is_transient(ValueError("bad price"))
    with pytest.raises(pydantic.ValidationError) as invalid:
        ProspectNew.model_validate(json.loads('{"prospect_id": "x"}'))
    assert not is_transient(invalid.value)


def test_dead_letter_headers_keep_the_original_ones_and_say_why() -> None:
    headers = dead_letter_headers(Record(), ValueError("price missing" * 500), 3, "enricher")
    assert headers["x-trace"] == "abc"
    assert headers[HEADER_ERROR_TYPE] == "ValueError"
    assert len(headers[HEADER_ERROR_MESSAGE]) == 2000
    assert headers[HEADER_ATTEMPTS] == "3"
    assert headers[HEADER_SERVICE] == "enricher"
    assert (headers[HEADER_ORIGINAL_TOPIC], headers[HEADER_ORIGINAL_OFFSET]) == (
        "prospect.new",
        "41",
    )


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(attempts=5, backoff_seconds=0.5, backoff_max_seconds=3.0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)):
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)


async def test_a_failed_dead_letter_stays_on_its_topic_and_is_not_sent_further() -> None:
    from shared.messaging import DeadLetterMiddleware
    from shared.observability import ServiceMetrics

    class DeadLetter(Record):
        topic = "prospect.new.dlq"

    metrics = ServiceMetrics("dlq_test")
    middleware = DeadLetterMiddleware("scraper", RetryPolicy(), metrics)
    await middleware.dead_letter(DeadLetter(), ValueError("cannot mark"), 3)  # no broker: no send
    assert (
        metrics.registry.get_sample_value(
            "reos_dlq_test_messages_dead_lettered_total", {"topic": "prospect.new.dlq"}
        )
        is None
    )
