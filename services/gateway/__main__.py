"""`reos-gateway`: serve the API on REOS_HTTP_PORT (default 8000), or manage its API keys
(`reos-gateway keys ...`, see `services/gateway/cli.py`)."""

from __future__ import annotations

import sys

from services.gateway import cli

DEFAULT_PORT = 8000


def serve_gateway() -> None:
    # Imported here: the keys commands need none of the web and Kafka stack.
    from services.gateway.app import build
    from shared.service import serve
    from shared.settings import get_settings

    settings = get_settings()
    serve(build(settings), settings, DEFAULT_PORT, "gateway")


def main() -> None:
    sys.exit(cli.main(serve=serve_gateway))


if __name__ == "__main__":
    main()
