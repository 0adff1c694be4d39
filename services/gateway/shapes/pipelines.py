"""Shapes of `/api/pipelines`: pipelines (the original's DAGs), their runs and tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.gateway.pipelines import Pipeline
from services.gateway.runs import TaskView
from services.gateway.shapes.common import rounded

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
