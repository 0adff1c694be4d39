"""Pure page parsers, one module per site or page format; spiders and `reos-scraper parse`
call them.

Every site parser exposes `detect(body, url)` (the page kind it recognises, or None) and
`parse(body, url)` (a `ParsedPage`). `PARSERS` names them by source, in the order a
saved page is tried: the listing sites first, because their pages often carry JSON-LD
too, and the generic JSON-LD reader last.
"""

from __future__ import annotations

from types import ModuleType

from services.scraper.parsers import jsonld, realtor, redfin, zillow

PARSERS: dict[str, ModuleType] = {module.SOURCE: module for module in (zillow, redfin, realtor)} | {
    "jsonld": jsonld
}


def detect_page(body: str, url: str | None = None) -> tuple[ModuleType, str] | None:
    """The parser that recognises `body` and the page kind it names, or None."""
    for module in PARSERS.values():
        kind = module.detect(body, url)
        if kind is not None:
            return module, kind
    return None


def source_of(module: ModuleType) -> str:
    """The source name a parser module is registered under."""
    return next(name for name, registered in PARSERS.items() if registered is module)
