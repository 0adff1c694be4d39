"""How the gateway sums up its dependencies: pure functions over what the probes saw."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from shared.topics import all_topic_names

USAGE_WARNING_PERCENT = 90.0
ERROR_TEXT_LIMIT = 300


def timestamp() -> str:
    return datetime.now(UTC).isoformat()


def error_text(error: BaseException) -> str:
    """A short, single-line description of a failed check for an operator."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, TimeoutError) and not message:
        message = "no answer in time"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text[:ERROR_TEXT_LIMIT]


def system_component(memory_percent: float, disk_percent: float) -> dict[str, Any]:
    """`warning` (with a message) when memory or disk use is above the limit."""
    crowded = [
        f"{name} usage {value:.1f}% > {USAGE_WARNING_PERCENT:.0f}%"
        for name, value in (("memory", memory_percent), ("disk", disk_percent))
        if value > USAGE_WARNING_PERCENT
    ]
    component: dict[str, Any] = {"status": "warning" if crowded else "healthy"}
    if crowded:
        component["message"] = "; ".join(crowded)
    component["memory_percent"] = round(memory_percent, 1)
    component["disk_percent"] = round(disk_percent, 1)
    return component


def kafka_summary(cluster: Mapping[str, Any], topic_names: Iterable[str]) -> dict[str, Any]:
    """`healthy` when a broker answers and every platform topic exists, else `degraded`."""
    present = sorted(name for name in topic_names if not name.startswith("__"))
    missing = sorted(set(all_topic_names()) - set(present))
    brokers = cluster.get("brokers") or []
    summary: dict[str, Any] = {
        "status": "healthy" if brokers and not missing else "degraded",
        "brokers": len(brokers),
        "controller_id": cluster.get("controller_id"),
        "topics": present,
        "cluster_id": cluster.get("cluster_id"),
        "missing_topics": missing,
    }
    if not brokers:
        summary["error"] = "no broker in the cluster metadata"
    elif missing:
        summary["error"] = f"{len(missing)} platform topics missing: {', '.join(missing)}"
    return summary


def overall_status(components: Mapping[str, Mapping[str, Any]]) -> str:
    """`degraded` as soon as one component is anything but healthy."""
    healthy = all(component.get("status") == "healthy" for component in components.values())
    return "healthy" if healthy else "degraded"
