"""`reos-scraper`: run crawls on `scrape.requested` and follow prospects downstream
(`reos-scraper` or `reos-scraper serve`), or print the listings of saved pages
(`reos-scraper parse FILE...`, see `services/scraper/cli.py`)."""

from __future__ import annotations

import sys

from services.scraper import cli

DEFAULT_PORT = 9101


def serve_service() -> None:
    # Imported here: `parse` needs none of the service's Kafka and web stack, and starts
    # in a fraction of the time without it.
    from services.scraper.app import build
    from shared.service import serve
    from shared.settings import get_settings

    settings = get_settings()
    serve(build(settings), settings, DEFAULT_PORT, "scraper")


def main() -> None:
    sys.exit(cli.main(serve=serve_service))


if __name__ == "__main__":
    main()
