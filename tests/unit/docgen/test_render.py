from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from services.docgen.packet import Packet, build_packet
from services.docgen.render import PacketRenderer, RenderedPdf
from tests.unit.docgen.samples import GENERATED_AT, property_row, score_row

SCRIPT = "<script>alert('pwned')</script>"


@pytest.fixture(scope="module")
def renderer() -> PacketRenderer:
    return PacketRenderer()


def packet_of(prop: dict | None = None, score: dict | None = None) -> Packet:
    return build_packet(
        prop or property_row(), score or score_row(), generated_at=GENERATED_AT, run_id="run-42"
    )


def pdf_text(pdf: RenderedPdf) -> str:
    reader = PdfReader(io.BytesIO(pdf.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squashed(text: str) -> str:
    """Text without whitespace: PDF extraction breaks long lines where layout wrapped them."""
    return re.sub(r"\s+", "", text)


def test_packet_pdf_is_one_page_with_address_scores_and_run(renderer: PacketRenderer) -> None:
    pdf = renderer.pdf(packet_of())

    reader = PdfReader(io.BytesIO(pdf.data))
    text = pdf_text(pdf)
    assert pdf.data.startswith(b"%PDF-")
    assert pdf.pages == len(reader.pages) == 1
    assert "1234 Lakeview Dr" in text
    assert "Seattle, WA 98103" in text
    assert "72.5 / 100" in text
    assert "Investment score 68" in text
    assert "Risk score 35.3" in text
    assert "ROI estimate 1.63%" in text
    assert "transparent-v1" in text
    assert "Cap rate % 1.63%" in text
    assert squashed("Median household income $84,069") in squashed(text)
    assert "census_acs_2016_b19013" in text
    assert "zip_centroids: Latitude, Longitude" in text
    assert "run run-42" in text
    assert "2025-11-27 14:30:05 UTC" in text


def test_pdf_metadata_names_the_property_and_the_generation_time(
    renderer: PacketRenderer,
) -> None:
    metadata = PdfReader(io.BytesIO(renderer.pdf(packet_of()).data)).metadata

    assert metadata is not None
    assert metadata.title == "Property packet: 1234 Lakeview Dr"
    assert metadata.creation_date == GENERATED_AT


def test_markup_in_data_is_escaped_in_html_and_printed_literally(
    renderer: PacketRenderer,
) -> None:
    packet = packet_of(
        property_row(
            address=f"1 Main St {SCRIPT}",
            city="<b>Bold</b>ville",
            enrichment_data={"<i>county</i>": '<img src=x onerror="alert(1)">'},
            enrichment_sources=[{"name": "</li><li>forged", "note": "&amp;"}],
        ),
        score_row(score_components={"<u>x</u>": "<style>body{display:none}</style>"}),
    )

    html = renderer.html(packet)
    assert "<script>" not in html
    assert "<img" not in html
    assert "<style>body" not in html
    assert "</li><li>forged" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "&amp;amp;" in html
    text = squashed(pdf_text(renderer.pdf(packet)))
    assert squashed(f"1 Main St {SCRIPT}") in text
    assert squashed("<b>Bold</b>ville") in text
    assert squashed('<img src=x onerror="alert(1)">') in text


def test_oversized_data_still_fits_one_page(renderer: PacketRenderer) -> None:
    packet = packet_of(
        property_row(
            address="9999 " + "Extraordinarily Long Boulevard Name " * 12,
            enrichment_data={f"figure_{i}": "x" * 150 for i in range(80)},
            enrichment_sources=[{"name": f"source_{i}", "detail": "y" * 150} for i in range(30)],
        ),
        score_row(score_components={f"component_{i}": {"value": i * 1.5} for i in range(200)}),
    )

    pdf = renderer.pdf(packet)

    assert pdf.pages == 1
    assert "more components in the score record" in pdf_text(pdf)


def test_property_without_enrichment_or_components_says_so(renderer: PacketRenderer) -> None:
    packet = packet_of(
        property_row(
            enrichment_data={},
            enrichment_sources=[],
            listing_source=None,
            latitude=None,
            longitude=None,
        ),
        score_row(score_components={}),
    )

    text = pdf_text(renderer.pdf(packet))

    assert "No location data has been gathered for this property." in text
    assert "The score records no components." in text
    assert "No sources are recorded for this property." in text


def test_rendered_pdf_checksum_is_sha256_of_its_bytes(renderer: PacketRenderer) -> None:
    pdf = renderer.pdf(packet_of())

    assert pdf.sha256 == hashlib.sha256(pdf.data).hexdigest()
    assert pdf.size == len(pdf.data)
