"""What every site parser returns for one page or API response, and how it reports a
listing it could not read.

A parser module exposes `detect(body, url)` (the page kind it recognises, or None) and
`parse(body, url)` (a `ParsedPage`). Both are pure: the body is the text exactly as the
site served it, HTML or JSON; `url` is where it came from, when known, and is used to
make links absolute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin

from pydantic import ValidationError

from shared.listing import Listing


@dataclass(frozen=True)
class ParsedPage:
    """The listings a page holds, in the page's own order, and where it leads."""

    kind: str
    listings: list[Listing] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    detail_urls: list[str] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)


@dataclass
class ListingCollector:
    """Builds listings one by one; one that fails validation becomes a failure naming the
    listing and the fields at fault, and the page goes on."""

    listings: list[Listing] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, label: str, build: Callable[[], dict[str, Any] | None]) -> None:
        try:
            fields = build()
            if fields is not None:
                self.listings.append(Listing.model_validate(fields))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                for problem in error.errors()
            )
            self.failures.append(f"{label}: {problems}")
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.failures.append(f"{label}: {type(error).__name__}: {error}")


def absolute_urls(urls: Iterable[Any], base: str | None) -> list[str]:
    """Each text URL made absolute against `base`, without its fragment, once, in order."""
    seen: dict[str, None] = {}
    for url in urls:
        if isinstance(url, str) and url.strip():
            joined = urljoin(base, url.strip()) if base else url.strip()
            seen.setdefault(urldefrag(joined).url, None)
    return list(seen)
