"""Packet → HTML (Jinja2, autoescaped) → PDF (WeasyPrint).

Each section of the packet is its own template under `templates/sections/`, laid out
by `templates/packet.html.j2` and styled by `templates/packet.css`. Rendering is
synchronous and CPU-bound: callers on an event loop run `PacketRenderer.pdf` in a
worker thread.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jinja2
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration

from services.docgen.packet import Packet

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PACKET_TEMPLATE = "packet.html.j2"
PACKET_STYLESHEET = "packet.css"
# Each condensing halves the open-ended sections; three bring 32 rows down to 4.
MAX_CONDENSING = 3


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    seconds: float  # layout and PDF writing, not the wait for another render to finish

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class PacketRenderer:
    """Renders packets; one instance is reused so fonts and CSS are parsed once."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.templates_dir = templates_dir
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.fonts = FontConfiguration()
        self.stylesheet = CSS(filename=templates_dir / PACKET_STYLESHEET, font_config=self.fonts)
        # WeasyPrint shares font state between renders and is not documented as
        # thread-safe; rendering is CPU-bound, so serialising it costs no throughput.
        self._weasyprint = threading.Lock()

    def html(self, packet: Packet) -> str:
        return self.environment.get_template(PACKET_TEMPLATE).render(packet=packet)

    def pdf(self, packet: Packet) -> RenderedPdf:
        """The packet as PDF, condensed until it fits its page (or cannot be condensed)."""
        with self._weasyprint:
            started = time.perf_counter()
            document = self._layout(packet)
            for _ in range(MAX_CONDENSING):
                if len(document.pages) <= 1:
                    break
                packet = packet.condensed()
                document = self._layout(packet)
            data = document.write_pdf()
            return RenderedPdf(data, len(document.pages), time.perf_counter() - started)

    def _layout(self, packet: Packet) -> Document:
        return HTML(string=self.html(packet), base_url=str(self.templates_dir)).render(
            stylesheets=[self.stylesheet], font_config=self.fonts
        )
