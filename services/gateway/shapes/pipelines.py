"""Shapes of `/api/pipelines`: pipelines (the original's DAGs), their runs and tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from services.gateway.pipelines import Pipeline
from services.gateway.runs import TaskView
from services.gateway.shapes.common import rounded
from services.gateway.shapes.records import Record

RunState = str
"""queued, running, success or failed."""


class RunSummary(Record):
    dag_run_id: str
    state: RunState
    execution_date: datetime
    start_date: datetime | None
    end_date: datetime | None


class Dag(Record):
    """A pipeline (the original's DAG) with its newest runs."""

    dag_id: str
    description: str
    is_paused: bool
    is_active: bool
    schedule: str | None
    tags: list[str]
    tasks: list[str] = Field(description="its stages, in order (scrape, enrich, score, docgen)")
    recent_runs: list[RunSummary] = Field(description="at most 5, newest first")


class DagDetails(Dag):
    params: dict[str, Any] = Field(description="JSON schema of the `conf` a trigger accepts")


class DagOverview(Dag):
    last_run_at: datetime | None
    success_count: int
    failed_count: int
    running_count: int
    queued_count: int
    total_runs: int


class PipelinesOverview(Record):
    total_dags: int
    active_dags: int
    paused_dags: int
    dags: list[DagOverview]


class DagList(Record):
    dags: list[Dag]
    total_entries: int


class DagRun(Record):
    dag_id: str
    dag_run_id: str
    state: RunState
    execution_date: datetime
    start_date: datetime | None
    end_date: datetime | None
    duration_seconds: float | None
    tasks_total: int
    tasks_success: int
    tasks_failed: int
    conf: dict[str, Any]


class DagRunList(Record):
    dag_runs: list[DagRun]
    total_entries: int = Field(description="runs matching the filter, over every page")


class TaskInstance(Record):
    task_id: str = Field(description="the stage: scrape, enrich, score or docgen")
    dag_id: str
    dag_run_id: str
    state: str
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None = Field(description="seconds")
    try_number: int
    items_total: int
    items_success: int
    items_failed: int


class TaskList(Record):
    task_instances: list[TaskInstance]
    total_entries: int


class TriggeredRun(Record):
    dag_id: str
    dag_run_id: str
    state: RunState
    execution_date: datetime
    conf: dict[str, Any]


class Triggered(Record):
    message: str
    dag_run: TriggeredRun
    events_published: int = Field(description="request events published for the run")


class RunRecord(Record):
    id: int
    dag_id: str
    dag_run_id: str
    status: RunState
    execution_date: datetime
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    tasks_total: int
    tasks_success: int
    tasks_failed: int


class RecentRuns(Record):
    data: list[RunRecord]


class DailyRuns(Record):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    total_runs: int
    successful_runs: int
    failed_runs: int
    avg_duration_seconds: float


class DailyRunSeries(Record):
    data: list[DailyRuns] = Field(description="one entry per day, oldest first")


RECENT_RUNS_PER_DAG = 5


def run_summary(run: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "dag_run_id": run["dag_run_id"],
        "state": run["status"],
        "execution_date": run["execution_date"],
        "start_date": run["started_at"],
        "end_date": run["completed_at"],
    }


def dag_run(run: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "dag_id": run["dag_id"],
        "dag_run_id": run["dag_run_id"],
        "state": run["status"],
        "execution_date": run["execution_date"],
        "start_date": run["started_at"],
        "end_date": run["completed_at"],
        "duration_seconds": run["duration_seconds"],
        "tasks_total": run["tasks_total"],
        "tasks_success": run["tasks_success"],
        "tasks_failed": run["tasks_failed"],
        "conf": run["conf"],
    }


def run_record(run: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": run["id"],
        "dag_id": run["dag_id"],
        "dag_run_id": run["dag_run_id"],
        "status": run["status"],
        "execution_date": run["execution_date"],
        "started_at": run["started_at"],
        "completed_at": run["completed_at"],
        "duration_seconds": run["duration_seconds"],
        "tasks_total": run["tasks_total"],
        "tasks_success": run["tasks_success"],
        "tasks_failed": run["tasks_failed"],
    }


def task_instance(task: TaskView, dag_id: str, dag_run_id: str) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "dag_id": dag_id,
        "dag_run_id": dag_run_id,
        "state": task.state,
        "start_date": task.start_date,
        "end_date": task.end_date,
        "duration": task.duration,
        "try_number": task.try_number,
        "items_total": task.items_total,
        "items_success": task.items_success,
        "items_failed": task.items_failed,
    }


def dag(pipeline: Pipeline, recent: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "dag_id": pipeline.dag_id,
        "description": pipeline.description,
        "is_paused": False,
        "is_active": True,
        "schedule": pipeline.schedule,
        "tags": list(pipeline.tags),
        "tasks": list(pipeline.stages),
        "recent_runs": [run_summary(run) for run in recent[:RECENT_RUNS_PER_DAG]],
    }


def dag_details(pipeline: Pipeline, recent: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {**dag(pipeline, recent), "params": pipeline.params_schema()}


def dag_overview(
    pipeline: Pipeline, recent: Sequence[Mapping[str, Any]], counts: Mapping[str, Any] | None
) -> dict[str, Any]:
    counts = counts or {}
    last_run_at: datetime | None = counts.get("last_run_at")
    return {
        **dag(pipeline, recent),
        "last_run_at": last_run_at,
        "success_count": counts.get("success_count", 0),
        "failed_count": counts.get("failed_count", 0),
        "running_count": counts.get("running_count", 0),
        "queued_count": counts.get("queued_count", 0),
        "total_runs": counts.get("total_runs", 0),
    }


def overview(dags: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    paused = sum(1 for entry in dags if entry["is_paused"])
    return {
        "total_dags": len(dags),
        "active_dags": sum(1 for entry in dags if entry["is_active"] and not entry["is_paused"]),
        "paused_dags": paused,
        "dags": list(dags),
    }


def daily_entry(row: Mapping[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {
        "total_runs": row.get("total_runs", 0),
        "successful_runs": row.get("successful_runs", 0),
        "failed_runs": row.get("failed_runs", 0),
        "avg_duration_seconds": rounded(row.get("avg_duration_seconds")),
    }


def triggered(pipeline: Pipeline, run: Mapping[str, Any], events: int) -> dict[str, Any]:
    return {
        "message": f"DAG {pipeline.dag_id} triggered successfully",
        "dag_run": {
            "dag_id": pipeline.dag_id,
            "dag_run_id": run["dag_run_id"],
            "state": "queued",
            "execution_date": run["execution_date"],
            "conf": run["conf"],
        },
        "events_published": events,
    }
