"""`python -m services.enricher` / `reos-enricher`."""

from services.enricher.app import HTTP_PORT, SERVICE, build
from shared.service import serve
from shared.settings import get_settings


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings, HTTP_PORT, SERVICE)


if __name__ == "__main__":
    main()
