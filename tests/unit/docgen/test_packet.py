"""What a packet says, before any PDF: figures, sentences, and "not available"."""

from __future__ import annotations

import base64
import dataclasses
import math

from services.docgen import charts
from services.docgen import formatting as fmt
from services.docgen.packet import Packet, Table, build_packet, packet_key
from tests.unit.docgen import samples


def packet_of(**score_overrides: object) -> Packet:
    return build_packet(
        samples.snapshot(),
        samples.score(**score_overrides),
        generated_at=samples.GENERATED_AT,
        run_id="run-42",
    )


def bare_packet() -> Packet:
    """A for-sale listing that states almost nothing, scored without a model."""
    unknown = (
        "price", "sqft", "lot_sqft", "year_built", "bedrooms", "bathrooms", "bathrooms_full",
        "bathrooms_half", "stories", "hoa_fee", "days_on_market", "mls_id", "description",
        "broker", "tax_assessed_value", "tax_annual_amount", "list_date", "property_type",
    )  # fmt: skip
    listing = samples.listing(**dict.fromkeys(unknown), price_history=[], distress_signals=[])
    return build_packet(
        samples.snapshot(listing=listing, enrichment={}),
        samples.score(
            model_version="none",
            valuation=None,
            rent=None,
            roi_estimate=None,
            returns={"reason": "no purchase price"},
        ),
        generated_at=samples.GENERATED_AT,
        run_id=None,
    )


def shown_text(packet: Packet) -> list[str]:
    """Every string a packet would print, charts excepted."""
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                if not field.name.endswith("chart"):
                    walk(getattr(value, field.name))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    walk(packet)
    return texts


def test_figures_read_as_people_write_them() -> None:
    assert fmt.money(425000) == "$425,000"
    assert fmt.money(-691.77) == "-$692"
    assert fmt.money(35.5) == "$35.50"
    assert fmt.percent(4.035) == "4.0%"
    assert fmt.share(0.25) == "25%"
    assert fmt.share(0.035, 2) == "3.5%"
    assert fmt.number(1850, unit="sq ft") == "1,850 sq ft"
    assert fmt.number(2.5, 1) == "2.5"
    assert fmt.ratio(0.674) == "0.67"
    for missing in (None, math.nan, math.inf):
        assert fmt.money(missing) == fmt.NOT_AVAILABLE
        assert fmt.percent(missing) == fmt.NOT_AVAILABLE
        assert fmt.number(missing) == fmt.NOT_AVAILABLE


def test_cover_states_price_value_band_score_and_why_it_surfaced() -> None:
    packet = packet_of()

    assert packet.address == "1234 Lakeview Dr"
    assert packet.locality == "Seattle, WA 98103"
    assert [(row.label, row.value) for row in packet.cover] == [
        ("Asking price", "$425,000"),
        ("Estimated value", "$468,000"),
        ("Value range (P10 to P90)", "$431,000 \u2013 $512,000"),
    ]
    assert packet.overall_score == "72.5"
    assert packet.reasons == ("9% below estimated value", "pre-foreclosure")
    assert packet.model_version == "avm-20251120-3f9c"


def test_summary_holds_the_headline_figures_and_three_sentences_from_the_data() -> None:
    packet = packet_of()

    headline = {row.label: row.value for row in packet.headline}
    assert headline["Cash needed"] == "$119,000"
    assert headline["NOI (a year)"] == "$17,147"
    assert headline["Cash flow (a month)"] == "-$692"
    assert headline["Cap rate"] == "4.0%"
    assert headline["Cash-on-cash"] == "-7.0%"
    assert headline["DSCR"] == "0.67"
    assert headline["IRR (5 years)"] == "7.2%"
    assert headline["Risk score"] == "35.3 / 100"
    assert packet.summary == (
        "It is listed at $425,000, 9% below the estimated value of $468,000 (likely range "
        "$431,000 \u2013 $512,000).",
        "At an estimated rent of $2,650 a month it would earn $17,147 a year before the "
        "mortgage (a 4.0% cap rate) and cost $692 a month after the mortgage.",
        "Held 5 years under the stated assumptions, the internal rate of return would be "
        "7.2%; its risk score is 35.3 of 100; public records show pre-foreclosure.",
    )


def test_every_assumption_is_stated() -> None:
    rows = {row.label: row.value for row in packet_of().assumptions}

    assert len(rows) == len(samples.RETURNS["assumptions"]) + 2
    assert rows["Down payment"] == "25%"
    assert rows["Mortgage rate (fixed, a year)"] == "7%"
    assert rows["Loan term"] == "30 years"
    assert rows["Vacancy (of rent)"] == "6%"
    assert rows["Tax, insurance and HOA growth (a year)"] == "2.5%"
    assert rows["Rent used"] == "$2,650 / mo"


def test_comparables_projection_and_distress_are_tables_of_the_events_rows() -> None:
    packet = packet_of()

    assert packet.comparables.rows[0][:4] == ("Aug 19, 2025", "0.41 km", "$455,000", "$253")
    assert len(packet.projection.rows) == 5
    assert packet.projection.rows[-1][-2:] == ("$542,540", "$242,496")
    assert packet.distress.rows[0][:3] == ("Pre-foreclosure", "Aug 14, 2025", "$18,250")


def test_missing_figures_read_not_available_and_empty_lists_become_sentences() -> None:
    packet = bare_packet()
    texts = shown_text(packet)

    assert not any("None" in text or "nan" in text.split() for text in texts)
    assert all(text.strip() for text in texts if text is not packet.description)
    assert fmt.NOT_AVAILABLE in {row.value for row in packet.details}
    assert fmt.NOT_AVAILABLE in {row.value for row in packet.neighbourhood}
    for table in (packet.price_history, packet.comparables, packet.projection, packet.distress):
        assert isinstance(table, Table)
        assert table.rows == () and table.empty
    assert packet.band_chart is None and packet.contributions_chart is None
    assert packet.returns_note == "no purchase price"
    assert packet.valuation_note is not None
    assert packet.financing == packet.operating == packet.assumptions == ()


def test_rental_listing_is_not_treated_as_a_purchase() -> None:
    rental = samples.listing(status="for_rent", price=2500.0)
    packet = build_packet(
        samples.snapshot(listing=rental),
        samples.score(returns={"reason": "rental listing", "observed_monthly_rent": 2500}),
        generated_at=samples.GENERATED_AT,
        run_id="r",
    )

    assert packet.cover[0].label == "Monthly rent asked"
    assert packet.summary[0].startswith("This is a rental listing asking $2,500 a month")
    assert packet.returns_note == "rental listing (the listing asks $2,500 a month)"


def test_charts_are_svg_shapes_with_their_labels_kept_as_text() -> None:
    chart = charts.signed_bars([charts.Bar("<script>x</script>", 0.1, "+10%")], "SHAP")

    prefix = "data:image/svg+xml;base64,"
    assert chart.image.startswith(prefix)
    svg = base64.b64decode(chart.image.removeprefix(prefix)).decode()
    assert svg.startswith("<svg") and "<rect" in svg
    assert "script" not in svg and "+10%" not in svg
    assert [label.text for label in chart.labels] == ["<script>x</script>", "+10%"]
    assert [label.anchor for label in chart.labels] == ["start", "start"]


def test_chart_labels_are_placed_in_percent_of_the_chart() -> None:
    chart = charts.Chart(640, 100, "", (), "t")

    assert chart.left(charts.Label(320, 50, "a", "start")) == 50.0
    assert chart.left(charts.Label(320, 50, "a", "middle")) == 50.0 - charts.LABEL_BOX / 2
    assert chart.left(charts.Label(320, 50, "a", "end")) == 50.0 - charts.LABEL_BOX
    assert chart.top(charts.Label(320, 25, "a")) == 25.0


def test_packet_key_names_property_score_and_template() -> None:
    assert packet_key(7, 11) == "packets/7/score-11-v2.pdf"
