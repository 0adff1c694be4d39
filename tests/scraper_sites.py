"""Loopback web servers that answer like the listing sites, for crawl tests and the bench.

    python -m tests.scraper_sites --count 20000 --port 0 --prefix GEN

A `FixtureSite` serves a fixed set of routes: path (with its query) to status, content
type, body and headers. Its builders:

- `jsonld_site(count, prefix)`: a generated schema.org JSON-LD site in the demo market's
  structure (index pages of 20 with `rel=next`, one detail page per listing), of any
  size: listings are derived from the real King County sales, cycled when more are
  asked for than there are sales.
- saved pages of `tests/fixtures/scraper/<site>/` as `Route`s at paths a test chooses
  (`tests/integration/test_site_crawls.py`); a body's `{origin}` becomes the server's own
  origin, so links written that way lead back to it.
- `feed_site(...)`: a CSV, JSON or Socrata feed body at a path.

Every site answers `/robots.txt` (`Disallow: /private/`) and `/healthz`, and any site can
be given failing routes (`failing_routes`): a path that answers 429 with `Retry-After`
a number of times before it succeeds, a path that always answers 500.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from services.scraper.demo_market import build_market, load_sales, load_zip_cities
from services.scraper.demo_pages import index_path, site_pages
from shared.settings import REPO_ROOT, Settings

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "scraper"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
CSV = "text/csv; charset=utf-8"
DISALLOWED_PATH = "/private/"
ROBOTS = f"User-agent: *\nDisallow: {DISALLOWED_PATH}\nAllow: /\n"
ORIGIN_PLACEHOLDER = "{origin}"


@dataclass
class Route:
    """What one path answers. `failures` answers come first, each once, then the body."""

    body: bytes
    content_type: str = HTML
    status: int = HTTPStatus.OK
    headers: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    hits: int = 0


class FixtureSite(ThreadingHTTPServer):
    """A threading HTTP server over `routes`; `{origin}` in a body becomes its own origin."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.origin = f"http://{host}:{self.server_address[1]}"
        self.routes = {path: _with_origin(route, self.origin) for path, route in routes.items()}
        self.routes.setdefault("/robots.txt", Route(ROBOTS.encode(), TEXT))
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.origin + path

    def answer(self, path: str) -> tuple[int, str, bytes, dict[str, str]]:
        if urlsplit(path).path == "/healthz":
            return HTTPStatus.OK, JSON, b'{"status": "ok"}', {}
        route = self.routes.get(path) or self.routes.get(urlsplit(path).path)
        if route is None:
            return HTTPStatus.NOT_FOUND, TEXT, b"not found\n", {}
        with self.lock:
            route.hits += 1
            failure = route.failures.pop(0) if route.failures else None
        if failure is not None:
            status, headers = failure
            return status, TEXT, b"try again later\n", headers
        return route.status, route.content_type, route.body, route.headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see services/scraper/demo_site.py
    server: FixtureSite

    def do_GET(self) -> None:
        status, content_type, body, headers = self.server.answer(self.path)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a crawl makes thousands of requests."""


def _with_origin(route: Route, origin: str) -> Route:
    if ORIGIN_PLACEHOLDER.encode() not in route.body:
        return route
    body = route.body.replace(ORIGIN_PLACEHOLDER.encode(), origin.encode())
    return Route(body, route.content_type, route.status, route.headers, route.failures)


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[FixtureSite]:
    """A `FixtureSite` on a free loopback port, served from a thread of this process."""
    site = FixtureSite(routes)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()


def failing_routes(
    routes: dict[str, Route],
    *,
    throttled: dict[str, tuple[int, int]] | None = None,
    broken: list[str] | None = None,
) -> dict[str, Route]:
    """`routes` with failures: each `throttled` path answers 429 with `Retry-After:
    <seconds>` `times` times (path -> (times, seconds)) before its body; each `broken`
    path always answers 500."""
    changed = dict(routes)
    for path, (times, seconds) in (throttled or {}).items():
        route = changed[path]
        failures = [(int(HTTPStatus.TOO_MANY_REQUESTS), {"Retry-After": str(seconds)})] * times
        changed[path] = Route(route.body, route.content_type, route.status, route.headers, failures)
    for path in broken or []:
        route = changed.get(path, Route(b""))
        changed[path] = Route(b"server error\n", TEXT, HTTPStatus.INTERNAL_SERVER_ERROR)
    return changed


def jsonld_site(count: int, prefix: str, seed: int = 7) -> dict[str, Route]:
    """A JSON-LD listing site of `count` listings with ids `<prefix>-000001`...; its first
    index page is `/listings?page=1` (also `/listings`)."""
    data_dir = Settings().data_dir
    sales = load_sales(data_dir)
    cycled = sales * -(-count // len(sales))
    market = build_market(cycled, load_zip_cities(data_dir), count, seed, prefix)
    routes = {path: Route(body) for path, body in site_pages(market).items()}
    routes["/listings"] = routes[index_path(1)]
    routes["/robots.txt"] = Route(ROBOTS.encode(), TEXT)
    return routes


def feed_site(path: str, body: bytes, content_type: str = JSON) -> dict[str, Route]:
    """One feed body at `path`."""
    return {path: Route(body, content_type)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.scraper_sites", description=__doc__)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--prefix", default="GEN")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    site = FixtureSite(jsonld_site(args.count, args.prefix), args.host, args.port)
    print(
        json.dumps({"origin": site.origin, "routes": len(site.routes)}),
        flush=True,
    )
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.server_close()


if __name__ == "__main__":
    main()
