"""A pipeline run's state, derived from the job rows that carry its run id.

`pipeline_runs` records only that a run was requested (and whether the request could be
published). What happened since is read from the stages' own tables, each row tagged
with the run id: scrape = `scraping_jobs`, enrich = `enrichment_jobs`, score =
`scoring_jobs`, docgen = `docgen_jobs`. A stage is one task of the run.

Task state, for the stages of the pipeline in order:
- a stage with rows is `running` while any of its jobs is queued or running, else
  `failed` if any job failed or was cancelled, else `success`;
- a stage without rows is `skipped` when the stage before it finished and produced
  nothing (nothing to do), `upstream_failed` when the stage before it failed and produced
  nothing (or the request could not be published), the same as the stage before it when
  that one was skipped or never ran, and otherwise `queued` (its service has not taken
  the work yet).

Run state:
- `failed` when the request could not be published (and no stage has rows);
- `queued` while no stage has any row;
- `running` while any stage is running or queued;
- `failed` when any stage failed (or never ran because an upstream one failed);
- `success` otherwise (every stage succeeded or had nothing to do).

A stage counts as finished when the rows it has so far are finished: work still in
flight between two services (published, not yet consumed) is not visible. Items: the
scrape stage counts listings (`items_scraped`, `items_failed`); the other stages count
their job rows, one per property or prospect; a score row is a successful item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.gateway.pipelines import Stage

TaskState = Literal["queued", "running", "success", "failed", "skipped", "upstream_failed"]
RunState = Literal["queued", "running", "success", "failed"]

FINISHED_TASK_STATES: frozenset[str] = frozenset(
    {"success", "failed", "skipped", "upstream_failed"}
)
FAILED_TASK_STATES: frozenset[str] = frozenset({"failed", "upstream_failed"})
PENDING_TASK_STATES: frozenset[str] = frozenset({"queued", "running"})
FINISHED_RUN_STATES: frozenset[str] = frozenset({"success", "failed"})


@dataclass(frozen=True)
class StageTally:
    """What one stage's rows of one run add up to."""

    jobs_total: int = 0
    jobs_pending: int = 0
    jobs_failed: int = 0
    items_total: int = 0
    items_success: int = 0
    items_failed: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class TaskView:
    task_id: Stage
    state: TaskState
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    items_total: int
    items_success: int
    items_failed: int
    try_number: int = 1


@dataclass(frozen=True)
class RunView:
    state: RunState
    start_date: datetime | None
    end_date: datetime | None
    duration_seconds: float | None
    tasks: tuple[TaskView, ...]

    @property
    def tasks_total(self) -> int:
        return len(self.tasks)

    @property
    def tasks_success(self) -> int:
        return sum(task.state == "success" for task in self.tasks)

    @property
    def tasks_failed(self) -> int:
        return sum(task.state in FAILED_TASK_STATES for task in self.tasks)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _state_with_rows(tally: StageTally) -> TaskState:
    if tally.jobs_pending:
        return "running"
    if tally.jobs_failed:
        return "failed"
    return "success"


def _state_without_rows(previous: TaskState, previous_output: int) -> TaskState:
    if previous in ("skipped", "upstream_failed"):
        return previous
    if previous_output == 0 and previous == "success":
        return "skipped"
    if previous_output == 0 and previous == "failed":
        return "upstream_failed"
    return "queued"


def derive_tasks(
    stages: tuple[Stage, ...], tallies: Mapping[Stage, StageTally], request_failed: bool
) -> tuple[TaskView, ...]:
    """One task per stage, in pipeline order (rules in the module docstring)."""
    tasks: list[TaskView] = []
    previous: TaskState = "failed" if request_failed else "success"
    previous_output = 0 if request_failed else 1
    for stage in stages:
        tally = tallies.get(stage, StageTally())
        if tally.jobs_total:
            state = _state_with_rows(tally)
            end = tally.ended_at if state in FINISHED_TASK_STATES else None
            if end is not None and tally.started_at is not None:
                end = max(end, tally.started_at)
            start = tally.started_at
        else:
            state = _state_without_rows(previous, previous_output)
            start = end = None
        tasks.append(
            TaskView(
                task_id=stage,
                state=state,
                start_date=start,
                end_date=end,
                duration=_seconds(start, end),
                items_total=tally.items_total,
                items_success=tally.items_success,
                items_failed=tally.items_failed,
            )
        )
        previous, previous_output = state, tally.items_success
    return tuple(tasks)


def derive_run(
    stages: tuple[Stage, ...],
    tallies: Mapping[Stage, StageTally],
    *,
    request_failed_at: datetime | None = None,
) -> RunView:
    """The run's state, times and tasks. `request_failed_at` is set when its request event
    could not be published; should rows appear all the same (the broker took the request
    after the gateway gave up waiting), the rows decide."""
    has_rows = any(tallies.get(stage, StageTally()).jobs_total for stage in stages)
    if has_rows:
        request_failed_at = None
    tasks = derive_tasks(stages, tallies, request_failed_at is not None)
    started = [task.start_date for task in tasks if task.start_date is not None]
    start = min(started) if started else request_failed_at
    state = _run_state(tasks, has_rows, request_failed_at is not None)
    end: datetime | None = None
    if state in FINISHED_RUN_STATES:
        ended = [task.end_date for task in tasks if task.end_date is not None]
        end = max([*ended, *started]) if ended or started else request_failed_at
    return RunView(
        state=state,
        start_date=start,
        end_date=end,
        duration_seconds=_seconds(start, end),
        tasks=tasks,
    )


def _run_state(tasks: tuple[TaskView, ...], has_rows: bool, request_failed: bool) -> RunState:
    if request_failed:
        return "failed"
    if not has_rows:
        return "queued"
    if any(task.state in PENDING_TASK_STATES for task in tasks):
        return "running"
    if any(task.state in FAILED_TASK_STATES for task in tasks):
        return "failed"
    return "success"
