"""Schedules from configuration: which pipelines may run on a clock, the ticks they fire and
the requests those ticks make, and the loop that fires each tick once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.scraper.config import ScraperConfig
from services.scraper.schedules import (
    Schedule,
    ScheduleError,
    Scheduler,
    next_tick,
    parse_schedules,
    scheduled_request,
)
from shared.events import ScrapeRequested

TICK = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_a_schedule_named_after_its_pipeline_runs_that_pipeline() -> None:
    [schedule] = parse_schedules(
        {"scrape_listings": {"cron": "0 */6 * * *", "request": {"source": "demo"}}}
    )

    assert (schedule.name, schedule.pipeline, schedule.cron) == (
        "scrape_listings",
        "scrape_listings",
        "0 */6 * * *",
    )


def test_several_schedules_may_run_one_pipeline() -> None:
    schedules = parse_schedules(
        {
            "zillow-seattle": {
                "pipeline": "scrape_listings",
                "cron": "0 3 * * *",
                "request": {"source": "zillow", "location": "Seattle, WA"},
            },
            "offmarket-nightly": {
                "pipeline": "discovery_offmarket",
                "cron": "30 2 * * *",
                "request": {"source": "demo", "listing_type": "off_market"},
            },
        }
    )

    assert [schedule.pipeline for schedule in schedules] == [
        "scrape_listings",
        "discovery_offmarket",
    ]


@pytest.mark.parametrize("pipeline", ["enrichment_property", "score_master", "docgen_packet"])
def test_per_property_pipelines_are_refused_pointing_at_the_gateway(pipeline: str) -> None:
    with pytest.raises(ScheduleError, match=r"per-property events.*through the gateway"):
        parse_schedules({pipeline: {"cron": "0 * * * *"}})


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"cron": "every day", "request": {"source": "demo"}}, "not a cron expression"),
        ({"cron": "0 * * * *", "request": {}}, "source"),
        ({"cron": "0 * * * *", "request": {"source": "demo", "run_id": "x"}}, "sets run_id"),
        ({"cron": "0 * * * *", "request": {"source": "demo"}, "when": 1}, "when"),
        ("0 * * * *", "expected an object"),
    ],
)
def test_a_schedule_that_cannot_run_is_refused_naming_it(body: object, complaint: str) -> None:
    with pytest.raises(ScheduleError, match=f"(?s)schedule 'scrape_listings'.*{complaint}"):
        parse_schedules({"scrape_listings": body})


def test_schedules_come_from_the_environment_or_a_file(tmp_path) -> None:
    path = tmp_path / "schedules.json"
    path.write_text('{"nightly": {"pipeline": "scrape_listings", "cron": "0 1 * * *"}}')
    config = ScraperConfig.model_validate(
        {
            "REOS_SCHEDULES_FILE": str(path),
            "REOS_SCHEDULES": '{"scrape_listings": {"cron": "0 */6 * * *"}}',
        }
    )

    assert sorted(config.schedule_definitions()) == ["nightly", "scrape_listings"]


def schedule(cron: str = "0 */6 * * *", name: str = "scrape_listings") -> Schedule:
    return Schedule(name=name, pipeline="scrape_listings", cron=cron, request={"source": "demo"})


def test_next_tick_is_strictly_after_the_given_time_in_utc() -> None:
    assert next_tick(schedule(), TICK - timedelta(seconds=1)) == TICK
    assert next_tick(schedule(), TICK) == TICK + timedelta(hours=6)
    assert next_tick(schedule("*/5 * * * * */10"), TICK) == TICK + timedelta(seconds=10)


def test_every_replica_makes_the_same_request_for_a_tick_and_a_new_one_for_the_next() -> None:
    first = scheduled_request(schedule(), TICK)
    again = scheduled_request(schedule(), TICK)
    following = scheduled_request(schedule(), TICK + timedelta(hours=6))

    assert first == again
    assert first.event_id != following.event_id
    assert first.run_id == "scrape_listings__20261202T060000Z"
    assert (first.pipeline, first.source, first.occurred_at) == ("scrape_listings", "demo", TICK)


class Clock:
    """A clock that the loop's sleeps move forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def run_scheduler(
    schedules: list[Schedule], clock: Clock, until: datetime, fire
) -> list[tuple[str, datetime]]:
    fired: list[tuple[str, datetime]] = []

    async def record(schedule: Schedule, tick: datetime, request: ScrapeRequested) -> bool:
        fired.append((schedule.name, tick))
        return await fire(schedule, tick, request)

    async def advancing_sleep(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)
        if clock.now >= until:
            raise asyncio.CancelledError
        await real_sleep(0)

    real_sleep = asyncio.sleep
    scheduler = Scheduler(schedules, record, misfire_grace_seconds=60, clock=clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio, "sleep", advancing_sleep)
        with pytest.raises(asyncio.CancelledError):
            await scheduler.run()
    return fired


async def accept(schedule: Schedule, tick: datetime, request: ScrapeRequested) -> bool:
    return True


async def test_the_loop_fires_each_tick_of_each_schedule_in_time_order() -> None:
    clock = Clock(TICK + timedelta(minutes=5))
    schedules = [schedule("0 */6 * * *", "six-hourly"), schedule("0 */4 * * *", "four-hourly")]

    fired = await run_scheduler(schedules, clock, TICK + timedelta(hours=12, minutes=1), accept)

    assert fired == [
        ("four-hourly", TICK + timedelta(hours=2)),
        ("six-hourly", TICK + timedelta(hours=6)),
        ("four-hourly", TICK + timedelta(hours=6)),
        ("four-hourly", TICK + timedelta(hours=10)),
        ("six-hourly", TICK + timedelta(hours=12)),
    ]


async def test_a_tick_just_missed_at_start_up_is_fired_one_long_missed_is_not() -> None:
    clock = Clock(TICK + timedelta(seconds=30))

    fired = await run_scheduler([schedule("0 * * * *")], clock, TICK + timedelta(hours=1), accept)

    assert fired == [("scrape_listings", TICK)]


async def test_a_tick_that_could_not_be_fired_is_tried_again() -> None:
    clock = Clock(TICK - timedelta(seconds=1))
    attempts = []

    async def flaky(schedule: Schedule, tick: datetime, request: ScrapeRequested) -> bool:
        attempts.append(tick)
        if len(attempts) == 1:
            raise ConnectionError("broker down")
        return True

    fired = await run_scheduler([schedule("0 * * * *")], clock, TICK + timedelta(minutes=59), flaky)

    assert fired == [("scrape_listings", TICK), ("scrape_listings", TICK)]
