"""`reos-docgen`: run the docgen service (Kafka consumer, /healthz, /readyz, /metrics)."""

from __future__ import annotations

from services.docgen.app import DEFAULT_PORT, build
from services.docgen.handlers import SERVICE
from shared.service import serve
from shared.settings import get_settings


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings, DEFAULT_PORT, SERVICE)


if __name__ == "__main__":
    main()
