"""Pipelines run on a clock: cron schedules from configuration, and the loop that fires them.

`REOS_SCHEDULES` (JSON) or `REOS_SCHEDULES_FILE` (a JSON file of the same shape) map a
schedule's name to its cron expression and the request it makes:

    {"scrape_listings": {"cron": "0 */6 * * *",
                         "request": {"source": "demo", "max_items": 500}},
     "offmarket-king-county": {"pipeline": "discovery_offmarket", "cron": "30 2 * * *",
                               "request": {"source": "king-county-tax", ...}}}

`pipeline` defaults to the schedule's name; `request` holds the `ScrapeRequested` fields
(source, start_urls, location, listing_type, filters, limits). Cron expressions are read
in UTC by croniter: five fields, or six with seconds last.

Only the two scrape pipelines can be scheduled here. The other pipelines
(`enrichment_property`, `score_master`, `docgen_packet`) run on per-property events
(`EnrichmentRequested`, `ScoringRequested`, `DocgenRequested`): a tick of theirs means
choosing which properties to run, which is the gateway's to do, so a schedule naming
one is refused at start-up, saying so.

A tick fires once however many replicas run the loop: its request's event id and run id
are derived from the schedule's name and the tick's time, and a replica publishes it
only after claiming the tick (a row in `schedule_ticks`, see `store.claim_tick`). A tick
missed by more than the misfire grace (the service was down) is skipped, not caught up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, get_args

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.events import PipelineId, ScrapeRequested, derived_event_id, utcnow

SCHEDULED_PIPELINES = frozenset(get_args(ScrapeRequested.model_fields["pipeline"].annotation))
PER_PROPERTY_PIPELINES = frozenset(get_args(PipelineId)) - SCHEDULED_PIPELINES
RESERVED_REQUEST_FIELDS = frozenset(
    {"event_id", "event_type", "run_id", "occurred_at", "schema_version", "pipeline"}
)
FIRE_RETRY_SECONDS = 5.0

log = logging.getLogger("reos.scraper.schedules")


class ScheduleError(ValueError):
    """A schedule in the configuration cannot be run as written."""


class Schedule(BaseModel):
    """One pipeline on one cron expression, with the request each tick makes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    pipeline: str
    cron: str
    request: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str) -> str:
        if not croniter.is_valid(cron):
            raise ValueError(f"not a cron expression: {cron!r}")
        return cron


def parse_schedules(definitions: dict[str, Any]) -> list[Schedule]:
    """The schedules of the configuration; `ScheduleError` naming the first one at fault."""
    schedules = []
    for name, body in definitions.items():
        if not isinstance(body, dict):
            raise ScheduleError(f"schedule {name!r}: expected an object with cron and request")
        try:
            schedule = Schedule.model_validate({"pipeline": name, **body, "name": name})
        except ValidationError as error:
            raise ScheduleError(f"schedule {name!r}: {error}") from error
        _check_request(schedule)
        schedules.append(schedule)
    return schedules


def _check_request(schedule: Schedule) -> None:
    if schedule.pipeline in PER_PROPERTY_PIPELINES:
        raise ScheduleError(
            f"schedule {schedule.name!r}: pipeline {schedule.pipeline} runs on per-property "
            "events, which the scraper cannot choose; schedule it through the gateway"
        )
    if schedule.pipeline not in SCHEDULED_PIPELINES:
        raise ScheduleError(
            f"schedule {schedule.name!r}: unknown pipeline {schedule.pipeline!r}; "
            f"schedulable: {', '.join(sorted(SCHEDULED_PIPELINES))}"
        )
    reserved = sorted(RESERVED_REQUEST_FIELDS & schedule.request.keys())
    if reserved:
        raise ScheduleError(
            f"schedule {schedule.name!r}: the scheduler sets {', '.join(reserved)} itself"
        )
    try:
        scheduled_request(schedule, utcnow())
    except ValidationError as error:
        raise ScheduleError(f"schedule {schedule.name!r}: request: {error}") from error


def next_tick(schedule: Schedule, after: datetime) -> datetime:
    """The first tick of `schedule` strictly after `after` (an aware datetime)."""
    tick: datetime = croniter(schedule.cron, after).get_next(datetime)
    return tick


def scheduled_request(schedule: Schedule, tick: datetime) -> ScrapeRequested:
    """The request of one tick: the same ids on every replica that computes it."""
    return ScrapeRequested.model_validate(
        {
            **schedule.request,
            "pipeline": schedule.pipeline,
            "event_id": derived_event_id("schedule", schedule.name, tick.isoformat()),
            "run_id": f"{schedule.name}__{tick:%Y%m%dT%H%M%SZ}",
            "occurred_at": tick,
        }
    )


Fire = Callable[[Schedule, datetime, ScrapeRequested], Awaitable[bool]]


class Scheduler:
    """Fires each schedule's ticks as they come, through `fire` (claim the tick, publish
    its request; False when another replica had it). A tick whose firing fails is tried
    again until it is fired or falls out of the misfire grace."""

    def __init__(
        self,
        schedules: list[Schedule],
        fire: Fire,
        misfire_grace_seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.schedules = schedules
        self.fire = fire
        self.grace = timedelta(seconds=misfire_grace_seconds)
        self.clock = clock

    async def run(self) -> None:
        if not self.schedules:
            return
        started = self.clock() - self.grace
        pending = {schedule.name: next_tick(schedule, started) for schedule in self.schedules}
        while True:
            schedule = min(self.schedules, key=lambda each: pending[each.name])
            tick = pending[schedule.name]
            now = self.clock()
            if tick > now:
                await asyncio.sleep((tick - now).total_seconds())
                continue
            if tick < now - self.grace:
                log.warning("schedule tick missed", extra={"schedule": schedule.name, "tick": tick})
                pending[schedule.name] = next_tick(schedule, now - self.grace)
                continue
            if await self._fired(schedule, tick):
                pending[schedule.name] = next_tick(schedule, tick)

    async def _fired(self, schedule: Schedule, tick: datetime) -> bool:
        request = scheduled_request(schedule, tick)
        try:
            fired = await self.fire(schedule, tick, request)
        except Exception as error:
            log.error(
                "schedule tick could not be fired, trying again",
                extra={"schedule": schedule.name, "tick": tick, "error": repr(error)},
            )
            await asyncio.sleep(FIRE_RETRY_SECONDS)
            return False
        log.info(
            "schedule tick fired" if fired else "schedule tick fired by another replica",
            extra={"schedule": schedule.name, "tick": tick, "run_id": request.run_id},
        )
        return True
