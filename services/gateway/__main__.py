"""`reos-gateway`: serve the API on REOS_HTTP_PORT (default 8000)."""

from __future__ import annotations

from services.gateway.app import build
from shared.service import serve
from shared.settings import get_settings

DEFAULT_PORT = 8000


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings, DEFAULT_PORT, "gateway")


if __name__ == "__main__":
    main()
