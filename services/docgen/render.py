"""Packet → HTML (Jinja2, autoescaped) → PDF (WeasyPrint), on Letter or A4 paper.

Each section of the packet is its own template under `templates/sections/`, laid out
by `templates/packet.html.j2` and styled by `templates/packet.css`. The renderer loads
nothing over the network: the only resources a packet may name are `data:` URIs (the
cover photo); any other URL, for instance in scraped text that escaped into markup, is
refused. Rendering is synchronous and CPU-bound: `RenderPool` runs it in worker
processes, one packet per process at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import jinja2
from weasyprint import CSS, HTML
from weasyprint.html import UA, UA_COUNTER_STYLE
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from services.docgen.packet import Packet

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PACKET_TEMPLATE = "packet.html.j2"
PACKET_STYLESHEET = "packet.css"
PageSize = Literal["Letter", "A4"]


def lean_user_agent_stylesheet() -> CSS:
    """WeasyPrint's HTML user-agent stylesheet, less its rules for every element's
    pseudo-elements: footnote and note calls and markers are dropped (a packet has none)
    and list markers are styled on `li` only (a packet's only markers).

    Those universal `::marker`, `::footnote-*` and `::note-*` rules gave each of a packet's
    ~1,200 elements six pseudo-element styles to cascade and compute: about a fifth of a
    render's time.
    """
    lines = []
    for line in UA.splitlines():
        if line.startswith(("::footnote-", "::note-")):
            continue
        lines.append(f"li{line}" if line.startswith("::marker") else line)
    return CSS(string="\n".join(lines), counter_style=UA_COUNTER_STYLE)


LEAN_USER_AGENT_STYLESHEET = lean_user_agent_stylesheet()


class PacketHtml(HTML):
    """A packet's HTML, styled over the lean user-agent stylesheet (it has no forms)."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [LEAN_USER_AGENT_STYLESHEET]


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    seconds: float  # layout and PDF writing in the worker, not the wait for a worker

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class PacketRenderer:
    """Renders packets; one instance is reused so templates, fonts and CSS load once."""

    def __init__(self, page_size: PageSize = "Letter", templates_dir: Path = TEMPLATES_DIR) -> None:
        self.templates_dir = templates_dir
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.template = self.environment.get_template(PACKET_TEMPLATE)
        self.fetcher = URLFetcher(allowed_protocols={"data"})
        self.fonts = FontConfiguration()
        self.stylesheets = [
            CSS(filename=templates_dir / PACKET_STYLESHEET, font_config=self.fonts),
            CSS(string=f"@page {{ size: {page_size}; }}", font_config=self.fonts),
        ]

    def html(self, packet: Packet) -> str:
        return self.template.render(packet=packet)

    def pdf(self, packet: Packet) -> RenderedPdf:
        started = time.perf_counter()
        document = PacketHtml(
            string=self.html(packet), base_url=str(self.templates_dir), url_fetcher=self.fetcher
        ).render(stylesheets=self.stylesheets, font_config=self.fonts)
        data = document.write_pdf()
        return RenderedPdf(data, len(document.pages), time.perf_counter() - started)


_worker_renderer: PacketRenderer | None = None


def _start_worker(page_size: PageSize) -> None:
    global _worker_renderer
    _worker_renderer = PacketRenderer(page_size)


def _render_in_worker(packet: Packet) -> RenderedPdf:
    assert _worker_renderer is not None, "worker started without a renderer"
    return _worker_renderer.pdf(packet)


class RenderPool:
    """Renders packets in `workers` processes (WeasyPrint holds the GIL while it lays
    out, so threads would not render two packets at once)."""

    def __init__(self, workers: int, page_size: PageSize = "Letter") -> None:
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            max_workers=workers, initializer=_start_worker, initargs=(page_size,)
        )

    async def pdf(self, packet: Packet) -> RenderedPdf:
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, _render_in_worker, packet
        )

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
