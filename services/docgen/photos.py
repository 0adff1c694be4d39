"""The cover photo: the listing's first photo, fetched before rendering and handed to
the renderer as a `data:` URI (the renderer itself loads nothing). A photo that cannot
be fetched quickly, is too large, or is not a JPEG or PNG leaves the cover with its
placeholder; it never fails the packet."""

from __future__ import annotations

import base64
import logging

import httpx

log = logging.getLogger("reos.docgen.photos")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


class PhotoFetcher:
    def __init__(self, timeout_seconds: float, max_bytes: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=True)

    async def cover(self, urls: tuple[str, ...]) -> str | None:
        if not self.enabled or not urls:
            return None
        try:
            async with self.client.stream("GET", urls[0]) as response:
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                if response.status_code != 200 or content_type not in IMAGE_TYPES:
                    return None
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        return None
        except httpx.HTTPError as error:
            log.info("cover photo not fetched", extra={"url": urls[0], "error": repr(error)})
            return None
        return f"data:{content_type};base64,{base64.b64encode(bytes(body)).decode()}"

    async def close(self) -> None:
        await self.client.aclose()
