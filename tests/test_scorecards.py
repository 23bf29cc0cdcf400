"""The built-in scorecards (manufacturing, services, wholesale & retail, real estate, generic).

Pure units: facts in, decision out; no database. Every band boundary of every factor, every
score cut-off, every knock-out, per card; and the card loader's validation.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plugins.builtin import CARDS, builtin_cards
from plugins.manager import PluginHost, builtin_plugins
from plugins.scorecard import CardError, Factor, Scorecard, load_card
from plugins.spec import CreditHistoryEvent, Decision, Facts, Grade, Ratios, StatementFigures

AS_OF = date(2026, 6, 30)
STEP = Decimal("0.0001")  # one step of a ratio's precision (ratios are quantized to 4 places)
CARD_LIST = builtin_cards()
BY_ID = {card.id: card for card in CARD_LIST}
CARD_IDS = sorted(BY_ID)
INDUSTRY_OF = {  # a representative industry code for each card
    "generic": "A01", "manufacturing": "C34", "services": "I65", "wholesale-retail": "F51", "real-estate": "K701",
}
SAFE_RED_LINES = {"liabilities_to_assets_ex_advances": Decimal("0.60"), "net_gearing": Decimal("0.50"),
                  "cash_to_short_term_debt": Decimal("1.50")}
BREACHED_RED_LINES = {"liabilities_to_assets_ex_advances": Decimal("0.80"), "net_gearing": Decimal("1.50"),
                      "cash_to_short_term_debt": Decimal("0.50")}


def statement(audit_opinion: str = "unqualified") -> StatementFigures:
    """A plausible latest statement; the engine reads only its audit opinion (ratios are given)."""
    return StatementFigures(
        period_end=date(2025, 12, 31), currency="CNY", total_assets=Decimal("1000"),
        total_liabilities=Decimal("550"), equity=Decimal("450"), revenue=Decimal("1200"),
        net_profit=Decimal("60"), audit_opinion=audit_opinion,
    )


def facts(card: Scorecard | str, ratios: Ratios | None = None, answers: dict[str, str] | None = None,
          *, audit_opinion: str = "unqualified", **extra: Any) -> Facts:
    card_id = card if isinstance(card, str) else card.id
    return Facts(
        as_of=AS_OF, industry_code=INDUSTRY_OF[card_id], size="medium", latest=statement(audit_opinion),
        previous=None, ratios=ratios or Ratios(), answers=answers or {}, **extra,
    )


def factor_result(decision: Decision, code: str):
    return next(r for r in decision.factors if r.code == code)


def points(weight: Decimal, share: Decimal) -> Decimal:
    return (weight * share).quantize(Decimal("0.01"))


def perfect_ratios(card: Scorecard) -> Ratios:
    """Every factor's metric exactly at its best band's limit (and no red line crossed)."""
    values: dict[str, Decimal] = {}
    for factor in card.factors:
        if factor.metric == "red_lines_breached":
            values.update(SAFE_RED_LINES)
        else:
            assert factor.bands[0].limit is not None
            values[factor.metric] = factor.bands[0].limit
    return Ratios(**values)


def best_answers(card: Scorecard) -> dict[str, str]:
    return {q.question.id: max(q.shares, key=lambda a: q.shares[a]) for q in card.scored_questions}


def perfect_facts(card: Scorecard, **extra: Any) -> Facts:
    return facts(card, perfect_ratios(card), best_answers(card), **extra)


# --------------------------------------------------------------------------- the shipped cards


def test_every_shipped_card_loads_with_a_unique_id() -> None:
    assert len(CARD_LIST) == len(list(CARDS.glob("*.toml"))) == 5
    assert len(BY_ID) == len(CARD_LIST)


def test_the_four_industry_cards_and_generic_declare_their_industries() -> None:
    assert {card.id: card.industries for card in CARD_LIST} == {
        "generic": ("*",),
        "manufacturing": ("C",),
        "services": ("H", "I", "L", "M", "N", "O", "P", "Q", "R"),
        "wholesale-retail": ("F",),
        "real-estate": ("K",),
    }


def test_no_two_cards_claim_the_same_industry_prefix() -> None:
    prefixes = [prefix for card in CARD_LIST for prefix in card.industries]
    assert len(prefixes) == len(set(prefixes))


@pytest.mark.parametrize(("industry_code", "card_id"), [
    ("C34", "manufacturing"), ("C", "manufacturing"), ("F51", "wholesale-retail"), ("K701", "real-estate"),
    ("K70", "real-estate"), ("H61", "services"), ("I65", "services"), ("L72", "services"), ("M73", "services"),
    ("N77", "services"), ("O80", "services"), ("P83", "services"), ("Q84", "services"), ("R86", "services"),
    ("G54", "generic"),  # transport & logistics is left to the fallback (or to an external plugin)
    ("A01", "generic"), ("E47", "generic"), ("J66", "generic"), ("S92", "generic"),
])
def test_the_builtin_plugin_maps_each_industry_to_its_card(industry_code: str, card_id: str) -> None:
    host = PluginHost(extra=builtin_plugins(), entry_points=False)
    assert host.strategy_for(industry_code).id == card_id


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_every_card_has_the_standard_cutoffs_knock_outs_and_a_70_30_split(card_id: str) -> None:
    card = BY_ID[card_id]
    assert card.cutoffs == {Grade.A: Decimal(85), Grade.B: Decimal(70), Grade.C: Decimal(50)}
    k = card.knock_outs
    assert (k.non_performing, k.overdue, k.adverse_audit, k.overdue_lookback_days) == (Grade.D, Grade.C, Grade.C, 365)
    assert sum(f.weight for f in card.factors) == 70
    assert sum(q.weight for q in card.scored_questions) == 30


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_weights_sum_to_100_so_the_max_points_of_all_factors_sum_to_100(card_id: str) -> None:
    decision = BY_ID[card_id].grade(facts(card_id))
    assert sum(r.max_points for r in decision.factors) == 100


# --------------------------------------------------------------------------- band boundaries


def _boundaries() -> list[Any]:
    cases = []
    for card in CARD_LIST:
        for factor in card.factors:
            if factor.metric == "red_lines_breached":
                continue  # a count of red lines, not a ratio: tested on its own below
            for index, band in enumerate(factor.bands):
                nxt = factor.bands[index + 1] if index + 1 < len(factor.bands) else factor.otherwise
                cases.append(pytest.param(card.id, factor.code, index,
                                          id=f"{card.id}-{factor.code}-{band.label}@{band.limit}-then-{nxt.label}"))
    return cases


def _with_metric(card: Scorecard, factor: Factor, value: Decimal) -> Decision:
    return card.grade(facts(card, Ratios(**{factor.metric: value})))


@pytest.mark.parametrize(("card_id", "code", "index"), _boundaries())
def test_a_metric_exactly_at_a_band_limit_is_in_that_band_and_one_step_worse_is_in_the_next(
    card_id: str, code: str, index: int,
) -> None:
    card = BY_ID[card_id]
    factor = next(f for f in card.factors if f.code == code)
    band = factor.bands[index]
    nxt = factor.bands[index + 1] if index + 1 < len(factor.bands) else factor.otherwise
    assert band.limit is not None
    worse = band.limit - STEP if factor.higher_is_better else band.limit + STEP

    at = factor_result(_with_metric(card, factor, band.limit), code)
    assert (at.band, at.points, at.max_points) == (band.label, points(factor.weight, band.share), factor.weight)
    past = factor_result(_with_metric(card, factor, worse), code)
    assert (past.band, past.points) == (nxt.label, points(factor.weight, nxt.share))
    assert past.points < at.points


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_every_band_of_every_factor_is_reached_by_the_boundary_table(card_id: str) -> None:
    card = BY_ID[card_id]
    covered = {(c.values[1], c.values[2]) for c in _boundaries() if c.values[0] == card_id}
    expected = {(f.code, i) for f in card.factors if f.metric != "red_lines_breached" for i in range(len(f.bands))}
    assert covered == expected


# --------------------------------------------------------------------------- red lines (real estate)

RE = BY_ID["real-estate"]
LINES = tuple(SAFE_RED_LINES)


def _red_lines(*crossed: str, **exact: Decimal) -> Ratios:
    values = {line: BREACHED_RED_LINES[line] if line in crossed else SAFE_RED_LINES[line] for line in LINES}
    return Ratios(**{**values, **exact})


@pytest.mark.parametrize(("crossed", "band", "share"), [
    ((), "green", Decimal("1")),
    (("liabilities_to_assets_ex_advances",), "yellow", Decimal("0.5")),
    (("net_gearing",), "yellow", Decimal("0.5")),
    (("cash_to_short_term_debt",), "yellow", Decimal("0.5")),
    (("liabilities_to_assets_ex_advances", "net_gearing"), "orange", Decimal("0.2")),
    (("liabilities_to_assets_ex_advances", "cash_to_short_term_debt"), "orange", Decimal("0.2")),
    (("net_gearing", "cash_to_short_term_debt"), "orange", Decimal("0.2")),
    (LINES, "red", Decimal("0")),
])
def test_red_lines_factor_bands_follow_the_number_of_lines_crossed(
    crossed: tuple[str, ...], band: str, share: Decimal,
) -> None:
    result = factor_result(RE.grade(facts(RE, _red_lines(*crossed))), "RED_LINES")
    assert (result.band, result.value, result.points) == (band, str(len(crossed)), points(Decimal(20), share))


@pytest.mark.parametrize(("line", "value", "crossed"), [
    ("liabilities_to_assets_ex_advances", Decimal("0.70"), False),  # exactly 70 %: not above it
    ("liabilities_to_assets_ex_advances", Decimal("0.7001"), True),
    ("net_gearing", Decimal("1.00"), False),  # exactly 100 %: not above it
    ("net_gearing", Decimal("1.0001"), True),
    ("cash_to_short_term_debt", Decimal("1.00"), False),  # exactly 1x: not below it
    ("cash_to_short_term_debt", Decimal("0.9999"), True),
])
def test_each_red_line_is_crossed_only_strictly_beyond_its_threshold(line: str, value: Decimal, crossed: bool) -> None:
    result = factor_result(RE.grade(facts(RE, _red_lines(**{line: value}))), "RED_LINES")
    assert result.band == ("yellow" if crossed else "green")


def test_red_lines_are_counted_from_a_developers_statement_net_of_advances() -> None:
    developer = StatementFigures(
        period_end=date(2025, 12, 31), currency="CNY", total_assets=Decimal("1000"),
        total_liabilities=Decimal("780"), equity=Decimal("220"), revenue=Decimal("260"), net_profit=Decimal("20"),
        cash=Decimal("120"), short_term_debt=Decimal("100"), long_term_debt=Decimal("250"),
        advances_from_customers=Decimal("300"), audit_opinion="unqualified",
    )
    # (780 - 300) / (1000 - 300) = 68.6 % (not crossed); (350 - 120) / 220 = 104.5 % (crossed);
    # 120 / 100 = 1.2x (not crossed): one line, yellow.
    f = dataclasses.replace(facts(RE), latest=developer, ratios=Ratios.derive(developer))
    result = factor_result(RE.grade(f), "RED_LINES")
    assert (result.band, result.value) == ("yellow", "1")


def test_red_lines_without_any_figures_are_missing_not_green() -> None:
    result = factor_result(RE.grade(facts(RE)), "RED_LINES")
    assert (result.band, result.value, result.points) == ("missing", None, Decimal("0.00"))


# --------------------------------------------------------------------------- whole customers


def R(**values: str) -> Ratios:
    return Ratios(**{k: Decimal(v) for k, v in values.items()})


CUSTOMERS = [
    # ---- generic: LEV 20, COV 10, LIQ 15, ACT 5, PROF 10, CF 10; management 15, market 15
    pytest.param("generic", R(debt_to_assets="0.45", interest_coverage="8", current_ratio="2.2", asset_turnover="1.0",
                              net_margin="0.12", operating_cash_flow_to_liabilities="0.20"),
                 {"management_quality": "strong", "market_position": "established"},
                 # 20 + 10 + 15 + 3.75 + 10 + 7.5 = 66.25; 15 + 10.5 = 25.5
                 Decimal("91.75"), Grade.A, id="generic-A"),
    pytest.param("generic", R(debt_to_assets="0.55", interest_coverage="4", current_ratio="1.6", asset_turnover="0.9",
                              net_margin="0.06", operating_cash_flow_to_liabilities="0.16"),
                 {"management_quality": "adequate", "market_position": "established"},
                 # 15 + 7.5 + 11.25 + 3.75 + 7.5 + 7.5 = 52.5; 9 + 10.5 = 19.5
                 Decimal("72.00"), Grade.B, id="generic-B"),
    pytest.param("generic", R(debt_to_assets="0.65", interest_coverage="2", current_ratio="1.3", asset_turnover="0.6",
                              net_margin="0.03", operating_cash_flow_to_liabilities="0.10"),
                 {"management_quality": "adequate", "market_position": "established"},
                 # 10 + 5 + 7.5 + 2.5 + 5 + 5 = 35; 9 + 10.5 = 19.5
                 Decimal("54.50"), Grade.C, id="generic-C"),
    pytest.param("generic", R(debt_to_assets="0.90", interest_coverage="1.2", current_ratio="0.9",
                              asset_turnover="0.2", net_margin="-0.01", operating_cash_flow_to_liabilities="-0.10"),
                 {"management_quality": "weak", "market_position": "marginal"},
                 # 0 + 2.5 + 0 + 0 + 0 + 0 = 2.5; 0 + 3
                 Decimal("5.50"), Grade.D, id="generic-D"),
    # ---- manufacturing: LEV 20, COV 10, LIQ(quick) 10, ACT(receivables) 10, PROF 10, CF 10;
    #      management 8, market 8, customer concentration 7, technology 7 (shares 1 / 0.5 / 0)
    pytest.param("manufacturing", R(debt_to_assets="0.42", interest_coverage="7.5", quick_ratio="1.1",
                                    receivables_turnover="9", net_margin="0.09",
                                    operating_cash_flow_to_liabilities="0.15"),
                 {"management_quality": "strong", "market_position": "leader", "customer_concentration": "moderate",
                  "technology_and_equipment": "advanced"},
                 # 20 + 10 + 7.5 + 10 + 10 + 7.5 = 65; 8 + 8 + 3.5 + 7 = 26.5
                 Decimal("91.50"), Grade.A, id="manufacturing-A"),
    pytest.param("manufacturing", R(debt_to_assets="0.52", interest_coverage="3.5", quick_ratio="0.9",
                                    receivables_turnover="6.5", net_margin="0.055",
                                    operating_cash_flow_to_liabilities="0.13"),
                 {"management_quality": "strong", "market_position": "established",
                  "customer_concentration": "diversified", "technology_and_equipment": "mainstream"},
                 # 15 + 7.5 + 5 + 7.5 + 7.5 + 7.5 = 50; 8 + 4 + 7 + 3.5 = 22.5
                 Decimal("72.50"), Grade.B, id="manufacturing-B"),
    pytest.param("manufacturing", R(debt_to_assets="0.68", interest_coverage="3.2", quick_ratio="0.7",
                                    receivables_turnover="4.5", net_margin="0.03",
                                    operating_cash_flow_to_liabilities="0.12"),
                 {"management_quality": "strong", "market_position": "leader", "customer_concentration": "moderate",
                  "technology_and_equipment": "mainstream"},
                 # 5 + 7.5 + 2.5 + 5 + 5 + 7.5 = 32.5; 8 + 8 + 3.5 + 3.5 = 23
                 Decimal("55.50"), Grade.C, id="manufacturing-C"),
    pytest.param("manufacturing", R(debt_to_assets="0.80", interest_coverage="0.8", quick_ratio="0.5",
                                    receivables_turnover="3.5", net_margin="-0.02",
                                    operating_cash_flow_to_liabilities="-0.05"),
                 {"management_quality": "adequate", "market_position": "marginal",
                  "customer_concentration": "concentrated", "technology_and_equipment": "outdated"},
                 # 0 + 0 + 0 + 2.5 + 0 + 0 = 2.5; 4 + 0 + 0 + 0 = 4
                 Decimal("6.50"), Grade.D, id="manufacturing-D"),
    # ---- services: LEV 15, COV 10 (missing 0.75), LIQ(current) 15, ACT(receivables) 5 (missing 0.5),
    #      PROF 12, CF 13; management 10, market 8, customer concentration 6, licences 6
    pytest.param("services", R(debt_to_assets="0.35", current_ratio="1.8", net_margin="0.15",
                               operating_cash_flow_to_liabilities="0.35"),
                 {"management_quality": "strong", "market_position": "leader", "customer_concentration": "diversified",
                  "licences_and_regulation": "watch"},
                 # a debt-free catering chain selling for cash: no interest expense, no receivables
                 # 15 + 7.5 (missing) + 15 + 2.5 (missing) + 12 + 13 = 65; 10 + 8 + 6 + 3 = 27
                 Decimal("92.00"), Grade.A, id="services-A"),
    pytest.param("services", R(debt_to_assets="0.45", interest_coverage="5", current_ratio="1.3",
                               receivables_turnover="3.5", net_margin="0.08",
                               operating_cash_flow_to_liabilities="0.20"),
                 {"management_quality": "strong", "market_position": "established",
                  "customer_concentration": "moderate", "licences_and_regulation": "secure"},
                 # 11.25 + 7.5 + 11.25 + 2.5 + 9 + 9.75 = 51.25; 10 + 4 + 3 + 6 = 23
                 Decimal("74.25"), Grade.B, id="services-B"),
    pytest.param("services", R(debt_to_assets="0.55", interest_coverage="2.5", current_ratio="1.05",
                               receivables_turnover="2.5", net_margin="0.04",
                               operating_cash_flow_to_liabilities="0.10"),
                 {"management_quality": "strong", "market_position": "established",
                  "customer_concentration": "moderate", "licences_and_regulation": "watch"},
                 # 7.5 + 5 + 7.5 + 1.25 + 6 + 6.5 = 33.75; 10 + 4 + 3 + 3 = 20
                 Decimal("53.75"), Grade.C, id="services-C"),
    pytest.param("services", R(debt_to_assets="0.75", interest_coverage="0.5", current_ratio="0.7",
                               receivables_turnover="1.5", net_margin="-0.10",
                               operating_cash_flow_to_liabilities="0.02"),
                 {"management_quality": "adequate", "market_position": "marginal",
                  "customer_concentration": "concentrated", "licences_and_regulation": "at_risk"},
                 # 0 + 0 + 0 + 0 + 0 + 3.25 = 3.25; 5 + 0 + 0 + 0 = 5
                 Decimal("8.25"), Grade.D, id="services-D"),
    # ---- wholesale & retail: LEV 15, COV 8, LIQ(current) 12, ACT(asset turnover) 12,
    #      RECEIVABLES 6 (missing 0.5), PROF 7, CF 10; management 8, market 7, suppliers 8, inventory 7
    pytest.param("wholesale-retail", R(debt_to_assets="0.60", interest_coverage="6", current_ratio="1.6",
                                       asset_turnover="2.8", net_margin="0.045",
                                       operating_cash_flow_to_liabilities="0.18"),
                 {"management_quality": "strong", "market_position": "leader", "supplier_relationships": "secure",
                  "inventory_management": "adequate"},
                 # a supermarket chain selling for cash (no receivables)
                 # 11.25 + 8 + 12 + 12 + 3 (missing) + 7 + 10 = 63.25; 8 + 7 + 8 + 3.5 = 26.5
                 Decimal("89.75"), Grade.A, id="wholesale-retail-A"),
    pytest.param("wholesale-retail", R(debt_to_assets="0.70", interest_coverage="3", current_ratio="1.3",
                                       asset_turnover="2.0", receivables_turnover="9", net_margin="0.025",
                                       operating_cash_flow_to_liabilities="0.10"),
                 {"management_quality": "strong", "market_position": "established", "supplier_relationships": "secure",
                  "inventory_management": "strong"},
                 # 7.5 + 6 + 9 + 9 + 4.5 + 5.25 + 7.5 = 48.75; 8 + 3.5 + 8 + 7 = 26.5
                 Decimal("75.25"), Grade.B, id="wholesale-retail-B"),
    pytest.param("wholesale-retail", R(debt_to_assets="0.80", interest_coverage="1.8", current_ratio="1.15",
                                       asset_turnover="1.5", receivables_turnover="7", net_margin="0.015",
                                       operating_cash_flow_to_liabilities="0.05"),
                 {"management_quality": "strong", "market_position": "established", "supplier_relationships": "secure",
                  "inventory_management": "adequate"},
                 # 3.75 + 4 + 6 + 6 + 3 + 3.5 + 5 = 31.25; 8 + 3.5 + 8 + 3.5 = 23
                 Decimal("54.25"), Grade.C, id="wholesale-retail-C"),
    pytest.param("wholesale-retail", R(debt_to_assets="0.90", interest_coverage="1.2", current_ratio="0.95",
                                       asset_turnover="0.6", receivables_turnover="3", net_margin="0.005",
                                       operating_cash_flow_to_liabilities="-0.02"),
                 {"management_quality": "weak", "market_position": "marginal", "supplier_relationships": "fragile",
                  "inventory_management": "weak"},
                 # 0 + 2 + 0 + 0 + 0 + 1.75 + 0 = 3.75; 0
                 Decimal("3.75"), Grade.D, id="wholesale-retail-D"),
    # ---- real estate: RED_LINES 20 (1 / 0.5 / 0.2 / 0), LEV 8, COV 8, LIQ(quick) 8, ACT(asset turnover) 6,
    #      PROF 8, CF 12; management 6, shareholder 6, land bank 10, sales 8
    pytest.param("real-estate", R(liabilities_to_assets_ex_advances="0.62", net_gearing="0.55",
                                  cash_to_short_term_debt="1.8", debt_to_assets="0.70", interest_coverage="5",
                                  quick_ratio="0.85", asset_turnover="0.30", net_margin="0.13",
                                  operating_cash_flow_to_liabilities="0.08"),
                 {"management_quality": "strong", "shareholder_support": "strong", "land_bank_quality": "prime",
                  "sales_performance": "on_plan"},
                 # green: 20 + 6 + 8 + 8 + 4.5 + 8 + 9 = 63.5; 6 + 6 + 10 + 4 = 26
                 Decimal("89.50"), Grade.A, id="real-estate-A"),
    pytest.param("real-estate", R(liabilities_to_assets_ex_advances="0.72", net_gearing="0.80",
                                  cash_to_short_term_debt="1.2", debt_to_assets="0.75", interest_coverage="3",
                                  quick_ratio="0.65", asset_turnover="0.26", net_margin="0.09",
                                  operating_cash_flow_to_liabilities="0.06"),
                 {"management_quality": "strong", "shareholder_support": "strong", "land_bank_quality": "prime",
                  "sales_performance": "on_plan"},
                 # yellow (one line): 10 + 4 + 6 + 6 + 4.5 + 6 + 9 = 45.5; 6 + 6 + 10 + 4 = 26
                 Decimal("71.50"), Grade.B, id="real-estate-B"),
    pytest.param("real-estate", R(liabilities_to_assets_ex_advances="0.75", net_gearing="1.20",
                                  cash_to_short_term_debt="1.1", debt_to_assets="0.80", interest_coverage="2",
                                  quick_ratio="0.5", asset_turnover="0.20", net_margin="0.05",
                                  operating_cash_flow_to_liabilities="0.03"),
                 {"management_quality": "adequate", "shareholder_support": "strong", "land_bank_quality": "prime",
                  "sales_performance": "on_plan"},
                 # orange (two lines): 4 + 2 + 4 + 4 + 3 + 4 + 6 = 27; 3 + 6 + 10 + 4 = 23 — exactly the C cut-off
                 Decimal("50.00"), Grade.C, id="real-estate-C"),
    pytest.param("real-estate", R(liabilities_to_assets_ex_advances="0.85", net_gearing="2.50",
                                  cash_to_short_term_debt="0.3", debt_to_assets="0.90", interest_coverage="0.6",
                                  quick_ratio="0.2", asset_turnover="0.08", net_margin="-0.15",
                                  operating_cash_flow_to_liabilities="-0.03"),
                 {"management_quality": "weak", "shareholder_support": "weak", "land_bank_quality": "weak",
                  "sales_performance": "weak"},
                 # red (three lines): 0 everywhere; the all-red-lines knock-out is listed though D already
                 Decimal("0.00"), Grade.D, id="real-estate-D"),
]


@pytest.mark.parametrize(("card_id", "ratios", "answers", "score", "grade"), CUSTOMERS)
def test_whole_customers_from_strong_to_weak_get_the_hand_computed_score_and_grade(
    card_id: str, ratios: Ratios, answers: dict[str, str], score: Decimal, grade: Grade,
) -> None:
    decision = BY_ID[card_id].grade(facts(card_id, ratios, answers))
    assert (decision.score, decision.grade) == (score, grade)


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_the_customer_table_reaches_every_grade_for_every_card(card_id: str) -> None:
    grades = {c.values[4] for c in CUSTOMERS if c.values[0] == card_id}
    assert grades == set(Grade)


@pytest.mark.parametrize("card_id", CARD_IDS)
@pytest.mark.parametrize(("score", "grade"), [
    ("100", Grade.A), ("85", Grade.A), ("84.99", Grade.B), ("70", Grade.B), ("69.99", Grade.C),
    ("50", Grade.C), ("49.99", Grade.D), ("0", Grade.D),
])
def test_score_cutoffs_are_inclusive_at_85_70_and_50(card_id: str, score: str, grade: Grade) -> None:
    assert BY_ID[card_id].grade_for_score(Decimal(score)) == grade


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_a_customer_at_every_best_band_limit_scores_exactly_100(card_id: str) -> None:
    decision = BY_ID[card_id].grade(perfect_facts(BY_ID[card_id]))
    assert (decision.score, decision.grade, decision.knock_outs, decision.reasons) == (
        Decimal("100.00"), Grade.A, (), (),
    )


# --------------------------------------------------------------------------- knock-outs

OVERDUE_CAP = "Amounts overdue in the last 365 days: grade at most C"


def _graded(card: Scorecard, **extra: Any) -> Decision:
    return card.grade(perfect_facts(card, **extra))


def _assert_knocked_out(decision: Decision, grade: Grade, *texts: str) -> None:
    assert decision.score == Decimal("100.00")  # the score is untouched; only the grade is capped
    assert decision.grade == grade
    assert decision.knock_outs == texts
    assert decision.reasons[: len(texts)] == texts


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_non_performing_loan_is_graded_d_even_with_a_perfect_score(card_id: str) -> None:
    _assert_knocked_out(_graded(BY_ID[card_id], non_performing=True), Grade.D, "Non-performing loan: grade at most D")


@pytest.mark.parametrize("card_id", CARD_IDS)
@pytest.mark.parametrize("days", [1, 90])
def test_any_days_past_due_caps_the_grade_at_c(card_id: str, days: int) -> None:
    _assert_knocked_out(_graded(BY_ID[card_id], days_past_due=days), Grade.C, OVERDUE_CAP)


@pytest.mark.parametrize("card_id", CARD_IDS)
@pytest.mark.parametrize("days_ago", [0, 30, 365])
def test_an_overdue_event_within_365_days_caps_the_grade_at_c(card_id: str, days_ago: int) -> None:
    event = CreditHistoryEvent(AS_OF - timedelta(days=days_ago), "overdue", days_past_due=15, amount=Decimal("1000"))
    _assert_knocked_out(_graded(BY_ID[card_id], credit_history=(event,)), Grade.C, OVERDUE_CAP)


@pytest.mark.parametrize("card_id", CARD_IDS)
@pytest.mark.parametrize(("days_ago", "kind"), [(366, "overdue"), (1000, "overdue"), (10, "loan_repaid")])
def test_an_overdue_event_older_than_365_days_or_a_repaid_loan_does_not_cap(
    card_id: str, days_ago: int, kind: str
) -> None:
    event = CreditHistoryEvent(AS_OF - timedelta(days=days_ago), kind, days_past_due=15 if kind == "overdue" else None)
    _assert_knocked_out(_graded(BY_ID[card_id], credit_history=(event,)), Grade.A)


@pytest.mark.parametrize("card_id", CARD_IDS)
@pytest.mark.parametrize("opinion", ["adverse", "disclaimer"])
def test_adverse_or_disclaimer_audit_opinion_caps_the_grade_at_c(card_id: str, opinion: str) -> None:
    _assert_knocked_out(_graded(BY_ID[card_id], audit_opinion=opinion), Grade.C,
                        f"Auditor's opinion is {opinion}: grade at most C")


@pytest.mark.parametrize("card_id", CARD_IDS)
@pytest.mark.parametrize("opinion", ["unqualified", "qualified", "unaudited"])
def test_qualified_or_clean_audit_opinion_does_not_cap(card_id: str, opinion: str) -> None:
    _assert_knocked_out(_graded(BY_ID[card_id], audit_opinion=opinion), Grade.A)


def test_real_estate_crossing_all_three_red_lines_caps_the_grade_at_c() -> None:
    ratios = dataclasses.replace(perfect_ratios(RE), **BREACHED_RED_LINES)
    decision = RE.grade(facts(RE, ratios, best_answers(RE)))
    # 100 - 20 (red lines factor at 0) = 80, a B without the knock-out
    assert (decision.score, decision.grade) == (Decimal("80.00"), Grade.C)
    assert decision.knock_outs == ("All three red lines crossed: grade at most C",)
    assert decision.reasons[0] == decision.knock_outs[0]


def test_real_estate_crossing_two_red_lines_is_not_knocked_out() -> None:
    ratios = dataclasses.replace(
        perfect_ratios(RE), net_gearing=Decimal("1.50"), cash_to_short_term_debt=Decimal("0.50")
    )
    decision = RE.grade(facts(RE, ratios, best_answers(RE)))
    # 100 - 20 x (1 - 0.2) = 84
    assert (decision.score, decision.grade, decision.knock_outs) == (Decimal("84.00"), Grade.B, ())


@pytest.mark.parametrize("card_id", [c for c in CARD_IDS if c != "real-estate"])
def test_cards_without_red_lines_ignore_red_line_ratios(card_id: str) -> None:
    card = BY_ID[card_id]
    ratios = dataclasses.replace(perfect_ratios(card), **BREACHED_RED_LINES)
    assert card.grade(facts(card, ratios, best_answers(card))).grade == Grade.A


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_every_knock_out_that_applies_is_listed_in_order_before_other_reasons(card_id: str) -> None:
    card = BY_ID[card_id]
    decision = card.grade(facts(card, answers={}, non_performing=True, days_past_due=5, audit_opinion="adverse"))
    expected = ("Non-performing loan: grade at most D", OVERDUE_CAP, "Auditor's opinion is adverse: grade at most C")
    assert decision.grade == Grade.D
    assert decision.knock_outs == expected
    assert decision.reasons[:3] == expected


@pytest.mark.parametrize(("card_id", "ratios", "answers", "score", "grade"),
                         [c for c in CUSTOMERS if c.values[4] == Grade.D])
def test_a_knock_out_that_does_not_lower_an_already_d_grade_is_still_listed(
    card_id: str, ratios: Ratios, answers: dict[str, str], score: Decimal, grade: Grade,
) -> None:
    card = BY_ID[card_id]
    decision = card.grade(facts(card, ratios, answers, days_past_due=30, non_performing=True))
    assert (decision.score, decision.grade) == (score, Grade.D)
    assert decision.knock_outs[:2] == ("Non-performing loan: grade at most D", OVERDUE_CAP)
    assert decision.reasons[0] == "Non-performing loan: grade at most D"
    if card_id == "real-estate":  # the weak developer crosses all three red lines, too
        assert decision.knock_outs[2:] == ("All three red lines crossed: grade at most C",)


# --------------------------------------------------------------------------- missing data


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_without_statements_every_financial_factor_is_missing_and_a_grade_is_still_given(card_id: str) -> None:
    card = BY_ID[card_id]
    f = dataclasses.replace(facts(card, answers=best_answers(card)), latest=None, ratios=Ratios.derive(None))
    decision = card.grade(f)
    expected = Decimal(0)
    for factor in card.factors:
        result = factor_result(decision, factor.code)
        assert (result.band, result.value, result.points) == (
            factor.missing.label, None, points(factor.weight, factor.missing.share))
        assert result.reason.endswith("not available")
        expected += points(factor.weight, factor.missing.share)
    assert decision.score == expected + 30  # the qualitative answers were all best
    assert decision.grade in set(Grade)
    assert decision.knock_outs == ()  # no statement: no audit opinion to knock out on


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_unanswered_questions_score_zero_and_say_not_answered(card_id: str) -> None:
    card = BY_ID[card_id]
    decision = card.grade(facts(card, perfect_ratios(card), answers={}))
    assert decision.score == Decimal("70.00")
    for scored in card.scored_questions:
        result = factor_result(decision, scored.question.id.upper())
        assert (result.band, result.value, result.points, result.max_points) == (
            "missing", None, Decimal("0.00"), scored.weight)
        assert result.reason == f"{scored.question.text}: not answered"


@pytest.mark.parametrize("card_id", CARD_IDS)
def test_an_unknown_answer_id_counts_as_missing(card_id: str) -> None:
    card = BY_ID[card_id]
    question = card.scored_questions[0].question
    answers = {**best_answers(card), question.id: "no-such-answer"}
    decision = card.grade(facts(card, perfect_ratios(card), answers))
    result = factor_result(decision, question.id.upper())
    assert (result.band, result.value, result.points) == ("missing", None, Decimal("0.00"))
    assert result.reason == f"{question.text}: not answered"
    assert decision.score == Decimal(100) - card.scored_questions[0].weight


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(("card_id", "ratios", "answers", "score", "grade"), CUSTOMERS)
def test_grading_the_same_facts_twice_gives_equal_decisions_with_a_two_place_score(
    card_id: str, ratios: Ratios, answers: dict[str, str], score: Decimal, grade: Grade,
) -> None:
    card = BY_ID[card_id]
    first, second = card.grade(facts(card, ratios, answers)), card.grade(facts(card, ratios, answers))
    assert first == second
    assert Decimal(0) <= first.score <= Decimal(100)
    assert first.score.as_tuple().exponent == -2
    assert sum(r.max_points for r in first.factors) == 100
    assert len(first.reasons) <= 3


# --------------------------------------------------------------------------- card validation

GENERIC = (CARDS / "generic.toml").read_text(encoding="utf-8")


def _broken_card(tmp_path: Path, old: str, new: str) -> Path:
    assert GENERIC.count(old) == 1, f"generic.toml no longer contains {old!r} exactly once"
    path = tmp_path / "broken.toml"
    path.write_text(GENERIC.replace(old, new), encoding="utf-8")
    return path


def test_an_unaltered_copy_of_generic_loads(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(GENERIC, encoding="utf-8")
    assert load_card(path).id == "generic"


@pytest.mark.parametrize(("old", "new", "field"), [
    pytest.param('text = "Position in its market"\nweight = 15', 'text = "Position in its market"\nweight = 14',
                 "weights sum to 99", id="weights-sum-to-99"),
    pytest.param('{ label = "strong", limit = "0.50", share = "1" },\n  { label = "good", limit = "0.60"',
                 '{ label = "strong", limit = "0.60", share = "1" },\n  { label = "good", limit = "0.50"',
                 "factors[0].bands: limits must go from best to worst", id="band-out-of-order"),
    pytest.param('metric = "debt_to_assets"', 'metric = "debt_to_equity"',
                 "factors[0].metric: unknown metric 'debt_to_equity'", id="unknown-metric"),
    pytest.param('{ label = "strong", limit = "0.50", share = "1" }',
                 '{ label = "strong", limit = "0.50", share = "1.5" }',
                 "factors[0].bands[0].share", id="share-above-1"),
    pytest.param('{ label = "fair", limit = "0.70", share = "0.5" }', '{ label = "fair", limit = "0.70", share = 0.5 }',
                 "factors[0].bands[2].share: write numbers as strings", id="share-as-toml-float"),
    pytest.param('{ label = "strong", limit = "0.50", share = "1" }', '{ label = "strong", limit = 0.50, share = "1" }',
                 "factors[0].bands[0].limit: write numbers as strings", id="limit-as-toml-float"),
    pytest.param("A = 85\nB = 70", "A = 85\nB = 90", "cutoffs must fall", id="cutoffs-not-falling"),
    pytest.param('metric = "debt_to_assets"', 'metric = "red_lines_breached"', "need a [red_lines] table",
                 id="red-lines-factor-without-table"),
])
def test_a_broken_card_is_refused_naming_the_file_and_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    with pytest.raises(CardError) as raised:
        load_card(_broken_card(tmp_path, old, new))
    assert str(raised.value).startswith("broken.toml: ")
    assert field in str(raised.value)


# ---------------------------------------------------------- the engine's options for plugin cards

KNOCK_OUTS = "adverse_audit = \"C\"\noverdue_lookback_days = 365\n"


def _card_with(tmp_path: Path, old: str, new: str) -> Scorecard:
    return load_card(_broken_card(tmp_path, old, new))


def test_an_answer_knock_out_caps_the_grade_and_is_named_like_any_other(tmp_path: Path) -> None:
    card = _card_with(tmp_path, KNOCK_OUTS, KNOCK_OUTS + (
        '\n[[knock_outs.answers]]\nquestion = "management_quality"\nanswer = "weak"\ncap = "C"\n'))
    weak = perfect_facts(card)
    weak = dataclasses.replace(weak, answers={**weak.answers, "management_quality": "weak"})
    decision = card.grade(weak)
    assert decision.grade is Grade.C
    assert decision.knock_outs == ("Inexperienced or unstable: grade at most C",)
    assert card.grade(perfect_facts(card)).grade is Grade.A


def test_a_card_chooses_which_audit_opinions_cap_the_grade(tmp_path: Path) -> None:
    card = _card_with(tmp_path, KNOCK_OUTS, KNOCK_OUTS + 'adverse_opinions = ["adverse", "disclaimer", "qualified"]\n')
    assert card.grade(perfect_facts(card, audit_opinion="qualified")).grade is Grade.C
    default = _card_with(tmp_path, KNOCK_OUTS, KNOCK_OUTS)
    assert default.grade(perfect_facts(default, audit_opinion="qualified")).grade is Grade.A


def test_a_question_the_card_marks_optional_is_not_required(tmp_path: Path) -> None:
    card = _card_with(tmp_path, 'id = "management_quality"\n', 'id = "management_quality"\nrequired = false\n')
    required = {q.id: q.required for q in card.questions}
    assert required["management_quality"] is False and required["market_position"] is True


@pytest.mark.parametrize(("addition", "field"), [
    pytest.param('\n[[knock_outs.answers]]\nquestion = "management_quality"\nanswer = "awful"\ncap = "C"\n',
                 "knock_outs.answers[0]: no question 'management_quality' with an answer 'awful'", id="unknown-answer"),
    pytest.param('\n[[knock_outs.answers]]\nquestion = "management_quality"\nanswer = "weak"\ncap = "E"\n',
                 "knock_outs.answers[0].cap: 'E' is not a grade", id="cap-not-a-grade"),
    pytest.param('adverse_opinions = ["terrible"]\n', "knock_outs.adverse_opinions: a list of audit opinions",
                 id="unknown-opinion"),
])
def test_a_broken_knock_out_is_refused_naming_the_field(tmp_path: Path, addition: str, field: str) -> None:
    with pytest.raises(CardError, match=field.replace("[", r"\[").replace("]", r"\]")):
        _card_with(tmp_path, KNOCK_OUTS, KNOCK_OUTS + addition)


def test_a_customer_without_a_statement_is_not_capped_as_unaudited(tmp_path: Path) -> None:
    card = _card_with(tmp_path, KNOCK_OUTS, KNOCK_OUTS + 'adverse_opinions = ["adverse", "disclaimer", "unaudited"]\n')
    without = dataclasses.replace(facts(card, answers=best_answers(card)), latest=None, ratios=Ratios.derive(None))
    assert not any("opinion" in text for text in card.grade(without).knock_outs)
    assert card.grade(perfect_facts(card, audit_opinion="unaudited")).grade is Grade.C
