"""The packet as PDF: the figures a reader sees, escaping, fonts, paper size."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader

from services.docgen import charts
from services.docgen.packet import build_packet
from services.docgen.render import PacketRenderer, RenderedPdf
from tests.unit.docgen import samples
from tests.unit.docgen.test_packet import bare_packet, packet_of

SCRIPT = "<script>alert('pwned')</script>"


@pytest.fixture(scope="module")
def renderer() -> PacketRenderer:
    return PacketRenderer()


@pytest.fixture(scope="module")
def known(renderer: PacketRenderer) -> RenderedPdf:
    return renderer.pdf(packet_of())


def pages_text(pdf: RenderedPdf) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages]


def flat(text: str) -> str:
    """Whitespace made single spaces: extraction breaks lines where the layout wrapped."""
    return re.sub(r"\s+", " ", text)


def test_known_property_packet_holds_its_figures(known: RenderedPdf) -> None:
    text = flat("\n".join(pages_text(known)))

    for expected in (
        "1234 Lakeview Dr",
        "Asking price $425,000",
        "Estimated value $468,000",
        "$431,000 \u2013 $512,000",
        "9% below estimated value",
        "pre-foreclosure",
        "Cash needed $119,000",
        "NOI (a year) $17,147",
        "Cap rate 4.0%",
        "DSCR 0.67",
        "IRR (5 years) 7.2%",
        "Monthly payment (principal and interest) $2,121",
        "Net operating income (NOI) $17,147",
        "Fails",
        "Aug 19, 2025 0.41 km $455,000 $253",
        "Living area = 1,850",
        "+9.6%",
        "5 $2,983 $19,434 -$6,014 -$35,877 $300,044 $542,540 $242,496",
        "Median household income $84,069",
        "Notice of trustee sale recorded",
        "Listing: zillow",
        "avm-20251120-3f9c",
        "not an appraisal",
    ):
        assert expected in text, expected


def test_every_page_has_the_address_and_its_number_in_the_footer(known: RenderedPdf) -> None:
    pages = pages_text(known)

    assert known.pages == len(pages) >= 6
    for number, text in enumerate(pages, start=1):
        assert "1234 Lakeview Dr, Seattle, WA 98103" in text
        assert f"Page {number} of {len(pages)}" in text


def test_missing_fields_render_not_available_and_no_empty_tables(renderer: PacketRenderer) -> None:
    text = flat("\n".join(pages_text(renderer.pdf(bare_packet()))))

    assert "not available" in text
    assert "None" not in text and " nan" not in text.lower()
    assert "No comparable sales are recorded for this valuation." in text
    assert "The listing shows no price or status history." in text
    assert "No distress signals are on record for this property." in text
    assert "No projection is available for this property." in text
    assert "Sold Distance Price" not in text
    assert "No photo available" in text


def test_scraped_markup_and_script_are_printed_as_text(renderer: PacketRenderer) -> None:
    listing = samples.listing(
        description=f"<b>Great</b> deal {SCRIPT}", street=f"9 Elm St {SCRIPT}"
    )
    packet = build_packet(
        samples.snapshot(listing=listing, address="9 Elm St <img src=x onerror=alert(1)>"),
        samples.score(),
        generated_at=samples.GENERATED_AT,
        run_id="r",
    )

    html = renderer.html(packet)
    text = flat("\n".join(pages_text(renderer.pdf(packet))))

    assert SCRIPT not in html and "<b>Great" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert "<b>Great</b> deal" in text
    assert "<img src=x onerror=alert(1)>" in text


def test_chart_labels_are_escaped(renderer: PacketRenderer) -> None:
    bars = [charts.Bar(SCRIPT, 0.1, "+10%")]
    packet = dataclasses.replace(packet_of(), contributions_chart=charts.signed_bars(bars, "t"))

    html = renderer.html(packet)

    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html


def test_fonts_are_embedded(known: RenderedPdf) -> None:
    reader = PdfReader(io.BytesIO(known.data))
    fonts = [
        font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()
    ]

    assert fonts
    for font in fonts:
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)


def test_paper_is_letter_by_default_and_a4_by_setting(known: RenderedPdf) -> None:
    a4 = PacketRenderer("A4").pdf(packet_of())

    letter_box = PdfReader(io.BytesIO(known.data)).pages[0].mediabox
    a4_box = PdfReader(io.BytesIO(a4.data)).pages[0].mediabox
    assert (round(letter_box.width), round(letter_box.height)) == (612, 792)
    assert (round(a4_box.width), round(a4_box.height)) == (595, 842)


def test_pdf_metadata_names_the_property_and_the_generation_time(known: RenderedPdf) -> None:
    metadata = PdfReader(io.BytesIO(known.data)).metadata

    assert metadata is not None
    assert metadata.title == "Property packet: 1234 Lakeview Dr"
    assert metadata.author == "Real Estate OS"
