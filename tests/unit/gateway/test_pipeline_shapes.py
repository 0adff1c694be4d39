"""The `/api/pipelines` answers keep the original's field names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.gateway.pipelines import PIPELINES
from services.gateway.runs import derive_run
from services.gateway.shapes import pipelines as shapes
from services.gateway.shapes.common import daily_series, index_by, last_days

EXECUTED = datetime(2026, 11, 27, 22, 10, tzinfo=UTC)


def run_row(number: int = 1, **changes) -> dict:
    row = {
        "id": number,
        "dag_id": "scrape_listings",
        "dag_run_id": f"manual__run{number}",
        "execution_date": EXECUTED,
        "status": "success",
        "conf": {"source": "demo"},
        "tasks_total": 4,
        "tasks_success": 4,
        "tasks_failed": 0,
        "duration_seconds": 12.5,
        "started_at": EXECUTED,
        "completed_at": EXECUTED,
    }
    return {**row, **changes}


def test_dag_run_has_the_airflow_field_names() -> None:
    assert set(shapes.dag_run(run_row())) == {
        "dag_id",
        "dag_run_id",
        "state",
        "execution_date",
        "start_date",
        "end_date",
        "duration_seconds",
        "tasks_total",
        "tasks_success",
        "tasks_failed",
        "conf",
    }


def test_recent_run_record_uses_the_table_names() -> None:
    record = shapes.run_record(run_row())
    assert record["status"] == "success"
    assert {"id", "started_at", "completed_at"} <= set(record)


def test_dag_lists_at_most_five_recent_runs() -> None:
    entry = shapes.dag(PIPELINES["score_master"], [run_row(n) for n in range(8)])
    assert len(entry["recent_runs"]) == 5
    assert set(entry["recent_runs"][0]) == {
        "dag_run_id",
        "state",
        "execution_date",
        "start_date",
        "end_date",
    }
    assert (entry["is_paused"], entry["is_active"], entry["tasks"]) == (
        False,
        True,
        ["score", "docgen"],
    )


def test_dag_details_carry_the_parameters_schema() -> None:
    details = shapes.dag_details(PIPELINES["enrichment_property"], [])
    assert "prospect_ids" in details["params"]["properties"]
    assert details["recent_runs"] == []


def test_overview_of_a_pipeline_never_run_has_zero_counts() -> None:
    entry = shapes.dag_overview(PIPELINES["docgen_packet"], [], None)
    assert (entry["last_run_at"], entry["success_count"], entry["failed_count"]) == (None, 0, 0)
    assert entry["running_count"] == 0
    summary = shapes.overview([entry])
    assert (summary["total_dags"], summary["active_dags"], summary["paused_dags"]) == (1, 1, 0)


def test_task_instances_are_one_per_stage() -> None:
    run = derive_run(PIPELINES["scrape_listings"].stages, {})
    tasks = [shapes.task_instance(task, "scrape_listings", "r1") for task in run.tasks]
    assert [task["task_id"] for task in tasks] == ["scrape", "enrich", "score", "docgen"]
    assert set(tasks[0]) >= {
        "task_id",
        "state",
        "start_date",
        "end_date",
        "duration",
        "try_number",
        "items_total",
        "items_success",
        "items_failed",
    }


def test_trigger_answer_has_the_message_and_the_queued_run() -> None:
    answer = shapes.triggered(
        PIPELINES["scrape_listings"],
        {"dag_run_id": "manual__x", "execution_date": EXECUTED, "conf": {"source": "demo"}},
        1,
    )
    assert answer["message"] == "DAG scrape_listings triggered successfully"
    assert answer["dag_run"] == {
        "dag_id": "scrape_listings",
        "dag_run_id": "manual__x",
        "state": "queued",
        "execution_date": EXECUTED,
        "conf": {"source": "demo"},
    }


def test_daily_stats_fill_days_without_runs_with_zeros_in_date_order() -> None:
    days = last_days(date(2026, 11, 27), 3)
    rows = [
        {
            "day": date(2026, 11, 26),
            "total_runs": 2,
            "successful_runs": 1,
            "failed_runs": 1,
            "avg_duration_seconds": 10.123,
        }
    ]
    series = daily_series(days, index_by(rows, "day"), shapes.daily_entry)
    assert [entry["date"] for entry in series] == ["2026-11-25", "2026-11-26", "2026-11-27"]
    assert series[0] == {
        "date": "2026-11-25",
        "total_runs": 0,
        "successful_runs": 0,
        "failed_runs": 0,
        "avg_duration_seconds": 0.0,
    }
    assert series[1]["avg_duration_seconds"] == 10.12
