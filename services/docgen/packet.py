"""What a property packet says, section by section, from docgen's copies of the events.

The inputs are the property as `property.enriched` described it (`PropertySnapshot`)
and one `score.created` (valuation, comparables, rent, returns and scores). The output is
a `Packet`: display text, tables and SVG charts for the eight sections, ready for the
templates. A figure the events do not carry reads "not available"; a list with nothing
in it becomes a sentence, never an empty table. Pure: no I/O.

The sections: 1 cover, 2 executive summary, 3 property details, 4 valuation,
5 financing, income, expenses, ratios and rule checks with every assumption,
6 five-year projection, 7 neighbourhood, 8 risks, distress signals, sources, disclaimer.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.docgen import charts
from services.docgen import formatting as fmt
from services.docgen.formatting import NOT_AVAILABLE
from services.docgen.investment import ASSUMPTION_LABELS, Returns, read_returns
from shared.events import ScoreCreated, ValueEstimate
from shared.listing import DistressSignal, Listing

TEMPLATE_VERSION = "v2"
DOCUMENT_TYPE = "property_packet"
CONTENT_TYPE = "application/pdf"

MAX_COMPARABLES = 10
MAX_CONTRIBUTIONS = 8
MAX_PRICE_HISTORY = 12
MAX_DESCRIPTION_CHARS = 900
SURFACING_DISCOUNT = 0.05
"""A price at least 5 % under the estimate is a reason the property surfaced."""
STRONG_CAP_RATE = 6.0
STRONG_DSCR = 1.25
WIDE_BAND = 0.25
"""A P10-P90 band wider than 25 % of the estimate is called out as a risk."""
OLD_BUILDING_YEAR = 1950
STALE_DAYS_ON_MARKET = 90
LOW_COMPLETENESS = 80.0

DISCLAIMER = (
    "This packet is generated automatically from listing data, public records and "
    "statistical models. The estimated value, rent and returns are estimates under the "
    "assumptions stated in it, not an appraisal, an offer, or financial, legal or tax "
    "advice. Figures may be incomplete or out of date; verify them, and inspect the "
    "property, before making any decision."
)
FEATURE_NAMES = {
    "sqft": "Living area",
    "lot_sqft": "Lot size",
    "log_sqft": "Living area",
    "log_lot_sqft": "Lot size",
    "bedrooms": "Bedrooms",
    "bathrooms": "Bathrooms",
    "year_built": "Year built",
    "year_renovated": "Year renovated",
    "age": "Building age",
    "stories": "Stories",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "zip_code": "ZIP code",
    "property_type": "Property type",
    "sale_day": "Sale date",
    "neighbour_price_per_sqft": "Nearby $/sq ft",
}


@dataclass(frozen=True)
class PropertySnapshot:
    """The property as the latest `property.enriched` described it."""

    property_id: int
    address: str
    listing: Listing
    enrichment: dict[str, Any]
    enriched_at: datetime


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Table:
    """Column headings, rows of text, which columns are figures (right-aligned), and the
    sentence shown instead when there are no rows."""

    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    empty: str


@dataclass(frozen=True)
class Packet:
    property_id: int
    score_id: int
    address: str
    locality: str
    photo: str | None
    generated_at: str
    generated_at_iso: str
    run_id: str
    template_version: str
    model_version: str
    # 1. cover
    cover: tuple[Row, ...]
    overall_score: str
    reasons: tuple[str, ...]
    # 2. executive summary
    headline: tuple[Row, ...]
    summary: tuple[str, ...]
    # 3. details
    details: tuple[Row, ...]
    description: str | None
    broker: str | None
    price_history: Table
    # 4. valuation
    valuation: tuple[Row, ...]
    valuation_note: str | None
    band_chart: charts.Chart | None
    contributions_chart: charts.Chart | None
    comparables: Table
    # 5. financing, income, expenses, ratios, rules, assumptions
    returns_note: str | None
    financing: tuple[Row, ...]
    operating: tuple[Row, ...]
    ratios: tuple[Row, ...]
    rules: tuple[Row, ...]
    assumptions: tuple[Row, ...]
    # 6. projection
    projection: Table
    projection_chart: charts.Chart | None
    exit: tuple[Row, ...]
    # 7. neighbourhood
    neighbourhood: tuple[Row, ...]
    market: tuple[Row, ...]
    quality: tuple[Row, ...]
    # 8. risks, distress, sources
    risks: tuple[str, ...]
    distress: Table
    sources: tuple[str, ...]
    disclaimer: str


def packet_key(property_id: int, score_id: int, template_version: str = TEMPLATE_VERSION) -> str:
    """The object-store key of a packet; the same inputs always name the same object."""
    return f"packets/{property_id}/score-{score_id}-{template_version}.pdf"


def build_packet(
    prop: PropertySnapshot,
    score: ScoreCreated,
    *,
    generated_at: datetime,
    run_id: str | None,
    photo: str | None = None,
    template_version: str = TEMPLATE_VERSION,
) -> Packet:
    """The packet of one property and one of its scores; `photo` is the cover image as a
    `data:` URI (the renderer fetches nothing)."""
    listing = prop.listing
    valuation = score.valuation
    returns = read_returns(score.returns)
    generated = generated_at.astimezone(UTC)
    price = None if listing.is_rental else listing.price
    return Packet(
        property_id=prop.property_id,
        score_id=score.score_id,
        address=fmt.text(prop.address),
        locality=locality(listing),
        photo=photo,
        generated_at=f"{generated:%Y-%m-%d %H:%M} UTC",
        generated_at_iso=generated.isoformat(timespec="seconds"),
        run_id=run_id or NOT_AVAILABLE,
        template_version=template_version,
        model_version=score.model_version,
        cover=cover_rows(listing, valuation),
        overall_score=fmt.score(score.overall_score),
        reasons=why_it_surfaced(listing, score, returns),
        headline=headline_rows(price, valuation, returns, score),
        summary=summary_sentences(listing, score, returns),
        details=detail_rows(listing),
        description=fmt.clip(fmt.text(listing.description), MAX_DESCRIPTION_CHARS)
        if listing.description
        else None,
        broker=broker_line(listing),
        price_history=price_history_table(listing),
        valuation=valuation_rows(valuation, listing),
        valuation_note=valuation_note(valuation),
        band_chart=band_chart(valuation, price),
        contributions_chart=contributions_chart(valuation),
        comparables=comparables_table(valuation),
        returns_note=None if returns.available else returns_reason(returns),
        financing=financing_rows(returns) if returns.available else (),
        operating=operating_rows(returns) if returns.available else (),
        ratios=ratio_rows(returns) if returns.available else (),
        rules=rule_rows(returns) if returns.available else (),
        assumptions=assumption_rows(returns),
        projection=projection_table(returns),
        projection_chart=projection_chart(returns),
        exit=exit_rows(returns) if returns.available else (),
        neighbourhood=neighbourhood_rows(prop.enrichment),
        market=market_rows(listing, score, prop.enrichment),
        quality=quality_rows(prop.enrichment),
        risks=risk_notes(listing, score, returns, prop.enrichment),
        distress=distress_table(listing.distress_signals),
        sources=source_lines(prop, score),
        disclaimer=DISCLAIMER,
    )


# --- 1. cover ----------------------------------------------------------------------


def locality(listing: Listing) -> str:
    region = " ".join(part for part in (listing.state, listing.zip_code) if part)
    return ", ".join(part for part in (listing.city, region) if part) or NOT_AVAILABLE


def span(low: str, high: str) -> str:
    return f"{low} \u2013 {high}"


def band_text(valuation: ValueEstimate | None) -> str:
    if valuation is None or valuation.value_low is None or valuation.value_high is None:
        return NOT_AVAILABLE
    return span(fmt.money(valuation.value_low), fmt.money(valuation.value_high))


def cover_rows(listing: Listing, valuation: ValueEstimate | None) -> tuple[Row, ...]:
    estimate = valuation.estimated_value if valuation else None
    price_label = "Monthly rent asked" if listing.is_rental else "Asking price"
    return (
        Row(price_label, fmt.money(listing.price)),
        Row("Estimated value", fmt.money(estimate)),
        Row("Value range (P10 to P90)", band_text(valuation)),
    )


def discount(price: float | None, valuation: ValueEstimate | None) -> float | None:
    """How far the price is under the estimate, as a fraction (negative: above it)."""
    estimate = valuation.estimated_value if valuation else None
    if price is None or not estimate:
        return None
    return 1 - price / estimate


def signal_name(kind: str) -> str:
    return fmt.humanize(kind).lower().replace("pre foreclosure", "pre-foreclosure")


def why_it_surfaced(listing: Listing, score: ScoreCreated, returns: Returns) -> tuple[str, ...]:
    """The plain reasons this property ranks where it does, strongest first."""
    reasons = []
    below = discount(None if listing.is_rental else listing.price, score.valuation)
    if below is not None and below >= SURFACING_DISCOUNT:
        reasons.append(f"{below:.0%} below estimated value")
    reasons += [
        signal_name(kind) for kind in dict.fromkeys(s.kind for s in listing.distress_signals)
    ]
    if returns.cap_rate_percent is not None and returns.cap_rate_percent >= STRONG_CAP_RATE:
        reasons.append(f"{fmt.percent(returns.cap_rate_percent)} cap rate")
    if returns.meets_one_percent_rule:
        reasons.append("rent meets the 1% rule")
    if returns.dscr is not None and returns.dscr >= STRONG_DSCR:
        reasons.append(f"rent covers the mortgage {fmt.ratio(returns.dscr)} times")
    if not reasons:
        reasons.append(f"overall score {fmt.score(score.overall_score)} of 100")
    return tuple(reasons)


# --- 2. executive summary ---------------------------------------------------------


def headline_rows(
    price: float | None, valuation: ValueEstimate | None, returns: Returns, score: ScoreCreated
) -> tuple[Row, ...]:
    cash = returns.cash_needed.total if returns.cash_needed else None
    return (
        Row("Price", fmt.money(price)),
        Row("Estimated value", fmt.money(valuation.estimated_value if valuation else None)),
        Row("Cash needed", fmt.money(cash)),
        Row("NOI (a year)", fmt.money(returns.net_operating_income)),
        Row("Cash flow (a month)", fmt.money(returns.monthly_cash_flow)),
        Row("Cap rate", fmt.percent(returns.cap_rate_percent)),
        Row("Cash-on-cash", fmt.percent(returns.cash_on_cash_percent)),
        Row("DSCR", fmt.ratio(returns.dscr)),
        Row("IRR (5 years)", fmt.percent(returns.irr_percent)),
        Row("Overall score", f"{fmt.score(score.overall_score)} / 100"),
        Row("Investment score", f"{fmt.score(score.investment_score)} / 100"),
        Row("Risk score", f"{fmt.score(score.risk_score)} / 100"),
    )


def summary_sentences(listing: Listing, score: ScoreCreated, returns: Returns) -> tuple[str, ...]:
    """Three plain sentences: the price against the value, the income, the hold and risk."""
    return (
        value_sentence(listing, score.valuation),
        income_sentence(returns, score),
        hold_sentence(listing, score, returns),
    )


def value_sentence(listing: Listing, valuation: ValueEstimate | None) -> str:
    if listing.is_rental:
        return (
            f"This is a rental listing asking {fmt.money(listing.price)} a month, so it is "
            "analysed as evidence of the area's rents, not as a purchase."
        )
    estimate = valuation.estimated_value if valuation else None
    if listing.price is None:
        return "The listing states no asking price, so the price cannot be judged against a value."
    if estimate is None:
        reason = valuation.reason if valuation and valuation.reason else "no valuation model"
        return (
            f"It is listed at {fmt.money(listing.price)}; no estimated value is available "
            f"({reason})."
        )
    below = 1 - listing.price / estimate
    if abs(below) < 0.005:
        position = "in line with"
    else:
        position = f"{abs(below):.0%} {'below' if below > 0 else 'above'}"
    return (
        f"It is listed at {fmt.money(listing.price)}, {position} the estimated value of "
        f"{fmt.money(estimate)} (likely range {band_text(valuation)})."
    )


def income_sentence(returns: Returns, score: ScoreCreated) -> str:
    if not returns.available:
        return f"No purchase returns are stated: {returns_reason(returns)}."
    rent = score.rent.monthly_rent if score.rent else returns.monthly_rent
    cash_flow = returns.monthly_cash_flow or 0.0
    after = (
        f"leave {fmt.money(cash_flow)} a month after the mortgage"
        if cash_flow >= 0
        else f"cost {fmt.money(-cash_flow)} a month after the mortgage"
    )
    return (
        f"At an estimated rent of {fmt.money(rent)} a month it would earn "
        f"{fmt.money(returns.net_operating_income)} a year before the mortgage (a "
        f"{fmt.percent(returns.cap_rate_percent)} cap rate) and {after}."
    )


def hold_sentence(listing: Listing, score: ScoreCreated, returns: Returns) -> str:
    years = returns.assumptions.get("holding_years", len(returns.projection)) or 5
    if returns.irr_percent is not None:
        hold = (
            f"Held {years} years under the stated assumptions, the internal rate of return "
            f"would be {fmt.percent(returns.irr_percent)}"
        )
    else:
        hold = "No internal rate of return can be stated for this property"
    signals = [
        signal_name(kind) for kind in dict.fromkeys(s.kind for s in listing.distress_signals)
    ]
    records = f"; public records show {', '.join(signals)}" if signals else ""
    return f"{hold}; its risk score is {fmt.score(score.risk_score)} of 100{records}."


# --- 3. details --------------------------------------------------------------------


def detail_rows(listing: Listing) -> tuple[Row, ...]:
    baths = fmt.number(listing.bathrooms, 1)
    if listing.bathrooms_full is not None or listing.bathrooms_half is not None:
        baths += f" ({listing.bathrooms_full or 0} full, {listing.bathrooms_half or 0} half)"
    return (
        Row(
            "Property type",
            fmt.humanize(listing.property_type) if listing.property_type else NOT_AVAILABLE,
        ),
        Row("Status", fmt.humanize(listing.status)),
        Row("Bedrooms", fmt.number(listing.bedrooms)),
        Row("Bathrooms", baths),
        Row("Living area", fmt.number(listing.sqft, unit="sq ft")),
        Row("Lot", fmt.number(listing.lot_sqft, unit="sq ft")),
        Row("Year built", str(listing.year_built) if listing.year_built else NOT_AVAILABLE),
        Row(
            "Year renovated",
            str(listing.year_renovated) if listing.year_renovated else NOT_AVAILABLE,
        ),
        Row("Stories", fmt.number(listing.stories, 1)),
        Row("HOA dues", fmt.monthly(listing.hoa_fee)),
        Row("Days on market", fmt.number(listing.days_on_market)),
        Row("Listed", fmt.day(listing.list_date)),
        Row("MLS id", fmt.text(listing.mls_id)),
        Row("Annual property tax", fmt.money(listing.tax_annual_amount)),
        Row("Tax-assessed value", fmt.money(listing.tax_assessed_value)),
        Row(
            "Price per sq ft",
            fmt.money(listing.price / listing.sqft)
            if listing.price and listing.sqft and not listing.is_rental
            else NOT_AVAILABLE,
        ),
    )


def broker_line(listing: Listing) -> str | None:
    broker = listing.broker
    if broker is None:
        return None
    parts = [part for part in (broker.agent_name, broker.name, broker.phone) if part]
    return " · ".join(fmt.text(part) for part in parts) or None


def price_history_table(listing: Listing) -> Table:
    events = sorted(listing.price_history, key=lambda e: e.event_date or date.min, reverse=True)
    return Table(
        headings=("Date", "Event", "Price", "Source"),
        rows=tuple(
            (
                fmt.day(event.event_date),
                fmt.humanize(event.event),
                fmt.money(event.price),
                fmt.text(event.source),
            )
            for event in events[:MAX_PRICE_HISTORY]
        ),
        numeric=(False, False, True, False),
        empty="The listing shows no price or status history.",
    )


# --- 4. valuation ------------------------------------------------------------------


def valuation_rows(valuation: ValueEstimate | None, listing: Listing) -> tuple[Row, ...]:
    estimate = valuation.estimated_value if valuation else None
    per_sqft = estimate / listing.sqft if estimate and listing.sqft else None
    return (
        Row("Estimated value", fmt.money(estimate)),
        Row("Likely range (P10 to P90)", band_text(valuation)),
        Row("Estimate per sq ft", fmt.money(per_sqft)),
        Row(
            "Average home before adjustments",
            fmt.money(valuation.baseline_value if valuation else None),
        ),
        Row(
            "Comparable sales",
            str(len(valuation.comparables))
            if valuation and valuation.comparables
            else NOT_AVAILABLE,
        ),
        Row("Model version", valuation.model_version if valuation else NOT_AVAILABLE),
    )


def valuation_note(valuation: ValueEstimate | None) -> str | None:
    if valuation is None:
        return "No valuation model was in production when this property was scored."
    if valuation.estimated_value is None:
        reason = valuation.reason or "no reason given"
        return f"The valuation model could not value this property: {reason}."
    return None


def band_chart(valuation: ValueEstimate | None, price: float | None) -> charts.Chart | None:
    if valuation is None or None in (
        valuation.estimated_value,
        valuation.value_low,
        valuation.value_high,
    ):
        return None
    assert valuation.estimated_value and valuation.value_low and valuation.value_high
    return charts.value_band(
        valuation.estimated_value, valuation.value_low, valuation.value_high, price
    )


def feature_label(feature: str, value: float | None) -> str:
    name = FEATURE_NAMES.get(feature, fmt.humanize(feature))
    if value is None:
        return f"{name} (unknown)"
    shown = str(int(value)) if feature in {"year_built", "year_renovated"} else fmt.number(value, 2)
    return fmt.clip(f"{name} = {shown}", 34)


def contributions_chart(valuation: ValueEstimate | None) -> charts.Chart | None:
    if valuation is None or not valuation.contributions:
        return None
    parts = sorted(valuation.contributions, key=lambda part: -abs(part.log_effect))[
        :MAX_CONTRIBUTIONS
    ]
    bars = [
        charts.Bar(
            feature_label(part.feature, part.feature_value),
            part.log_effect,
            f"{part.percent_effect:+.1f}%",
        )
        for part in parts
    ]
    return charts.signed_bars(bars, "The features that moved the estimate most (SHAP)")


def comparables_table(valuation: ValueEstimate | None) -> Table:
    sales = list(valuation.comparables)[:MAX_COMPARABLES] if valuation else []
    return Table(
        headings=("Sold", "Distance", "Price", "$/sq ft", "Sq ft", "Beds / baths", "Built"),
        rows=tuple(
            (
                fmt.day(sale.sale_date),
                fmt.number(sale.distance_km, 2, "km"),
                fmt.money(sale.price),
                fmt.money(sale.price_per_sqft),
                fmt.number(sale.sqft),
                f"{fmt.number(sale.bedrooms)} / {fmt.number(sale.bathrooms, 2)}",
                str(sale.year_built) if sale.year_built else NOT_AVAILABLE,
            )
            for sale in sales
        ),
        numeric=(False, True, True, True, True, True, True),
        empty="No comparable sales are recorded for this valuation.",
    )


# --- 5. financing, income and expenses ----------------------------------------------


def returns_reason(returns: Returns) -> str:
    reason = returns.reason or "the score carries no investment figures"
    if returns.observed_monthly_rent is not None:
        reason += f" (the listing asks {fmt.money(returns.observed_monthly_rent)} a month)"
    return reason


def financing_rows(returns: Returns) -> tuple[Row, ...]:
    rate = returns.assumptions.get("mortgage_rate")
    term = returns.assumptions.get("term_years")
    cash = returns.cash_needed
    return (
        Row("Purchase price", fmt.money(returns.price)),
        Row("Down payment", fmt.money(cash.down_payment if cash else None)),
        Row("Loan amount", fmt.money(returns.loan_amount)),
        Row(
            "Mortgage",
            f"{fmt.share(rate, 2)} fixed, {fmt.number(term)} years"
            if rate is not None and term is not None
            else NOT_AVAILABLE,
        ),
        Row(
            "Monthly payment (principal and interest)", fmt.money(returns.monthly_mortgage_payment)
        ),
        Row("Annual debt service", fmt.money(returns.annual_debt_service)),
        Row("Closing costs", fmt.money(cash.closing_costs if cash else None)),
        Row("Repairs before renting", fmt.money(cash.repair_costs if cash else None)),
        Row("Cash needed", fmt.money(cash.total if cash else None)),
    )


def operating_rows(returns: Returns) -> tuple[Row, ...]:
    statement = returns.operating
    if statement is None:
        return ()
    tax_note = " (listing)" if returns.annual_tax_source == "listing" else " (assumed rate)"
    return (
        Row("Gross rent", fmt.money(statement.gross_rent)),
        Row("Vacancy loss", fmt.money(_negative(statement.vacancy_loss))),
        Row("Effective gross income", fmt.money(statement.effective_gross_income)),
        Row("Property tax" + tax_note, fmt.money(_negative(statement.property_tax))),
        Row("Insurance", fmt.money(_negative(statement.insurance))),
        Row("HOA dues", fmt.money(_negative(statement.hoa))),
        Row("Maintenance", fmt.money(_negative(statement.maintenance))),
        Row("Capital reserves", fmt.money(_negative(statement.capital_reserves))),
        Row("Property management", fmt.money(_negative(statement.management))),
        Row("Operating expenses", fmt.money(_negative(statement.operating_expenses))),
        Row("Net operating income (NOI)", fmt.money(statement.net_operating_income)),
        Row("Debt service", fmt.money(_negative(returns.annual_debt_service))),
        Row("Cash flow", fmt.money(returns.annual_cash_flow)),
    )


def _negative(value: float | None) -> float | None:
    return None if value is None else -value


def ratio_rows(returns: Returns) -> tuple[Row, ...]:
    return (
        Row("Cap rate (NOI / price)", fmt.percent(returns.cap_rate_percent, 2)),
        Row("Cash-on-cash (cash flow / cash needed)", fmt.percent(returns.cash_on_cash_percent, 2)),
        Row("DSCR (NOI / debt service)", fmt.ratio(returns.dscr)),
        Row(
            "Gross rent multiplier (price / annual rent)", fmt.ratio(returns.gross_rent_multiplier)
        ),
        Row("Monthly rent / price", fmt.percent(returns.rent_to_price_percent, 2)),
        Row("IRR over the hold", fmt.percent(returns.irr_percent, 2)),
    )


def rule_rows(returns: Returns) -> tuple[Row, ...]:
    seventy = fmt.yes_no(returns.meets_seventy_percent_rule, "Passes", "Fails")
    if returns.meets_seventy_percent_rule is None:
        seventy = "not available (no estimated value)"
    return (
        Row(
            "1% rule: monthly rent ≥ 1% of price",
            fmt.yes_no(returns.meets_one_percent_rule, "Passes", "Fails"),
        ),
        Row("70% rule: price ≤ 70% of value less repairs", seventy),
    )


def assumption_rows(returns: Returns) -> tuple[Row, ...]:
    rows = []
    for key, value in returns.assumptions.items():
        label, kind = ASSUMPTION_LABELS.get(key, (fmt.humanize(key), "number"))
        if kind == "share":
            shown = fmt.share(value, 2)
        elif kind == "money":
            shown = fmt.money(value)
        elif kind == "years":
            shown = fmt.number(value, unit="years")
        else:
            shown = fmt.number(value, 3)
        rows.append(Row(label, shown))
    if returns.available:
        rows.append(Row("Rent used", fmt.monthly(returns.monthly_rent)))
        basis = "estimated value" if returns.value_basis_source == "estimated_value" else "price"
        rows.append(
            Row("Value the projection grows from", f"{fmt.money(returns.value_basis)} ({basis})")
        )
    return tuple(rows)


# --- 6. projection -----------------------------------------------------------------


def projection_table(returns: Returns) -> Table:
    return Table(
        headings=(
            "Year",
            "Rent / mo",
            "NOI",
            "Cash flow",
            "Cumulative",
            "Loan balance",
            "Value",
            "Equity",
        ),
        rows=tuple(
            (
                str(year.year),
                fmt.money(year.rent_monthly),
                fmt.money(year.net_operating_income),
                fmt.money(year.cash_flow),
                fmt.money(year.cumulative_cash_flow),
                fmt.money(year.loan_balance),
                fmt.money(year.property_value),
                fmt.money(year.equity),
            )
            for year in returns.projection
        ),
        numeric=(False,) + (True,) * 7,
        empty="No projection is available for this property.",
    )


def projection_chart(returns: Returns) -> charts.Chart | None:
    years = [
        charts.YearBar(year.year, year.loan_balance, year.equity)
        for year in returns.projection
        if year.loan_balance is not None and year.equity is not None
    ]
    return charts.equity_build_up(years) if years else None


def exit_rows(returns: Returns) -> tuple[Row, ...]:
    last = returns.projection[-1] if returns.projection else None
    return (
        Row("Value at sale", fmt.money(last.property_value if last else None)),
        Row("Loan paid off at sale", fmt.money(last.loan_balance if last else None)),
        Row("Proceeds after selling costs and loan", fmt.money(returns.sale_proceeds)),
        Row("Cash flow over the hold", fmt.money(last.cumulative_cash_flow if last else None)),
        Row("IRR", fmt.percent(returns.irr_percent, 2)),
    )


# --- 7. neighbourhood --------------------------------------------------------------


def _section(enrichment: dict[str, Any], name: str) -> dict[str, Any]:
    value = enrichment.get(name)
    return value if isinstance(value, dict) else {}


def neighbourhood_rows(enrichment: dict[str, Any]) -> tuple[Row, ...]:
    location = _section(enrichment, "location")
    people = _section(enrichment, "demographics")
    income = fmt.money(people.get("median_household_income"))
    if people.get("median_household_income_top_coded"):
        income += " or more"
    population = people.get("total_population", location.get("population"))
    return (
        Row("County", fmt.text(location.get("county"))),
        Row("ZIP code area (ZCTA)", fmt.text(people.get("zcta"))),
        Row("Population", fmt.number(population)),
        Row("Density", fmt.number(location.get("density_per_km2"), unit="people / km²")),
        Row("Median household income", income),
        Row("Median gross rent", fmt.monthly(people.get("median_rent"))),
        Row("Median age", fmt.number(people.get("median_age"), 1, "years")),
        Row("Time zone", fmt.text(location.get("timezone"))),
    )


def market_rows(
    listing: Listing, score: ScoreCreated, enrichment: dict[str, Any]
) -> tuple[Row, ...]:
    rent = score.rent
    area_rent = _section(enrichment, "demographics").get("median_rent")
    sales = list(score.valuation.comparables) if score.valuation else []
    per_sqft = [sale.price_per_sqft for sale in sales if sale.price_per_sqft]
    own = (
        listing.price / listing.sqft
        if listing.price and listing.sqft and not listing.is_rental
        else None
    )
    rent_vs_area = (
        f"{rent.monthly_rent / area_rent - 1:+.0%}"
        if rent and fmt.is_number(area_rent) and area_rent
        else NOT_AVAILABLE
    )
    dates = sorted(sale.sale_date for sale in sales)
    return (
        Row("Estimated rent", fmt.monthly(rent.monthly_rent if rent else None)),
        Row(
            "Rent range",
            span(fmt.money(rent.low), fmt.money(rent.high)) if rent else NOT_AVAILABLE,
        ),
        Row("Estimated rent against the area's median", rent_vs_area),
        Row(
            "Comparables' median $/sq ft",
            fmt.money(statistics.median(per_sqft)) if per_sqft else NOT_AVAILABLE,
        ),
        Row("This listing's $/sq ft", fmt.money(own)),
        Row(
            "Comparable sales dated",
            span(fmt.day(dates[0]), fmt.day(dates[-1])) if dates else NOT_AVAILABLE,
        ),
    )


def quality_rows(enrichment: dict[str, Any]) -> tuple[Row, ...]:
    quality = _section(enrichment, "quality")
    location = _section(enrichment, "location")
    missing = [fmt.humanize(str(name)).lower() for name in quality.get("missing") or []]
    failed = [fmt.humanize(str(name)).lower() for name in quality.get("failed_rules") or []]
    precision = {
        "listing": "the listing's own coordinates",
        "zip_centroid": "the ZIP code's centre",
    }
    return (
        Row("Completeness of the record", fmt.percent(quality.get("completeness_percent"), 0)),
        Row(
            "Facts missing",
            ", ".join(missing) if missing else ("none" if quality else NOT_AVAILABLE),
        ),
        Row(
            "Checks failed", ", ".join(failed) if failed else ("none" if quality else NOT_AVAILABLE)
        ),
        Row("Location from", precision.get(str(location.get("precision")), NOT_AVAILABLE)),
    )


# --- 8. risks, distress signals, sources ------------------------------------------


def risk_notes(
    listing: Listing, score: ScoreCreated, returns: Returns, enrichment: dict[str, Any]
) -> tuple[str, ...]:
    """What in the data could make this a worse deal than the figures say."""
    notes = []
    valuation = score.valuation
    if valuation and valuation.estimated_value and valuation.value_low and valuation.value_high:
        width = (valuation.value_high - valuation.value_low) / valuation.estimated_value
        if width > WIDE_BAND:
            notes.append(f"Uncertain value: the likely range spans {width:.0%} of the estimate.")
    if returns.dscr is not None and returns.dscr < 1:
        notes.append(f"The rent does not cover the mortgage (DSCR {fmt.ratio(returns.dscr)}).")
    if returns.monthly_cash_flow is not None and returns.monthly_cash_flow < 0:
        notes.append(
            f"Negative cash flow of {fmt.money(-returns.monthly_cash_flow)} a month under the "
            "stated assumptions."
        )
    if listing.year_built and listing.year_built < OLD_BUILDING_YEAR:
        notes.append(f"Built in {listing.year_built}: older systems may need work not priced here.")
    if listing.days_on_market is not None and listing.days_on_market > STALE_DAYS_ON_MARKET:
        notes.append(f"On the market for {listing.days_on_market} days.")
    completeness = _section(enrichment, "quality").get("completeness_percent")
    if isinstance(completeness, int | float) and completeness < LOW_COMPLETENESS:
        notes.append(f"The record is only {fmt.percent(completeness, 0)} complete.")
    if _section(enrichment, "location").get("precision") == "zip_centroid":
        notes.append("The location is the ZIP code's centre, not the house itself.")
    if listing.distress_signals:
        notes.append(
            "Public records show distress (below): title, liens and occupancy need checking."
        )
    if not notes:
        notes.append("The data shows no specific risk beyond those every purchase carries.")
    return tuple(notes)


def distress_table(signals: Sequence[DistressSignal]) -> Table:
    return Table(
        headings=("Signal", "Recorded", "Amount", "Detail", "Record", "Feed"),
        rows=tuple(
            (
                signal_name(signal.kind).capitalize(),
                fmt.day(signal.recorded_date),
                fmt.money(signal.amount),
                fmt.clip(fmt.text(signal.detail), 160),
                fmt.text(signal.record_id),
                fmt.text(signal.feed),
            )
            for signal in signals
        ),
        numeric=(False, False, True, False, False, False),
        empty="No distress signals are on record for this property.",
    )


def source_lines(prop: PropertySnapshot, score: ScoreCreated) -> tuple[str, ...]:
    listing = prop.listing
    url = f" ({fmt.clip(listing.url, 120)})" if listing.url else ""
    listed = f", listed {fmt.day(listing.list_date)}" if listing.list_date else ""
    lines = [f"Listing: {listing.source}{url}{listed}; received {fmt.day(prop.enriched_at)}."]
    provenance = _section(prop.enrichment, "provenance")
    references = sorted({str(origin) for origin in provenance.values()} - {listing.source})
    if _section(prop.enrichment, "demographics"):
        references.append("US Census Bureau American Community Survey (ZIP code areas)")
    if references:
        lines.append(
            f"Reference data: {', '.join(references)}; attached {fmt.day(prop.enriched_at)}."
        )
    for feed in sorted({s.feed for s in listing.distress_signals if s.feed}):
        dates = [
            s.recorded_date for s in listing.distress_signals if s.feed == feed and s.recorded_date
        ]
        latest = f", latest record {fmt.day(max(dates))}" if dates else ""
        lines.append(f"Public records: {feed}{latest}.")
    valuation = score.valuation
    if valuation and valuation.comparables:
        dates = sorted(sale.sale_date for sale in valuation.comparables)
        lines.append(
            f"Comparable sales: {len(dates)} recorded sales, "
            f"{span(fmt.day(dates[0]), fmt.day(dates[-1]))}."
        )
    lines.append(
        f"Valuation, rent, returns and scores: model {score.model_version}, scored "
        f"{fmt.day(score.occurred_at)} (score {score.score_id})."
    )
    return tuple(lines)
