"""docgen's own knobs (environment variables), beside the shared `Settings`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.docgen.render import PageSize


class DocgenConfig(BaseSettings):
    """Paper, render parallelism and the cover photo.

    `REOS_DOCGEN_PAGE_SIZE` is `Letter` (default) or `A4`. `REOS_DOCGEN_RENDER_WORKERS`
    processes lay out packets side by side (one per core is right); a batch of
    `REOS_DOCGEN_BATCH_SIZE` scores is rendered and committed together (the workers wait
    while a batch is uploaded and committed, so larger batches keep them busier: on two cores
    16 rendered a third to a half more packets a second than 8). The cover photo
    is the listing's first photo, fetched once with a short timeout; without it (or with
    `REOS_DOCGEN_FETCH_PHOTOS=false`) the cover shows a placeholder.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    page_size: PageSize = Field("Letter", alias="REOS_DOCGEN_PAGE_SIZE")
    render_workers: int = Field(2, ge=1, le=32, alias="REOS_DOCGEN_RENDER_WORKERS")
    batch_size: int = Field(16, ge=1, le=200, alias="REOS_DOCGEN_BATCH_SIZE")
    fetch_photos: bool = Field(True, alias="REOS_DOCGEN_FETCH_PHOTOS")
    photo_timeout_seconds: float = Field(3.0, gt=0, alias="REOS_DOCGEN_PHOTO_TIMEOUT_SECONDS")
    photo_max_bytes: int = Field(4_000_000, gt=0, alias="REOS_DOCGEN_PHOTO_MAX_BYTES")
