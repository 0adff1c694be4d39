"""What docgen reads of `score.created`'s `returns`: the scorer's ROI figures, typed.

The scorer publishes its `roi.Returns` (or the reason there are none) as a JSON object;
this is the reader's side of that contract. Every field is optional, so a score from an
older scorer, or one without returns, reads as figures that are not available rather
than as an error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Figures(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OperatingStatement(Figures):
    gross_rent: float | None = None
    vacancy_loss: float | None = None
    effective_gross_income: float | None = None
    property_tax: float | None = None
    insurance: float | None = None
    hoa: float | None = None
    maintenance: float | None = None
    capital_reserves: float | None = None
    management: float | None = None
    operating_expenses: float | None = None
    net_operating_income: float | None = None


class CashNeeded(Figures):
    down_payment: float | None = None
    closing_costs: float | None = None
    repair_costs: float | None = None
    total: float | None = None


class ProjectionYear(Figures):
    year: int
    rent_monthly: float | None = None
    net_operating_income: float | None = None
    cash_flow: float | None = None
    cumulative_cash_flow: float | None = None
    loan_balance: float | None = None
    property_value: float | None = None
    equity: float | None = None


class Returns(Figures):
    """`roi.Returns.to_dict()`, or `roi.NotApplicable.to_dict()` (`reason` set)."""

    reason: str | None = None
    observed_monthly_rent: float | None = None
    price: float | None = None
    monthly_rent: float | None = None
    value_basis: float | None = None
    value_basis_source: str | None = None
    hoa_monthly: float | None = None
    annual_tax_source: str | None = None
    loan_amount: float | None = None
    monthly_mortgage_payment: float | None = None
    annual_debt_service: float | None = None
    operating: OperatingStatement | None = None
    net_operating_income: float | None = None
    cap_rate_percent: float | None = None
    monthly_cash_flow: float | None = None
    annual_cash_flow: float | None = None
    cash_needed: CashNeeded | None = None
    cash_on_cash_percent: float | None = None
    dscr: float | None = None
    gross_rent_multiplier: float | None = None
    rent_to_price_percent: float | None = None
    meets_one_percent_rule: bool | None = None
    meets_seventy_percent_rule: bool | None = None
    projection: list[ProjectionYear] = Field(default_factory=list)
    sale_proceeds: float | None = None
    irr_percent: float | None = None
    assumptions: dict[str, Any] = Field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.reason is None and self.net_operating_income is not None


def read_returns(data: dict[str, Any]) -> Returns:
    """The returns of a score; an empty object reads as "no returns were published"."""
    if not data:
        return Returns(reason="the score carries no investment figures")
    return Returns.model_validate(data)


# How each assumption is shown: label, and whether it is a share (0.25 → 25%), money,
# or a count. An assumption the scorer adds later is shown by its humanised name.
ASSUMPTION_LABELS: dict[str, tuple[str, str]] = {
    "down_payment_share": ("Down payment", "share"),
    "mortgage_rate": ("Mortgage rate (fixed, a year)", "share"),
    "term_years": ("Loan term", "years"),
    "closing_cost_share": ("Buyer's closing costs (of price)", "share"),
    "property_tax_rate": ("Property tax when the listing states none (of price, a year)", "share"),
    "insurance_rate": ("Insurance (of price, a year)", "share"),
    "vacancy_rate": ("Vacancy (of rent)", "share"),
    "maintenance_share": ("Maintenance (of rent)", "share"),
    "capital_reserve_share": ("Capital reserves (of rent)", "share"),
    "management_share": ("Property management (of collected rent)", "share"),
    "appreciation": ("Appreciation (a year)", "share"),
    "rent_growth": ("Rent growth (a year)", "share"),
    "expense_growth": ("Tax, insurance and HOA growth (a year)", "share"),
    "holding_years": ("Holding period", "years"),
    "selling_cost_share": ("Selling costs (of sale price)", "share"),
    "repair_costs": ("Repairs before renting", "money"),
}
