"""A run's state, tasks and duration derived from the job rows that carry its run id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.gateway.runs import StageTally, derive_run

SCRAPE_PIPELINE = ("scrape", "enrich", "score", "docgen")
T0 = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def done(items: int = 1, failed: int = 0, start: float = 0, end: float = 10) -> StageTally:
    return StageTally(
        jobs_total=items + failed,
        jobs_failed=failed,
        items_total=items + failed,
        items_success=items,
        items_failed=failed,
        started_at=at(start),
        ended_at=at(end),
    )


def busy(items: int = 1, pending: int = 1, start: float = 0) -> StageTally:
    return StageTally(
        jobs_total=items + pending,
        jobs_pending=pending,
        items_total=items + pending,
        items_success=items,
        started_at=at(start),
        ended_at=at(start + 1),
    )


def scrape_job(status: str, items_scraped: int, items_failed: int = 0) -> StageTally:
    """One scraping job: the stage counts listings, not jobs."""
    return StageTally(
        jobs_total=1,
        jobs_pending=int(status in ("queued", "running")),
        jobs_failed=int(status in ("failed", "cancelled")),
        items_total=items_scraped + items_failed,
        items_success=items_scraped,
        items_failed=items_failed,
        started_at=at(0),
        ended_at=at(10),
    )


def states(run) -> list[str]:
    return [task.state for task in run.tasks]


def test_run_without_any_row_is_queued_with_every_stage_queued() -> None:
    run = derive_run(SCRAPE_PIPELINE, {})
    assert run.state == "queued"
    assert states(run) == ["queued"] * 4
    assert (run.start_date, run.end_date, run.duration_seconds) == (None, None, None)
    assert (run.tasks_total, run.tasks_success, run.tasks_failed) == (4, 0, 0)


def test_run_with_a_running_scrape_is_running() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": busy()})
    assert run.state == "running"
    assert states(run) == ["running", "queued", "queued", "queued"]
    assert run.start_date == at(0)
    assert run.end_date is None


def test_scrape_done_but_nothing_enriched_yet_is_still_running() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": done(items=5)})
    assert run.state == "running"
    assert states(run) == ["success", "queued", "queued", "queued"]


def test_run_where_every_stage_finished_is_success_with_its_span_as_duration() -> None:
    run = derive_run(
        SCRAPE_PIPELINE,
        {
            "scrape": done(items=2, start=0, end=10),
            "enrich": done(items=2, start=11, end=12),
            "score": done(items=2, start=13, end=14),
            "docgen": done(items=2, start=15, end=20),
        },
    )
    assert run.state == "success"
    assert (run.start_date, run.end_date, run.duration_seconds) == (at(0), at(20), 20.0)
    assert (run.tasks_total, run.tasks_success, run.tasks_failed) == (4, 4, 0)
    assert [task.duration for task in run.tasks] == [10.0, 1.0, 1.0, 5.0]


def test_a_failed_job_fails_the_run_once_nothing_is_pending() -> None:
    tallies = {
        "scrape": done(items=2),
        "enrich": done(items=1, failed=1),
        "score": done(items=1),
        "docgen": done(items=1),
    }
    run = derive_run(SCRAPE_PIPELINE, tallies)
    assert run.state == "failed"
    assert states(run) == ["success", "failed", "success", "success"]
    assert (run.tasks_success, run.tasks_failed) == (3, 1)
    assert run.tasks[1].items_failed == 1


def test_a_failed_job_while_other_work_is_pending_keeps_the_run_running() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": done(items=2), "enrich": done(items=1, failed=1)})
    assert run.state == "running"
    assert states(run) == ["success", "failed", "queued", "queued"]


def test_a_cancelled_scrape_counts_as_failed() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": scrape_job("cancelled", 0)})
    assert run.state == "failed"


def test_a_scrape_that_found_nothing_skips_the_later_stages_and_succeeds() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": scrape_job("success", 0)})
    assert states(run) == ["success", "skipped", "skipped", "skipped"]
    assert run.state == "success"
    assert run.end_date == at(10)


def test_a_scrape_that_failed_with_nothing_marks_later_stages_upstream_failed() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": scrape_job("failed", 0, 3)})
    assert states(run) == ["failed", "upstream_failed", "upstream_failed", "upstream_failed"]
    assert run.state == "failed"
    assert run.tasks_failed == 4


def test_a_scrape_that_failed_after_some_listings_lets_them_flow_on() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": scrape_job("failed", 3, 1)})
    assert states(run) == ["failed", "queued", "queued", "queued"]
    assert (run.tasks[0].items_success, run.tasks[0].items_failed) == (3, 1)
    assert run.state == "running"


def test_run_whose_request_could_not_be_published_is_failed_at_that_moment() -> None:
    run = derive_run(SCRAPE_PIPELINE, {}, request_failed_at=at(3))
    assert run.state == "failed"
    assert states(run) == ["upstream_failed"] * 4
    assert (run.start_date, run.end_date, run.duration_seconds) == (at(3), at(3), 0.0)


def test_rows_of_a_run_whose_request_seemed_lost_decide_its_state() -> None:
    run = derive_run(SCRAPE_PIPELINE, {"scrape": busy()}, request_failed_at=at(3))
    assert run.state == "running"


def test_a_stage_end_never_precedes_its_start() -> None:
    skewed = StageTally(
        jobs_total=1, items_total=1, items_success=1, started_at=at(5), ended_at=at(2)
    )
    run = derive_run(("docgen",), {"docgen": skewed})
    assert run.tasks[0].end_date == at(5)
    assert run.tasks[0].duration == 0.0
    assert run.duration_seconds == 0.0


def test_score_pipeline_counts_only_its_own_stages() -> None:
    run = derive_run(("score", "docgen"), {"score": done(items=3), "docgen": done(items=3)})
    assert [task.task_id for task in run.tasks] == ["score", "docgen"]
    assert (run.state, run.tasks_total, run.tasks_success) == ("success", 2, 2)


def test_stages_of_other_pipelines_are_ignored() -> None:
    run = derive_run(("docgen",), {"scrape": busy(), "docgen": done()})
    assert run.state == "success"
