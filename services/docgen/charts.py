"""The packet's charts, drawn as SVG by the project (no plotting library, no network).

Each function takes figures and returns a `Chart`: the shapes as one SVG image sized by
its `viewBox` (the page scales it to the column) and the labels as text placed over it in
viewBox units. The page prints the labels as HTML text over the image: WeasyPrint lays out
SVG text one letter at a time, which made the charts' labels a quarter of the PDF-writing
time. Labels are escaped by the page's template like any text; nothing here is markup but
the shapes, whose attributes are numbers and colours. Pure: numbers in, a chart out.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.docgen.formatting import money

MUTED = "#5b6675"
GRID = "#d5dce4"
NAVY = "#0f3b5f"
BAND = "#b9d3ea"
ACCENT = "#d9822b"
RISE = "#2f7d4f"
FALL = "#b23a3a"
LOAN = "#a7b3c2"

Anchor = Literal["start", "middle", "end"]
Tone = Literal["ink", "muted", "accent", "strong"]


@dataclass(frozen=True)
class Label:
    """Text on a chart: `x` is where it starts, centres or ends (by `anchor`), `y` its
    baseline, both in the chart's viewBox units."""

    x: float
    y: float
    text: str
    anchor: Anchor = "start"
    tone: Tone = "ink"


@dataclass(frozen=True)
class Chart:
    """A chart: its shapes (SVG elements in a viewBox `width` wide, `height` high), its labels."""

    width: int
    height: int
    shapes: str
    labels: tuple[Label, ...]
    title: str

    @property
    def image(self) -> str:
        """The shapes as a `data:` URI, the only kind of resource the renderer loads."""
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}">{self.shapes}</svg>'
        )
        return f"data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"

    def left(self, label: Label) -> float:
        """Where the label's box starts, in percent of the chart's width (see `LABEL_BOX`)."""
        shift = {"start": 0.0, "middle": LABEL_BOX / 2, "end": LABEL_BOX}[label.anchor]
        return round(label.x / self.width * 100 - shift, 2)

    def top(self, label: Label) -> float:
        """The label's baseline, in percent of the chart's height."""
        return round(label.y / self.height * 100, 2)


LABEL_BOX = 40.0  # width of a label's box, percent of the chart's width; text aligns in it


def _short_money(value: float) -> str:
    """Axis labels: `$425k`, `$1.2M`."""
    amount = abs(value)
    sign = "-" if value < 0 else ""
    if amount >= 1_000_000:
        return f"{sign}${amount / 1_000_000:.1f}M"
    if amount >= 1_000:
        return f"{sign}${amount / 1_000:.0f}k"
    return f"{sign}${amount:.0f}"


def value_band(estimate: float, low: float, high: float, price: float | None) -> Chart:
    """The P10-P90 band as a bar on a dollar axis, the estimate and the asking price marked."""
    width, height, left, right = 640, 104, 20, 620
    points = [low, high, estimate] + ([price] if price is not None else [])
    lowest, highest = min(points), max(points)
    margin = (highest - lowest) * 0.12 or estimate * 0.05
    start, end = lowest - margin, highest + margin

    def x(value: float) -> float:
        return left + (value - start) / (end - start) * (right - left)

    shapes = [
        f'<line x1="{left}" y1="62" x2="{right}" y2="62" stroke="{GRID}" stroke-width="1"/>',
        f'<rect x="{x(low):.1f}" y="44" width="{max(x(high) - x(low), 2):.1f}" height="36" '
        f'rx="3" fill="{BAND}"/>',
        f'<line x1="{x(estimate):.1f}" y1="38" x2="{x(estimate):.1f}" y2="86" stroke="{NAVY}" '
        'stroke-width="3"/>',
    ]
    labels = [
        Label(x(low), 98, f"P10 {money(low)}", "middle", "muted"),
        Label(x(high), 98, f"P90 {money(high)}", "middle", "muted"),
        Label(x(estimate), 30, f"Estimate {money(estimate)}", "middle", "strong"),
    ]
    if price is not None:
        shapes += [
            f'<path d="M{x(price) - 7:.1f},8 L{x(price) + 7:.1f},8 L{x(price):.1f},18 Z" '
            f'fill="{ACCENT}"/>',
            f'<line x1="{x(price):.1f}" y1="18" x2="{x(price):.1f}" y2="86" stroke="{ACCENT}" '
            'stroke-width="2" stroke-dasharray="4 3"/>',
        ]
        anchor: Anchor = "end" if x(price) > x(estimate) else "start"
        offset = -10 if anchor == "end" else 10
        if abs(x(price) - x(estimate)) < 150:
            anchor = "start" if anchor == "end" else "end"
            offset = -offset
        labels.append(Label(x(price) + offset, 16, f"Asking {money(price)}", anchor, "accent"))
    return Chart(
        width, height, "".join(shapes), tuple(labels),
        "Estimated value with its P10-P90 band and the asking price",
    )  # fmt: skip


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str


def signed_bars(bars: Sequence[Bar], title: str) -> Chart:
    """Horizontal bars either side of zero (SHAP contributions: how much each feature
    raised or lowered the value), labelled on the left, each with its note."""
    width, row, top, label_width = 640, 22, 8, 230
    height = top * 2 + row * len(bars)
    largest = max((abs(bar.value) for bar in bars), default=1.0) or 1.0
    zero = label_width + (width - label_width) / 2
    half = (width - label_width) / 2 - 70
    shapes = [
        f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{height - top + 4}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    ]
    labels = []
    for index, bar in enumerate(bars):
        y = top + index * row
        length = abs(bar.value) / largest * half
        rising = bar.value >= 0
        x = zero if rising else zero - length
        shapes.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{max(length, 1):.1f}" height="{row - 8}" '
            f'fill="{RISE if rising else FALL}"/>'
        )
        labels += [
            Label(0, y + 15, bar.label),
            Label(
                zero + length + 5 if rising else zero - length - 5,
                y + 15,
                bar.note,
                "start" if rising else "end",
                "muted",
            ),
        ]
    return Chart(width, height, "".join(shapes), tuple(labels), title)


@dataclass(frozen=True)
class YearBar:
    year: int
    loan_balance: float
    equity: float


def equity_build_up(years: Sequence[YearBar]) -> Chart:
    """One stacked bar per year of the hold: the loan still owed and the owner's equity,
    which together make the projected value."""
    width, height, left, bottom, top = 640, 230, 64, 196, 26
    peak = max((year.loan_balance + max(year.equity, 0) for year in years), default=1.0) or 1.0
    scale = (bottom - top) / peak
    slot = (width - left - 10) / max(len(years), 1)
    bar_width = slot * 0.55
    shapes, labels = [], []
    for step in range(5):
        value = peak * step / 4
        y = bottom - value * scale
        shapes.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        labels.append(Label(left - 6, y + 4, _short_money(value), "end", "muted"))
    for index, year in enumerate(years):
        x = left + slot * index + (slot - bar_width) / 2
        loan_height = max(year.loan_balance, 0) * scale
        equity_height = max(year.equity, 0) * scale
        shapes += [
            f'<rect x="{x:.1f}" y="{bottom - loan_height:.1f}" width="{bar_width:.1f}" '
            f'height="{loan_height:.1f}" fill="{LOAN}"/>',
            f'<rect x="{x:.1f}" y="{bottom - loan_height - equity_height:.1f}" '
            f'width="{bar_width:.1f}" height="{equity_height:.1f}" fill="{NAVY}"/>',
        ]
        labels += [
            Label(x + bar_width / 2, bottom + 16, f"Year {year.year}", "middle"),
            Label(
                x + bar_width / 2,
                bottom - loan_height - equity_height - 5,
                _short_money(year.loan_balance + year.equity),
                "middle",
                "muted",
            ),
        ]
    legend_y = 12
    shapes += [
        f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{NAVY}"/>',
        f'<rect x="{left + 80}" y="{legend_y - 9}" width="10" height="10" fill="{LOAN}"/>',
    ]
    labels += [
        Label(left + 14, legend_y, "Equity"),
        Label(left + 94, legend_y, "Loan balance"),
        Label(left + 200, legend_y, "Bar height: projected value", tone="muted"),
    ]
    return Chart(
        width, height, "".join(shapes), tuple(labels),
        "Projected value, loan balance and equity by year",
    )  # fmt: skip
