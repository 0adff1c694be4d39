"""The cover photo: fetched over HTTP (here a loopback server with a JPEG made by the test),
handed to the renderer as a `data:` URI and embedded in the PDF as that JPEG."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from pypdf import PdfReader

from services.docgen.packet import build_packet
from services.docgen.photos import PhotoFetcher
from services.docgen.render import PacketRenderer
from tests.unit.docgen import samples

PHOTO_SIZE = (480, 320)


def jpeg() -> bytes:
    """A small photo-like JPEG: a sky-to-lawn gradient."""
    image = Image.new("RGB", PHOTO_SIZE)
    width, height = PHOTO_SIZE
    image.putdata(
        [
            (90 + x * 60 // width, 140 + y * 60 // height, 200 - y * 150 // height)
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


PHOTO = jpeg()
FILES = {
    "/photos/front.jpg": ("image/jpeg", PHOTO),
    "/photos/page.html": ("text/html", b"<html>not a photo</html>"),
}


class PhotoHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path not in FILES:
            self.send_error(404)
            return
        content_type, body = FILES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the test output is not the place for access logs."""


@pytest.fixture(scope="module")
def photo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PhotoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def cover(urls: tuple[str, ...], max_bytes: int = 1_000_000) -> str | None:
    fetcher = PhotoFetcher(timeout_seconds=2.0, max_bytes=max_bytes)
    try:
        return await fetcher.cover(urls)
    finally:
        await fetcher.close()


async def test_the_listing_photo_is_embedded_on_the_cover(photo_server: str) -> None:
    photo = await cover((f"{photo_server}/photos/front.jpg", f"{photo_server}/photos/2.jpg"))
    assert photo is not None and photo.startswith("data:image/jpeg;base64,")
    packet = build_packet(
        samples.snapshot(), samples.score(), generated_at=samples.GENERATED_AT, run_id="r",
        photo=photo,
    )  # fmt: skip

    pdf = PacketRenderer().pdf(packet)

    cover_page = PdfReader(io.BytesIO(pdf.data)).pages[0]
    (image,) = (xobject.get_object() for xobject in cover_page["/Resources"]["/XObject"].values())
    assert image["/Subtype"] == "/Image"
    assert image["/Filter"] == "/DCTDecode"
    assert (image["/Width"], image["/Height"]) == PHOTO_SIZE
    assert image.get_data() == PHOTO  # the JPEG itself, not a re-encoding
    assert "No photo available" not in cover_page.extract_text()


async def test_a_photo_that_is_missing_not_an_image_or_too_large_leaves_the_placeholder(
    photo_server: str,
) -> None:
    assert await cover((f"{photo_server}/photos/missing.jpg",)) is None
    assert await cover((f"{photo_server}/photos/page.html",)) is None
    assert await cover((f"{photo_server}/photos/front.jpg",), max_bytes=len(PHOTO) - 1) is None
    assert await cover(("http://127.0.0.1:9/photos/front.jpg",)) is None
    assert await cover(()) is None
