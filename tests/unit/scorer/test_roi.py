"""The finance formulas against examples worked by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from services.scorer.roi import (
    DEFAULT_ASSUMPTIONS,
    Assumptions,
    NotApplicable,
    Returns,
    analyse,
    evaluate_listing,
    internal_rate_of_return,
    loan_balance,
    meets_one_percent_rule,
    meets_seventy_percent_rule,
    monthly_payment,
    operating_statement,
)

# A plain rental used by several tests: $200,000 price, $2,000 rent, $2,400 tax on the
# listing, $100 HOA; 25 % down at 6.5 % over 30 years, 3 % closing costs, 5 % vacancy,
# insurance 0.5 % of price, maintenance 10 % of rent, no reserves, management 10 % of
# collected rent.
PLAIN = Assumptions(
    down_payment_share=0.25,
    mortgage_rate=0.065,
    term_years=30,
    closing_cost_share=0.03,
    insurance_rate=0.005,
    vacancy_rate=0.05,
    maintenance_share=0.10,
    capital_reserve_share=0.0,
    management_share=0.10,
)


def plain_returns(**changes: float) -> Returns:
    return analyse(
        price=200_000, monthly_rent=2_000, hoa_monthly=100, annual_tax=2_400,
        assumptions=replace(PLAIN, **changes),
    )  # fmt: skip


def test_a_300k_loan_at_6_5_percent_for_30_years_pays_1896_20_a_month() -> None:
    # r = 0.065 / 12 = 0.00541667; (1 + r)^360 = 6.99180
    # A = 300,000 * r / (1 - 1 / 6.99180) = 1,625.00 / 0.85698 = 1,896.20
    assert monthly_payment(300_000, 0.065, 30) == pytest.approx(1_896.20, abs=0.005)


def test_balance_after_60_payments_of_that_loan_is_280_832_93() -> None:
    # (1 + r)^60 = 1.382817; 300,000 * 1.382817 = 414,845.20
    # paid off by the payments: 1,896.204 * (1.382817 - 1) / r = 134,012.26
    # balance = 414,845.20 - 134,012.26 = 280,832.93
    assert loan_balance(300_000, 0.065, 30, 60) == pytest.approx(280_832.93, abs=0.01)


def test_the_loan_is_repaid_after_the_last_payment() -> None:
    assert loan_balance(300_000, 0.065, 30, 360) == 0.0
    assert loan_balance(300_000, 0.065, 30, 0) == pytest.approx(300_000)


def test_a_zero_rate_loan_is_repaid_in_equal_instalments() -> None:
    # 120,000 / 360 = 333.33 a month; after 180 payments half is left
    assert monthly_payment(120_000, 0.0, 30) == pytest.approx(333.333, abs=0.001)
    assert loan_balance(120_000, 0.0, 30, 180) == pytest.approx(60_000)


def test_noi_and_cap_rate_follow_from_rent_and_expenses() -> None:
    # gross 2,000 * 12 = 24,000; vacancy 5 % = 1,200; effective income 22,800
    # tax 2,400 + insurance 0.5 % * 200,000 = 1,000 + HOA 100 * 12 = 1,200
    #   + maintenance 10 % * 24,000 = 2,400 + management 10 % * 22,800 = 2,280 = 9,280
    # NOI = 22,800 - 9,280 = 13,520; cap rate = 13,520 / 200,000 = 6.76 %
    statement = operating_statement(2_000, 200_000, 100, 2_400, PLAIN)
    assert statement.effective_gross_income == pytest.approx(22_800)
    assert statement.operating_expenses == pytest.approx(9_280)
    returns = plain_returns()
    assert returns.net_operating_income == pytest.approx(13_520)
    assert returns.cap_rate_percent == pytest.approx(6.76)
    assert returns.roi_estimate == returns.cap_rate_percent


def test_cash_flow_cash_on_cash_and_dscr_of_the_plain_rental() -> None:
    # loan 75 % * 200,000 = 150,000 → half the 300k payment: 948.10 a month, 11,377.22 a year
    # cash flow = 13,520 - 11,377.22 = 2,142.78 a year, 178.57 a month
    # cash needed = 50,000 down + 6,000 closing = 56,000; cash-on-cash = 3.826 %
    # DSCR = 13,520 / 11,377.22 = 1.188
    returns = plain_returns()
    assert returns.monthly_mortgage_payment == pytest.approx(948.10)
    assert returns.annual_cash_flow == pytest.approx(2_142.78, abs=0.01)
    assert returns.monthly_cash_flow == pytest.approx(178.57, abs=0.01)
    assert returns.cash_needed.total == pytest.approx(56_000)
    assert returns.cash_on_cash_percent == pytest.approx(3.826, abs=0.001)
    assert returns.dscr == pytest.approx(1.188, abs=0.001)


def test_gross_rent_multiplier_is_price_over_a_years_rent() -> None:
    # 200,000 / 24,000 = 8.33
    assert plain_returns().gross_rent_multiplier == pytest.approx(8.33)


def test_an_all_cash_purchase_has_no_dscr() -> None:
    assert plain_returns(down_payment_share=1.0).dscr is None


def test_tax_falls_back_to_the_assumed_rate_when_the_listing_gives_none() -> None:
    # 1 % * 200,000 = 2,000 instead of the listing's 2,400: NOI rises by 400
    returns = analyse(200_000, 2_000, hoa_monthly=100, assumptions=PLAIN)
    assert returns.operating.property_tax == pytest.approx(2_000)
    assert returns.net_operating_income == pytest.approx(13_920)
    assert returns.annual_tax_source == "assumed_rate"


@pytest.mark.parametrize(
    ("flows", "rate"),
    [
        ([-1_000, 100, 100, 1_100], 0.10),  # 100/1.1 + 100/1.21 + 1,100/1.331 = 1,000
        ([-100, 110], 0.10),
        ([-1_000, 0, 0, 1_331], 0.10),  # 1,331 = 1,000 * 1.1³
        ([-1_000, 500], -0.50),
    ],
)
def test_irr_of_known_series(flows: list[float], rate: float) -> None:
    assert internal_rate_of_return(flows) == pytest.approx(rate, abs=1e-9)


@pytest.mark.parametrize(
    "flows",
    [
        [100, 100],  # nothing invested
        [-100, -5, -5],  # never paid back
        [-100, 230, -132],  # NPV is zero at both 10 % and 20 %: no single rate
    ],
)
def test_irr_is_none_when_no_single_rate_exists(flows: list[float]) -> None:
    assert internal_rate_of_return(flows) is None


def test_one_percent_rule_at_its_edge() -> None:
    assert meets_one_percent_rule(200_000, 2_000) is True
    assert meets_one_percent_rule(200_000, 1_999.99) is False


def test_seventy_percent_rule_at_its_edge() -> None:
    # 70 % * 300,000 - 20,000 repairs = 190,000
    assert meets_seventy_percent_rule(190_000, 300_000, 20_000) is True
    assert meets_seventy_percent_rule(190_001, 300_000, 20_000) is False
    assert meets_seventy_percent_rule(190_000, None) is None


def test_an_all_cash_hold_without_costs_or_growth_returns_its_cap_rate() -> None:
    # 100,000 cash, 12,000 NOI a year for 5 years, sold for 100,000: IRR = 12 %
    bare = Assumptions(
        down_payment_share=1.0, closing_cost_share=0.0, insurance_rate=0.0, vacancy_rate=0.0,
        maintenance_share=0.0, capital_reserve_share=0.0, management_share=0.0,
        appreciation=0.0, rent_growth=0.0, expense_growth=0.0, selling_cost_share=0.0,
    )  # fmt: skip
    returns = analyse(100_000, 1_000, annual_tax=0.0, assumptions=bare)
    assert returns.cap_rate_percent == pytest.approx(12.0)
    assert returns.irr_percent == pytest.approx(12.0, abs=1e-6)
    assert returns.sale_proceeds == pytest.approx(100_000)


def test_projection_grows_rent_and_value_and_builds_equity() -> None:
    returns = analyse(200_000, 2_000, estimated_value=220_000, assumptions=PLAIN)
    first, *_, last = returns.projection
    assert len(returns.projection) == DEFAULT_ASSUMPTIONS.holding_years
    assert returns.projection[1].rent_monthly == pytest.approx(2_000 * 1.03)
    # value starts from the estimated value: 220,000 * 1.03⁵ = 255,040.30
    assert last.property_value == pytest.approx(255_040.30, abs=0.01)
    # the loan after 60 payments is half the 300k example's balance
    assert last.loan_balance == pytest.approx(280_832.93 / 2, abs=0.01)
    assert last.equity == pytest.approx(last.property_value - last.loan_balance, abs=0.01)
    assert last.cumulative_cash_flow == pytest.approx(
        sum(year.cash_flow for year in returns.projection), abs=0.05
    )
    assert first.loan_balance > last.loan_balance


def test_the_irr_solves_the_holds_own_cash_flows() -> None:
    returns = plain_returns()
    flows = [-returns.cash_needed.total, *(year.cash_flow for year in returns.projection)]
    flows[-1] += returns.sale_proceeds
    assert internal_rate_of_return(flows) == pytest.approx(returns.irr_percent / 100, abs=1e-5)


def test_returns_serialise_to_json_with_the_assumptions_used() -> None:
    data = json.loads(json.dumps(plain_returns().to_dict()))
    assert data["roi_estimate"] == data["cap_rate_percent"]
    assert data["assumptions"]["mortgage_rate"] == 0.065
    assert len(data["projection"]) == 5


def test_a_rental_listing_is_never_put_through_the_purchase_formulas() -> None:
    result = evaluate_listing("for_rent", 2_500, monthly_rent=2_500)
    assert isinstance(result, NotApplicable)
    assert result.observed_monthly_rent == 2_500


def test_a_listing_without_price_or_rent_gets_no_returns() -> None:
    assert isinstance(evaluate_listing("for_sale", None, 2_000), NotApplicable)
    assert isinstance(evaluate_listing("for_sale", 200_000, None), NotApplicable)
    assert isinstance(evaluate_listing("for_sale", 200_000, 2_000), Returns)


def test_a_price_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="price"):
        analyse(0, 2_000)
