"""Investment returns of buying a home to rent it out, under stated assumptions.

Pure: numbers in, numbers out. Every figure follows from the price, the monthly rent, the
listing's HOA dues and tax bill, and `Assumptions`, whose defaults are named and sourced
below; change any of them and every figure follows.

The rules:
- Operating income: the year's rent, less vacancy, is the effective gross income; the
  operating expenses are property tax (the listing's figure, else the assumed rate times
  the price), insurance, HOA dues, and maintenance, capital reserves and management as
  shares of the rent. NOI (net operating income) is income less operating expenses; it
  excludes the mortgage.
- Cap rate = NOI / price. Cash flow = NOI - debt service. Cash needed = down payment +
  closing costs + repairs. Cash-on-cash = annual cash flow / cash needed. DSCR = NOI /
  debt service. GRM (gross rent multiplier) = price / annual gross rent.
- The 1 % rule: monthly rent ≥ 1 % of the price. The 70 % rule: price ≤ 70 % of the
  after-repair value (the estimated value) - repair costs.
- The hold: rents grow at `rent_growth`, fixed costs (tax, insurance, HOA) at
  `expense_growth`, the value at `appreciation` from the estimated value (the price when
  there is none). At the end of `holding_years` the home sells; the proceeds are the value
  less selling costs less the loan balance. The IRR solves NPV = 0 over
  [-cash needed, cash flow 1, …, cash flow n + sale proceeds]; it is None when no rate, or
  more than one, solves it.
- A for-rent listing's price is a monthly rent: it is never put through these formulas
  (`evaluate_listing` says so, and keeps the rent as evidence of the area's rent level).

All rates are fractions in the functions (0.065 is 6.5 %); `Returns` reports them in
percent, in fields whose names end in `_percent`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, TypeVar

from scipy.optimize import brentq

from services.scorer.records import plain

MONTHS_PER_YEAR = 12
ONE_PERCENT_RULE = 0.01
SEVENTY_PERCENT_RULE = 0.70
RENTAL_LISTING_TYPES = frozenset({"for_rent"})
IRR_SEARCH_LOW = -0.99
IRR_SEARCH_HIGH = 10.0


@dataclass(frozen=True)
class Assumptions:
    """What an investor assumes about financing, running costs and the hold.

    The defaults are the platform's assumptions for a leveraged purchase of a single home;
    each says where its figure comes from.
    """

    down_payment_share: float = 0.25
    """25 % down: Fannie Mae's eligibility matrix lends at most 85 % of the price on a
    1-unit investment property, and lenders price investor loans best at 75 % LTV or less."""
    mortgage_rate: float = 0.07
    """7 % a year: Freddie Mac's PMMS 30-year fixed rate averaged 6.5-7 % over 2023-2025;
    loans on investment property carry about half a point more. Platform assumption."""
    term_years: int = 30
    """The standard US fixed-rate mortgage term."""
    closing_cost_share: float = 0.03
    """Buyer's closing costs, 3 % of the price: lender fees, title, escrow and recording,
    commonly 2-5 % of the price. Platform assumption."""
    property_tax_rate: float = 0.01
    """1 % of the price a year, used only when the listing states no tax: about the US
    effective property-tax rate on owner-occupied homes (Census ACS taxes paid / value)."""
    insurance_rate: float = 0.004
    """0.4 % of the price a year: NAIC's homeowners-premium reports average roughly
    $1,300-1,500 a year against a US median home value of about $300,000-350,000.
    Platform assumption."""
    vacancy_rate: float = 0.06
    """6 % of the rent lost to vacancy: the Census Housing Vacancy Survey's US rental
    vacancy rate was 6-7 % over 2022-2024."""
    maintenance_share: float = 0.08
    """8 % of the rent for repairs and upkeep. Platform assumption (investors commonly
    budget 5-10 %)."""
    capital_reserve_share: float = 0.05
    """5 % of the rent set aside for roof, systems and appliances. Platform assumption."""
    management_share: float = 0.08
    """8 % of collected rent: the usual fee range of US property managers is 8-10 %."""
    appreciation: float = 0.03
    """3 % a year: below the FHFA house price index's long-run US average of about
    4 % a year, so as not to rest the return on price growth. Platform assumption."""
    rent_growth: float = 0.03
    """3 % a year: about the long-run growth of the BLS CPI rent of primary residence."""
    expense_growth: float = 0.025
    """2.5 % a year for tax, insurance and HOA: about general (CPI) inflation."""
    holding_years: int = 5
    """The hold the projection and the IRR cover."""
    selling_cost_share: float = 0.06
    """6 % of the sale price: agents' commissions and the seller's closing costs."""
    repair_costs: float = 0.0
    """Repairs before renting (dollars); they add to the cash needed and enter the 70 %
    rule. None by default: the platform does not see a home's condition."""


DEFAULT_ASSUMPTIONS = Assumptions()


@dataclass(frozen=True)
class OperatingStatement:
    """One year of running the home as a rental, in dollars."""

    gross_rent: float
    vacancy_loss: float
    effective_gross_income: float
    property_tax: float
    insurance: float
    hoa: float
    maintenance: float
    capital_reserves: float
    management: float
    operating_expenses: float
    net_operating_income: float


@dataclass(frozen=True)
class ProjectionYear:
    year: int
    rent_monthly: float
    net_operating_income: float
    cash_flow: float
    cumulative_cash_flow: float
    loan_balance: float
    property_value: float
    equity: float


@dataclass(frozen=True)
class CashNeeded:
    down_payment: float
    closing_costs: float
    repair_costs: float
    total: float


@dataclass(frozen=True)
class Returns:
    """Every figure of one purchase, with the inputs and assumptions it came from.

    `roi_estimate` is the cap rate in percent: the annual return on the price before
    financing, i.e. the ROI of an all-cash purchase. It is the figure the API has always
    reported under that name, it depends on the home and the market rather than on one
    investor's loan, and it keeps its sign and meaning when rates move; the levered
    return is `cash_on_cash_percent`, and the whole hold's is `irr_percent`.
    """

    price: float
    monthly_rent: float
    value_basis: float
    value_basis_source: str
    hoa_monthly: float
    annual_tax_source: str
    loan_amount: float
    monthly_mortgage_payment: float
    annual_debt_service: float
    operating: OperatingStatement
    net_operating_income: float
    cap_rate_percent: float
    monthly_cash_flow: float
    annual_cash_flow: float
    cash_needed: CashNeeded
    cash_on_cash_percent: float | None
    dscr: float | None
    gross_rent_multiplier: float | None
    rent_to_price_percent: float
    meets_one_percent_rule: bool
    meets_seventy_percent_rule: bool | None
    projection: tuple[ProjectionYear, ...]
    sale_proceeds: float
    irr_percent: float | None
    assumptions: Assumptions

    @property
    def roi_estimate(self) -> float:
        return self.cap_rate_percent

    def to_dict(self) -> dict[str, Any]:
        return {**plain(self), "roi_estimate": self.roi_estimate}


@dataclass(frozen=True)
class NotApplicable:
    """Why a listing gets no returns, and the rent it shows when it is a rental."""

    reason: str
    observed_monthly_rent: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


def monthly_payment(principal: float, annual_rate: float, term_years: int) -> float:
    """The level payment that repays `principal` over the term: P·r / (1 - (1 + r)^-n)."""
    months = term_years * MONTHS_PER_YEAR
    if principal <= 0 or months <= 0:
        return 0.0
    rate = annual_rate / MONTHS_PER_YEAR
    if rate == 0:
        return principal / months
    return principal * rate / -math.expm1(-months * math.log1p(rate))


def loan_balance(principal: float, annual_rate: float, term_years: int, payments: int) -> float:
    """What is still owed after `payments` monthly payments: P·(1 + r)^k - A·((1 + r)^k - 1)/r."""
    months = term_years * MONTHS_PER_YEAR
    paid = max(0, min(payments, months))
    if principal <= 0 or paid == months:
        return 0.0
    rate = annual_rate / MONTHS_PER_YEAR
    if rate == 0:
        return principal * (1 - paid / months)
    payment = monthly_payment(principal, annual_rate, term_years)
    growth_less_one = math.expm1(paid * math.log1p(rate))
    return max(0.0, principal + principal * growth_less_one - payment * growth_less_one / rate)


def operating_statement(
    monthly_rent: float,
    price: float,
    hoa_monthly: float,
    annual_tax: float | None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
    year: int = 1,
) -> OperatingStatement:
    """Year `year` of operation (1 is the first year after purchase)."""
    rent_factor = (1 + assumptions.rent_growth) ** (year - 1)
    cost_factor = (1 + assumptions.expense_growth) ** (year - 1)
    gross = monthly_rent * MONTHS_PER_YEAR * rent_factor
    vacancy = gross * assumptions.vacancy_rate
    effective = gross - vacancy
    tax = (annual_tax if annual_tax is not None else price * assumptions.property_tax_rate) * (
        cost_factor
    )
    insurance = price * assumptions.insurance_rate * cost_factor
    hoa = hoa_monthly * MONTHS_PER_YEAR * cost_factor
    maintenance = gross * assumptions.maintenance_share
    reserves = gross * assumptions.capital_reserve_share
    management = effective * assumptions.management_share
    expenses = tax + insurance + hoa + maintenance + reserves + management
    return OperatingStatement(
        gross_rent=gross,
        vacancy_loss=vacancy,
        effective_gross_income=effective,
        property_tax=tax,
        insurance=insurance,
        hoa=hoa,
        maintenance=maintenance,
        capital_reserves=reserves,
        management=management,
        operating_expenses=expenses,
        net_operating_income=effective - expenses,
    )


def cap_rate(net_operating_income: float, price: float) -> float:
    return net_operating_income / price


def cash_needed(price: float, assumptions: Assumptions = DEFAULT_ASSUMPTIONS) -> CashNeeded:
    down = price * assumptions.down_payment_share
    closing = price * assumptions.closing_cost_share
    repairs = assumptions.repair_costs
    return CashNeeded(down, closing, repairs, down + closing + repairs)


def cash_on_cash(annual_cash_flow: float, cash_invested: float) -> float | None:
    return annual_cash_flow / cash_invested if cash_invested > 0 else None


def debt_service_coverage(net_operating_income: float, annual_debt_service: float) -> float | None:
    """DSCR; None when there is no debt to cover."""
    return net_operating_income / annual_debt_service if annual_debt_service > 0 else None


def gross_rent_multiplier(price: float, annual_gross_rent: float) -> float | None:
    return price / annual_gross_rent if annual_gross_rent > 0 else None


def meets_one_percent_rule(price: float, monthly_rent: float) -> bool:
    return monthly_rent >= ONE_PERCENT_RULE * price


def meets_seventy_percent_rule(
    price: float, after_repair_value: float | None, repair_costs: float = 0.0
) -> bool | None:
    """None when there is no estimated (after-repair) value to judge the price against."""
    if after_repair_value is None:
        return None
    return price <= SEVENTY_PERCENT_RULE * after_repair_value - repair_costs


def net_present_value(rate: float, cash_flows: list[float]) -> float:
    return sum(flow / (1 + rate) ** period for period, flow in enumerate(cash_flows))


def internal_rate_of_return(cash_flows: list[float]) -> float | None:
    """The rate at which the flows' NPV is zero; None when none exists or it is not unique.

    Flows whose sign changes exactly once have at most one IRR above -100 % (NPV is then
    monotonic in the rate); any other series may have none or several, so none is given.
    """
    signs = [flow > 0 for flow in cash_flows if flow != 0]
    if sum(1 for before, after in pairwise(signs) if before != after) != 1:
        return None
    low = net_present_value(IRR_SEARCH_LOW, cash_flows)
    high = net_present_value(IRR_SEARCH_HIGH, cash_flows)
    if low == 0:
        return IRR_SEARCH_LOW
    if low * high > 0:
        return None
    return float(brentq(net_present_value, IRR_SEARCH_LOW, IRR_SEARCH_HIGH, args=(cash_flows,)))


def project(
    price: float,
    monthly_rent: float,
    value_basis: float,
    hoa_monthly: float,
    annual_tax: float | None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> tuple[ProjectionYear, ...]:
    """Year by year over the hold: rent, NOI, cash flow, loan balance, value and equity."""
    loan = price * (1 - assumptions.down_payment_share)
    debt_service = (
        monthly_payment(loan, assumptions.mortgage_rate, assumptions.term_years) * MONTHS_PER_YEAR
    )
    years = []
    cumulative = 0.0
    for year in range(1, assumptions.holding_years + 1):
        statement = operating_statement(
            monthly_rent, price, hoa_monthly, annual_tax, assumptions, year
        )
        cash_flow = statement.net_operating_income - debt_service
        cumulative += cash_flow
        balance = loan_balance(
            loan, assumptions.mortgage_rate, assumptions.term_years, year * MONTHS_PER_YEAR
        )
        value = value_basis * (1 + assumptions.appreciation) ** year
        years.append(
            ProjectionYear(
                year=year,
                rent_monthly=statement.gross_rent / MONTHS_PER_YEAR,
                net_operating_income=statement.net_operating_income,
                cash_flow=cash_flow,
                cumulative_cash_flow=cumulative,
                loan_balance=balance,
                property_value=value,
                equity=value - balance,
            )
        )
    return tuple(years)


def sale_proceeds(final_year: ProjectionYear, assumptions: Assumptions) -> float:
    """What the investor keeps from the sale: value less selling costs less the loan payoff."""
    return (
        final_year.property_value * (1 - assumptions.selling_cost_share) - final_year.loan_balance
    )


def analyse(
    price: float,
    monthly_rent: float,
    estimated_value: float | None = None,
    hoa_monthly: float | None = None,
    annual_tax: float | None = None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> Returns:
    """The returns of buying at `price` a home that rents for `monthly_rent`."""
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    if monthly_rent < 0:
        raise ValueError(f"monthly rent cannot be negative, got {monthly_rent}")
    hoa = hoa_monthly or 0.0
    estimate = estimated_value if estimated_value is not None and estimated_value > 0 else None
    value_basis = price if estimate is None else estimate
    loan = price * (1 - assumptions.down_payment_share)
    payment = monthly_payment(loan, assumptions.mortgage_rate, assumptions.term_years)
    debt_service = payment * MONTHS_PER_YEAR
    statement = operating_statement(monthly_rent, price, hoa, annual_tax, assumptions)
    noi = statement.net_operating_income
    annual_cash_flow = noi - debt_service
    cash = cash_needed(price, assumptions)
    years = project(price, monthly_rent, value_basis, hoa, annual_tax, assumptions)
    proceeds = sale_proceeds(years[-1], assumptions) if years else 0.0
    flows = [-cash.total, *(year.cash_flow for year in years)]
    if years:
        flows[-1] += proceeds
    irr = internal_rate_of_return(flows)
    coc = cash_on_cash(annual_cash_flow, cash.total)
    dscr = debt_service_coverage(noi, debt_service)
    grm = gross_rent_multiplier(price, statement.gross_rent)
    return Returns(
        price=price,
        monthly_rent=_money(monthly_rent),
        value_basis=_money(value_basis),
        value_basis_source="price" if estimate is None else "estimated_value",
        hoa_monthly=_money(hoa),
        annual_tax_source="listing" if annual_tax is not None else "assumed_rate",
        loan_amount=_money(loan),
        monthly_mortgage_payment=_money(payment),
        annual_debt_service=_money(debt_service),
        operating=_rounded(statement),
        net_operating_income=_money(noi),
        cap_rate_percent=_percent(cap_rate(noi, price)),
        monthly_cash_flow=_money(annual_cash_flow / MONTHS_PER_YEAR),
        annual_cash_flow=_money(annual_cash_flow),
        cash_needed=_rounded(cash),
        cash_on_cash_percent=None if coc is None else _percent(coc),
        dscr=None if dscr is None else round(dscr, 3),
        gross_rent_multiplier=None if grm is None else round(grm, 2),
        rent_to_price_percent=_percent(monthly_rent / price),
        meets_one_percent_rule=meets_one_percent_rule(price, monthly_rent),
        meets_seventy_percent_rule=meets_seventy_percent_rule(
            price, estimated_value, assumptions.repair_costs
        ),
        projection=tuple(_rounded(year, keep=("year",)) for year in years),
        sale_proceeds=_money(proceeds),
        irr_percent=None if irr is None else _percent(irr),
        assumptions=assumptions,
    )


def evaluate_listing(
    listing_type: str | None,
    price: float | None,
    monthly_rent: float | None,
    estimated_value: float | None = None,
    hoa_monthly: float | None = None,
    annual_tax: float | None = None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> Returns | NotApplicable:
    """Returns for a listing, or why there are none.

    A for-rent listing's price is what a tenant pays each month: it is evidence of the
    area's rent level (the rent model takes it as a comparable), not a purchase price.
    """
    if listing_type in RENTAL_LISTING_TYPES:
        return NotApplicable(
            "rental listing: its price is a monthly rent, not a purchase price",
            observed_monthly_rent=price if price and price > 0 else None,
        )
    if price is None or price <= 0:
        return NotApplicable("no purchase price")
    if monthly_rent is None:
        return NotApplicable("no rent estimate")
    return analyse(price, monthly_rent, estimated_value, hoa_monthly, annual_tax, assumptions)


def _money(value: float) -> float:
    return round(value, 2)


def _percent(fraction: float) -> float:
    return round(100.0 * fraction, 3)


F = TypeVar("F", "OperatingStatement", "CashNeeded", "ProjectionYear")


def _rounded(figures: F, keep: tuple[str, ...] = ()) -> F:
    """`figures` with every amount rounded to the cent, except the fields in `keep`."""
    amounts: dict[str, Any] = {
        name: _money(getattr(figures, name))
        for name in figures.__dataclass_fields__
        if name not in keep
    }
    return replace(figures, **amounts)
