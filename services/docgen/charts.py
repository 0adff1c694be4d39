"""The packet's charts, drawn as SVG by the project (no plotting library, no network).

Each function takes figures and returns the text of one `<svg>` element sized by its
`viewBox`, so the page scales it to the column. Labels are XML-escaped: they may carry
feature names or any text the figures came with. Pure: numbers in, markup out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from services.docgen.formatting import money

INK = "#1c2430"
MUTED = "#5b6675"
GRID = "#d5dce4"
NAVY = "#0f3b5f"
BAND = "#b9d3ea"
ACCENT = "#d9822b"
RISE = "#2f7d4f"
FALL = "#b23a3a"
LOAN = "#a7b3c2"
FONT = 'font-family="DejaVu Sans" font-size="11"'


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" {FONT} fill="{INK}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, label: str, anchor: str = "start", **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(label)}</text>'


def _short_money(value: float) -> str:
    """Axis labels: `$425k`, `$1.2M`."""
    amount = abs(value)
    sign = "-" if value < 0 else ""
    if amount >= 1_000_000:
        return f"{sign}${amount / 1_000_000:.1f}M"
    if amount >= 1_000:
        return f"{sign}${amount / 1_000:.0f}k"
    return f"{sign}${amount:.0f}"


def value_band(estimate: float, low: float, high: float, price: float | None) -> str:
    """The P10-P90 band as a bar on a dollar axis, the estimate and the asking price marked."""
    width, height, left, right = 640, 104, 20, 620
    points = [low, high, estimate] + ([price] if price is not None else [])
    lowest, highest = min(points), max(points)
    margin = (highest - lowest) * 0.12 or estimate * 0.05
    start, end = lowest - margin, highest + margin

    def x(value: float) -> float:
        return left + (value - start) / (end - start) * (right - left)

    body = [
        f'<line x1="{left}" y1="62" x2="{right}" y2="62" stroke="{GRID}" stroke-width="1"/>',
        f'<rect x="{x(low):.1f}" y="44" width="{max(x(high) - x(low), 2):.1f}" height="36" '
        f'rx="3" fill="{BAND}"/>',
        _text(x(low), 96, f"P10 {money(low)}", "middle", fill=MUTED),
        _text(x(high), 96, f"P90 {money(high)}", "middle", fill=MUTED),
        f'<line x1="{x(estimate):.1f}" y1="38" x2="{x(estimate):.1f}" y2="86" stroke="{NAVY}" '
        'stroke-width="3"/>',
        _text(x(estimate), 30, f"Estimate {money(estimate)}", "middle", font_weight="bold"),
    ]
    if price is not None:
        body += [
            f'<path d="M{x(price) - 7:.1f},8 L{x(price) + 7:.1f},8 L{x(price):.1f},18 Z" '
            f'fill="{ACCENT}"/>',
            f'<line x1="{x(price):.1f}" y1="18" x2="{x(price):.1f}" y2="86" stroke="{ACCENT}" '
            'stroke-width="2" stroke-dasharray="4 3"/>',
        ]
        anchor = "end" if x(price) > x(estimate) else "start"
        offset = -10 if anchor == "end" else 10
        if abs(x(price) - x(estimate)) < 150:
            anchor = "start" if anchor == "end" else "end"
            offset = -offset
        body.append(_text(x(price) + offset, 15, f"Asking {money(price)}", anchor, fill=ACCENT))
    return _svg(width, height, body, "Estimated value with its P10-P90 band and the asking price")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str


def signed_bars(bars: Sequence[Bar], title: str) -> str:
    """Horizontal bars either side of zero (SHAP contributions: how much each feature
    raised or lowered the value), labelled on the left, each with its note."""
    width, row, top, label_width = 640, 22, 8, 230
    height = top * 2 + row * len(bars)
    largest = max((abs(bar.value) for bar in bars), default=1.0) or 1.0
    zero = label_width + (width - label_width) / 2
    half = (width - label_width) / 2 - 70
    body = [
        f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{height - top + 4}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        length = abs(bar.value) / largest * half
        rising = bar.value >= 0
        x = zero if rising else zero - length
        body += [
            _text(0, y + 15, bar.label),
            f'<rect x="{x:.1f}" y="{y + 4}" width="{max(length, 1):.1f}" height="{row - 8}" '
            f'fill="{RISE if rising else FALL}"/>',
            _text(
                zero + length + 5 if rising else zero - length - 5,
                y + 15,
                bar.note,
                "start" if rising else "end",
                fill=MUTED,
            ),
        ]
    return _svg(width, height, body, title)


@dataclass(frozen=True)
class YearBar:
    year: int
    loan_balance: float
    equity: float


def equity_build_up(years: Sequence[YearBar]) -> str:
    """One stacked bar per year of the hold: the loan still owed and the owner's equity,
    which together make the projected value."""
    width, height, left, bottom, top = 640, 230, 64, 196, 26
    peak = max((year.loan_balance + max(year.equity, 0) for year in years), default=1.0) or 1.0
    scale = (bottom - top) / peak
    slot = (width - left - 10) / max(len(years), 1)
    bar_width = slot * 0.55
    body = []
    for step in range(5):
        value = peak * step / 4
        y = bottom - value * scale
        body += [
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="1"/>',
            _text(left - 6, y + 4, _short_money(value), "end", fill=MUTED),
        ]
    for index, year in enumerate(years):
        x = left + slot * index + (slot - bar_width) / 2
        loan_height = max(year.loan_balance, 0) * scale
        equity_height = max(year.equity, 0) * scale
        body += [
            f'<rect x="{x:.1f}" y="{bottom - loan_height:.1f}" width="{bar_width:.1f}" '
            f'height="{loan_height:.1f}" fill="{LOAN}"/>',
            f'<rect x="{x:.1f}" y="{bottom - loan_height - equity_height:.1f}" '
            f'width="{bar_width:.1f}" height="{equity_height:.1f}" fill="{NAVY}"/>',
            _text(x + bar_width / 2, bottom + 16, f"Year {year.year}", "middle"),
            _text(
                x + bar_width / 2,
                bottom - loan_height - equity_height - 5,
                _short_money(year.loan_balance + year.equity),
                "middle",
                fill=MUTED,
            ),
        ]
    legend_y = 12
    body += [
        f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{NAVY}"/>',
        _text(left + 14, legend_y, "Equity"),
        f'<rect x="{left + 80}" y="{legend_y - 9}" width="10" height="10" fill="{LOAN}"/>',
        _text(left + 94, legend_y, "Loan balance"),
        _text(left + 200, legend_y, "Bar height: projected value", fill=MUTED),
    ]
    return _svg(width, height, body, "Projected value, loan balance and equity by year")
