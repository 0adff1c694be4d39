"""`reos-scraper parse` run as a user runs it, on the saved pages of every site's fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.scraper.parsers import PARSERS
from shared.listing import Listing
from shared.settings import REPO_ROOT

FIXTURES = Path("tests/fixtures/scraper")
SITES = [site for site in PARSERS if (REPO_ROOT / FIXTURES / site).is_dir()]
FEEDS_EXAMPLE = REPO_ROOT / "deploy" / "feeds.example.yaml"


def run(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.scraper", "parse", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def fixture_files(site: str) -> list[str]:
    return sorted(str(path) for path in (FIXTURES / site).iterdir() if path.is_file())


def kinds_said(stderr: str) -> dict[str, str]:
    """File -> page kind, from the summary line `parse` writes per recognised file."""
    found = {}
    for line in stderr.splitlines():
        path, _, rest = line.partition(": ")
        if " listing(s), " in rest:
            found[path] = rest.split(",", 1)[0]
    return found


@pytest.mark.parametrize("site", SITES)
def test_every_fixture_of_a_site_is_recognised_as_that_site(site: str) -> None:
    files = fixture_files(site)

    result = run(*files)

    assert result.returncode == 0, result.stderr
    kinds = kinds_said(result.stderr)
    assert sorted(kinds) == files, result.stderr
    assert all(kind.startswith(f"{site}.") for kind in kinds.values()), kinds
    printed = lines(result.stdout)
    assert printed, f"no listing printed for {site}"
    assert {line["source"] for line in printed} == {site}
    for line in printed:
        listing = Listing.model_validate(line["listing"])
        assert listing.source == site
        assert set(line) == {"file", "index", "source", "listing"}


@pytest.mark.parametrize("site", SITES)
def test_listings_are_numbered_in_page_order_from_zero_per_file(site: str) -> None:
    result = run(*fixture_files(site))

    by_file: dict[str, list[int]] = {}
    for line in lines(result.stdout):
        by_file.setdefault(line["file"], []).append(line["index"])
    assert by_file
    for indexes in by_file.values():
        assert indexes == list(range(len(indexes)))


def test_the_printed_listings_are_those_the_parser_reads_in_that_order() -> None:
    site = SITES[0]
    path = max(fixture_files(site), key=lambda name: Path(name).stat().st_size)
    body = (REPO_ROOT / path).read_text(encoding="utf-8")

    result = run(path)

    expected = [listing.model_dump(mode="json") for listing in PARSERS[site].parse(body).listings]
    assert [line["listing"] for line in lines(result.stdout)] == expected


def test_unrecognised_file_is_named_on_stderr_and_the_others_still_print(tmp_path: Path) -> None:
    stray = tmp_path / "notes.html"
    stray.write_text("<html><body><p>My shopping list</p></body></html>")
    page = fixture_files(SITES[0])[0]

    result = run(str(stray), page)

    assert result.returncode == 0
    assert f"{stray}: not recognised by any parser" in result.stderr
    assert {line["file"] for line in lines(result.stdout)} == {page}


def test_no_recognised_file_exits_1(tmp_path: Path) -> None:
    stray = tmp_path / "data.json"
    stray.write_text('{"hello": "world"}')

    result = run(str(stray), str(tmp_path / "missing.html"))

    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{stray}: not recognised" in result.stderr
    assert "missing.html: cannot read" in result.stderr


def test_unknown_source_is_a_usage_error() -> None:
    result = run("--source", "craigslist", fixture_files(SITES[0])[0])

    assert result.returncode == 2
    assert "unknown source 'craigslist'" in result.stderr


def test_no_file_is_a_usage_error() -> None:
    assert run().returncode == 2


def test_source_option_reads_a_page_as_that_site_without_detecting() -> None:
    site = SITES[0]
    page = fixture_files(site)[0]

    as_site = run("--source", site, page)
    as_jsonld = run("--source", "jsonld", page)

    assert as_site.returncode == 0
    assert {line["source"] for line in lines(as_site.stdout)} == {site}
    assert all(line["source"] == "jsonld" for line in lines(as_jsonld.stdout))


def test_a_page_in_a_declared_legacy_charset_is_decoded_by_its_meta(tmp_path: Path) -> None:
    page = tmp_path / "latin1.html"
    jsonld = {
        "@context": "https://schema.org",
        "@type": "SingleFamilyResidence",
        "identifier": "L-1",
        "address": {"streetAddress": "12 Rue Déjà Vu", "addressRegion": "WA"},
        "offers": {"@type": "Offer", "price": 400000},
    }
    page.write_bytes(
        (
            '<html><head><meta charset="iso-8859-1">'
            f'<script type="application/ld+json">{json.dumps(jsonld, ensure_ascii=False)}'
            "</script></head><body></body></html>"
        ).encode("iso-8859-1")
    )

    result = run(str(page))

    (line,) = lines(result.stdout)
    assert line["listing"]["street"] == "12 Rue Déjà Vu"


def test_feed_source_reads_a_saved_feed_with_its_configured_mapping() -> None:
    csv = str(FIXTURES / "feeds" / "lakeview-tax-delinquent.csv")

    result = run(
        "--source",
        "feed:lakeview-county-tax-delinquent",
        csv,
        env={"REOS_SCRAPER_FEEDS_FILE": str(FEEDS_EXAMPLE)},
    )

    assert result.returncode == 0, result.stderr
    printed = lines(result.stdout)
    assert printed
    assert {line["source"] for line in printed} == {"feed:lakeview-county-tax-delinquent"}
    assert all(line["listing"]["status"] == "off_market" for line in printed)
    assert all(line["listing"]["distress_signals"] for line in printed)
    assert f"{csv}: feed.csv," in result.stderr


def test_unknown_feed_is_a_usage_error() -> None:
    result = run(
        "--source",
        "feed:nowhere",
        str(FIXTURES / "feeds" / "lakeview-tax-delinquent.csv"),
        env={"REOS_SCRAPER_FEEDS_FILE": str(FEEDS_EXAMPLE)},
    )

    assert result.returncode == 2
    assert "no feed named 'nowhere'" in result.stderr
