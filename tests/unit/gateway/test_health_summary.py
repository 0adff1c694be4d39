"""How dependency checks are summed up into the health answers."""

from __future__ import annotations

from services.gateway.health import (
    error_text,
    kafka_summary,
    overall_status,
    system_component,
)
from shared.topics import all_topic_names

CLUSTER = {"brokers": [{"node_id": 1, "host": "127.0.0.1", "port": 9092}], "controller_id": 1}


def test_system_is_healthy_below_ninety_percent() -> None:
    assert system_component(45.2, 90.0) == {
        "status": "healthy",
        "memory_percent": 45.2,
        "disk_percent": 90.0,
    }


def test_system_warns_above_ninety_percent_and_says_which() -> None:
    component = system_component(95.04, 60.1)
    assert component["status"] == "warning"
    assert "memory usage 95.0%" in component["message"]
    assert "disk" not in component["message"]


def test_overall_is_degraded_when_any_component_is_not_healthy() -> None:
    healthy = {"api": {"status": "healthy"}, "database": {"status": "healthy"}}
    assert overall_status(healthy) == "healthy"
    assert overall_status({**healthy, "system": {"status": "warning"}}) == "degraded"
    assert overall_status({**healthy, "storage": {"status": "unhealthy"}}) == "degraded"


def test_kafka_with_every_platform_topic_is_healthy() -> None:
    summary = kafka_summary(CLUSTER, [*all_topic_names(), "__consumer_offsets"])
    assert summary["status"] == "healthy"
    assert (summary["brokers"], summary["controller_id"]) == (1, 1)
    assert "__consumer_offsets" not in summary["topics"]
    assert summary["missing_topics"] == []
    assert "error" not in summary


def test_kafka_missing_platform_topics_is_degraded_and_names_them() -> None:
    summary = kafka_summary(
        CLUSTER, [name for name in all_topic_names() if name != "score.created"]
    )
    assert summary["status"] == "degraded"
    assert summary["missing_topics"] == ["score.created"]
    assert "score.created" in summary["error"]


def test_kafka_without_brokers_is_degraded() -> None:
    assert kafka_summary({"brokers": []}, all_topic_names())["status"] == "degraded"


def test_error_text_is_one_short_line_with_the_error_type() -> None:
    text = error_text(ConnectionError("refused\nsecond line " + "x" * 1000))
    assert text == "ConnectionError: refused"
    assert error_text(TimeoutError()) == "TimeoutError: no answer in time"
    assert len(error_text(ValueError("y" * 1000))) == 300
