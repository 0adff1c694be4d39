"""`reos-demo-site`: serve the demo market over HTTP on loopback.

    reos-demo-site --host 127.0.0.1 --port 9180 --count 60 --seed 7

Every page is rendered once at start-up, so serving is a dictionary look-up and the
stdlib threading server keeps up with a crawler. `--port 0` picks a free port; the
line printed at start names the address actually served.
"""

from __future__ import annotations

import argparse
import json
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from services.scraper.config import DemoSiteConfig
from services.scraper.demo_market import (
    DEFAULT_ID_PREFIX,
    MarketDataMissing,
    build_market,
    load_sales,
    load_zip_cities,
)
from services.scraper.demo_pages import index_path, site_pages
from shared.settings import Settings

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


class DemoSiteServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], pages: dict[str, bytes]) -> None:
        super().__init__(address, DemoSiteHandler)
        self.pages = pages
        self.health = json.dumps(
            {"status": "ok", "listings": sum(path.startswith("/listing/") for path in pages)}
        ).encode()


class DemoSiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers (40 ms on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True
    server: DemoSiteServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        status, content_type, body = self._resolve()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _resolve(self) -> tuple[HTTPStatus, str, bytes]:
        parts = urlsplit(self.path)
        if parts.path == "/healthz":
            return HTTPStatus.OK, JSON, self.server.health
        if parts.path == "/robots.txt":
            return HTTPStatus.OK, TEXT, self.server.pages["/robots.txt"]
        if parts.path in ("/", "/listings"):
            page = parse_qs(parts.query).get("page", ["1"])[0]
            key = index_path(int(page)) if page.isdigit() else ""
        else:
            key = parts.path
        body = self.server.pages.get(key)
        if body is None:
            return HTTPStatus.NOT_FOUND, TEXT, b"not found\n"
        return HTTPStatus.OK, HTML, body

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a crawl makes thousands of requests."""


def parse_args(argv: list[str] | None, defaults: DemoSiteConfig) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reos-demo-site", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--count", type=int, default=defaults.count, help="listings to serve")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--id-prefix",
        default=defaults.id_prefix,
        help=f"listing ids are <prefix>-000001, ... (default {DEFAULT_ID_PREFIX})",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="folder of kc_house_data.csv (REOS_DATA_DIR)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv, DemoSiteConfig())
    data_dir = args.data_dir or Settings().data_dir
    try:
        market = build_market(
            load_sales(data_dir), load_zip_cities(data_dir), args.count, args.seed, args.id_prefix
        )
    except (MarketDataMissing, ValueError) as error:
        sys.exit(f"reos-demo-site: {error}")
    server = DemoSiteServer((args.host, args.port), site_pages(market))
    print(
        f"reos-demo-site: serving {len(market.listings)} demo listings on "
        f"http://{args.host}:{server.server_address[1]}/listings",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
