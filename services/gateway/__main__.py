"""`reos-gateway`: serve the API on REOS_HTTP_PORT (default 8000) in REOS_GATEWAY_WORKERS
processes (see `services/gateway/workers.py`), or manage its API keys (`reos-gateway keys
...`, see `services/gateway/cli.py`)."""

from __future__ import annotations

import sys

from services.gateway import cli

DEFAULT_PORT = 8000


def serve_gateway() -> None:
    # Imported here: the keys commands need none of the web and Kafka stack.
    from services.gateway import app, workers
    from shared.observability import configure_logging
    from shared.service import serve
    from shared.settings import get_settings

    settings = get_settings()
    # uvloop and httptools: about a tenth less CPU per request than asyncio and h11.
    fast_io = {"loop": "uvloop", "http": "httptools"}
    if settings.gateway_workers == 1:
        serve(app.build(settings), settings, DEFAULT_PORT, app.SERVICE, **fast_io)
        return
    configure_logging(app.SERVICE, settings.log_level)
    with workers.metrics_directory():
        factory = f"{app.__name__}:{app.from_environment.__name__}"
        serve(
            factory,
            settings,
            DEFAULT_PORT,
            app.SERVICE,
            workers=settings.gateway_workers,
            **fast_io,
        )


def main() -> None:
    sys.exit(cli.main(serve=serve_gateway))


if __name__ == "__main__":
    main()
