"""The dashboard in a real browser (Debian's headless Chromium, driven by Playwright)
against a running gateway over the demo data: pages load without console errors, a click
leads from the property list to a property page showing the numbers stored in the
database, and a trigger from the dashboard starts a run that shows up."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services.gateway.cli import create_key
from services.gateway.seed import KEY_PREFIX, SOURCE
from shared.db.tables import properties, property_scores
from shared.settings import REPO_ROOT, Settings
from tests.conftest import sync_database_url
from tests.services import running_services

pytestmark = [pytest.mark.stack, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / ".stack" / "screenshots"


@pytest.fixture(scope="module")
def gateway(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway as its own process, anonymous reads on, over freshly seeded demo data."""
    subprocess.run([sys.executable, "-m", "services.gateway.seed"], cwd=REPO_ROOT, check=True)
    with running_services(
        ["services.gateway"],
        tmp_path_factory.mktemp("dashboard-logs"),
        extra_env={"REOS_ANONYMOUS_READS": "true"},
    ) as started:
        yield started["gateway"].url


@pytest.fixture(scope="module")
def operator_key(settings: Settings) -> str:
    name = f"dashboard-test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, create_key(settings, name, frozenset({"operate"}))).result()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (deploy/local/system-packages.sh installs it)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors and failed requests in `page.problems`."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    yield page
    context.close()


def best_seeded_home(settings: Settings) -> dict[str, Any]:
    """The demo home with the best latest score, as the database holds it."""
    engine = sa.create_engine(sync_database_url(settings))
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(
                properties.c.id,
                properties.c.address,
                property_scores.c.estimated_value,
                property_scores.c.value_low,
                property_scores.c.value_high,
                property_scores.c.overall_score,
            )
            .join(property_scores, property_scores.c.property_id == properties.c.id)
            .where(properties.c.property_key.startswith(KEY_PREFIX))
            .order_by(property_scores.c.overall_score.desc())
            .limit(1)
        ).one()
    engine.dispose()
    return dict(row._mapping)


def dollars(value: float) -> str:
    return f"${round(value):,}"


def test_overview_loads_with_charts_and_no_console_errors(gateway: str, page: Any) -> None:
    page.goto(gateway + "/")
    page.wait_for_selector("#funnel svg")
    page.wait_for_selector("#throughput svg")
    assert page.locator("button.trigger").count() == 5
    assert "scrape_listings" in page.inner_text("main")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    assert page.problems == []


def test_property_page_shows_the_stored_valuation_and_score(
    gateway: str, page: Any, settings: Settings
) -> None:
    home = best_seeded_home(settings)
    page.goto(gateway + "/#/properties")
    page.wait_for_selector("#filters")
    page.fill("input[name=source]", SOURCE)
    page.select_option("select[name=sort]", "-score")
    page.click("#filters button[type=submit]")
    # A locator, not an element handle: the list renders twice (all homes, then the
    # filtered ones) and a locator finds the link again in whichever table is current.
    page.locator(f"tbody tr:first-child a[href='#/property/{home['id']}']").click()
    page.wait_for_selector("#estimated-value")
    assert page.inner_text("h2.address") == home["address"]
    assert page.inner_text("#estimated-value") == dollars(home["estimated_value"])
    band = page.inner_text("#value-band")
    assert dollars(home["value_low"]) in band and dollars(home["value_high"]) in band
    assert page.inner_text("#overall-score") == f"{home['overall_score']:.1f}"
    assert "Cap rate" in page.inner_text("#roi")
    assert page.locator("#band svg").count() == 1
    assert page.locator("#components svg rect").count() > 0
    comparables = page.locator("section:has(h2:text('Comparable sales')) tbody tr")
    assert comparables.count() == 3
    page.screenshot(path=str(SCREENSHOTS / "property.png"), full_page=True)
    assert page.problems == []


def test_a_page_still_loading_never_replaces_the_one_asked_for_after_it(
    gateway: str, page: Any, settings: Settings
) -> None:
    """The property list is held back while the reader follows a link to a home; when
    the list arrives at last, the home's page stays."""
    home = best_seeded_home(settings)
    held: list[Any] = []
    page.route(lambda url: "/api/properties?" in url, lambda route: held.append(route))
    page.goto(gateway + "/#/properties")
    for _ in range(500):
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    page.evaluate(f"location.hash = '#/property/{home['id']}'")
    page.wait_for_selector("#estimated-value")
    with page.expect_response(lambda response: "/api/properties?" in response.url) as late:
        held[0].continue_()
    late.value.finished()
    # The list's answer has been read; its render runs within a few milliseconds of that.
    page.wait_for_timeout(300)
    assert page.locator("#filters").count() == 0
    assert page.inner_text("#estimated-value") == dollars(home["estimated_value"])
    assert page.problems == []


def test_trigger_from_the_dashboard_starts_a_run_that_shows_up(
    gateway: str, page: Any, operator_key: str, settings: Settings
) -> None:
    home = best_seeded_home(settings)
    page.goto(gateway + "/")
    page.wait_for_selector("button.trigger")
    page.fill("#api-key", operator_key)
    page.click("#key-form button")
    # The key re-renders the page: its buttons are the ones to use once it has settled.
    page.wait_for_selector("#view:not([aria-busy])")
    page.fill("#trigger-conf", json.dumps({"property_ids": [home["id"]]}))
    page.click("button[data-dag='score_master']")
    notice = page.wait_for_selector("#trigger-result .notice")
    text = notice.inner_text()
    match = re.search(r"run (\S+)", text)
    assert match, text
    run_id = match.group(1)
    page.wait_for_selector(f"text={run_id}", timeout=15_000)
    assert page.problems == []


def test_pages_without_errors(gateway: str, page: Any) -> None:
    for path in ("#/scraping", "#/deadletters", "#/properties"):
        page.goto(f"{gateway}/{path}")
        page.wait_for_selector("section table, section p.muted")
        assert "notice error" not in page.inner_html("main"), path
    assert page.problems == []
