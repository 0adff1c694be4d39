"""`reos-scraper`: run the service, or read saved pages with the site parsers.

    reos-scraper [serve]                          run the scraper service
    reos-scraper parse FILE... [--source NAME]    print the listings of saved pages

`parse` reads each file as a site served it (an HTML page or an API body, in the
encoding its byte-order mark or `<meta charset>` names, else UTF-8), finds the site and
page kind (or takes `--source`: zillow, redfin, realtor, jsonld, or `feed:<name>` for a
configured public-record feed) and prints one JSON line per listing, in the page's own
order:

    {"file": "saved/search.html", "index": 0, "source": "zillow", "listing": {...}}

On stderr it says, for each file, the page kind it read and the listings it could not
read; a file no parser recognises is named there and the others still print. Exit
status: 0 when at least one file was recognised, 1 when none was, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from w3lib.encoding import html_body_declared_encoding, read_bom

from services.scraper.feeds import feed_by_name
from services.scraper.parsers import PARSERS, detect_page, feeds, source_of
from services.scraper.parsers.page import ParsedPage
from services.scraper.sources import FEED_SOURCE_PREFIX

EXIT_RECOGNISED, EXIT_NONE_RECOGNISED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Reading:
    """What one file holds, as a parser read it."""

    source: str
    page: ParsedPage


Reader = Callable[[str], Reading | None]


def decoded(data: bytes) -> str:
    """The text of a saved body: its byte-order mark or declared charset, else UTF-8;
    bytes that do not decode become U+FFFD."""
    bom_encoding, bom = read_bom(data)
    if bom_encoding is not None and bom is not None:
        return data[len(bom) :].decode(bom_encoding, errors="replace")
    declared = html_body_declared_encoding(data)
    try:
        return data.decode(declared or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def detecting_reader(body: str) -> Reading | None:
    """The reading of whichever site parser recognises `body`."""
    found = detect_page(body)
    if found is None:
        return None
    module, _ = found
    return Reading(source_of(module), module.parse(body, None))


def site_reader(name: str, module: ModuleType) -> Reader:
    """Reads every body with one site's parser; a body it neither recognises nor finds a
    listing in is unrecognised."""

    def read(body: str) -> Reading | None:
        page = module.parse(body, None)
        if page.listings or module.detect(body, None) is not None:
            return Reading(name, page)
        return None

    return read


def feed_reader(name: str) -> Reader:
    """Reads every body as the configured feed `name`; `FeedConfigError` when there is none."""
    feed = feed_by_name(name)

    def read(body: str) -> Reading | None:
        page = feeds.parse(body, None, feed)
        if page.listings or not page.failures:
            return Reading(f"{FEED_SOURCE_PREFIX}{name}", page)
        return None

    return read


def reader_for(source: str | None) -> Reader:
    if source is None:
        return detecting_reader
    if source.startswith(FEED_SOURCE_PREFIX):
        return feed_reader(source.removeprefix(FEED_SOURCE_PREFIX))
    if source not in PARSERS:
        known = ", ".join([*PARSERS, f"{FEED_SOURCE_PREFIX}<name>"])
        raise ValueError(f"unknown source {source!r}; known sources: {known}")
    return site_reader(source, PARSERS[source])


def parse_files(paths: list[str], read: Reader) -> int:
    """Print the listings of each file; the exit status."""
    recognised = 0
    for path in paths:
        try:
            body = decoded(Path(path).read_bytes())
        except OSError as error:
            print(f"{path}: cannot read: {error.strerror or error}", file=sys.stderr)
            continue
        reading = read(body)
        if reading is None:
            print(f"{path}: not recognised by any parser", file=sys.stderr)
            continue
        recognised += 1
        page = reading.page
        print(
            f"{path}: {page.kind}, {len(page.listings)} listing(s), "
            f"{len(page.failures)} unreadable",
            file=sys.stderr,
        )
        for failure in page.failures:
            print(f"{path}: {failure}", file=sys.stderr)
        for index, listing in enumerate(page.listings):
            line = {
                "file": path,
                "index": index,
                "source": reading.source,
                "listing": listing.model_dump(mode="json"),
            }
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    return EXIT_RECOGNISED if recognised else EXIT_NONE_RECOGNISED


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reos-scraper", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the scraper service (the default)")
    parse = commands.add_parser("parse", help="print the listings of saved pages as JSON lines")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument(
        "--source",
        help=f"read every file as this source ({', '.join(PARSERS)}, {FEED_SOURCE_PREFIX}<name>) "
        "instead of detecting it",
    )
    return parser


def main(argv: list[str] | None = None, serve: Callable[[], None] | None = None) -> int:
    """Run the command `argv` names; `serve` runs the service."""
    parser = arguments()
    args = parser.parse_args(argv)
    if args.command in (None, "serve"):
        assert serve is not None, "the service entry point runs the service"
        serve()
        return EXIT_RECOGNISED
    try:
        read = reader_for(args.source)
    except ValueError as error:
        parser.error(str(error))
    return parse_files(args.files, read)
