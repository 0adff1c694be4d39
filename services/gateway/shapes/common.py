"""Shapes every resource uses: pages, rates, daily series."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any


def page(total: int, limit: int, offset: int, data: Sequence[Any]) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "data": list(data)}


def percent(part: float, whole: float, digits: int = 2) -> float:
    """`part` as a percentage of `whole`; 0.0 when there is no whole."""
    return round(100.0 * part / whole, digits) if whole else 0.0


def rounded(value: float | None, digits: int = 2) -> float:
    """An average as a number; an empty table's average (None) is 0.0."""
    return round(float(value), digits) if value is not None else 0.0


def last_days(today: date, days: int) -> list[date]:
    """The `days` days ending with `today`, oldest first."""
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def daily_series(
    days: Sequence[date],
    rows_by_day: Mapping[date, Mapping[str, Any]],
    entry: Callable[[Mapping[str, Any] | None], dict[str, Any]],
) -> list[dict[str, Any]]:
    """One entry per day, oldest first; `entry(None)` fills a day without rows."""
    return [{"date": day.isoformat(), **entry(rows_by_day.get(day))} for day in days]


def index_by(rows: Iterable[Mapping[str, Any]], key: str) -> dict[Any, Mapping[str, Any]]:
    return {row[key]: row for row in rows}


def job_counts(counts: Mapping[str, Any]) -> dict[str, Any]:
    """JobCounts: jobs per status; the success rate is over every job."""
    total = int(counts.get("total") or 0)
    successful = int(counts.get("successful") or 0)
    return {
        "total": total,
        "running": int(counts.get("running") or 0),
        "queued": int(counts.get("queued") or 0),
        "successful": successful,
        "failed": int(counts.get("failed") or 0),
        "success_rate": percent(successful, total),
    }
