"""`reos-scraper`: run crawls on `scrape.requested` and follow prospects downstream."""

from __future__ import annotations

from services.scraper.app import build
from shared.service import serve
from shared.settings import get_settings

DEFAULT_PORT = 9101


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings, DEFAULT_PORT, "scraper")


if __name__ == "__main__":
    main()
