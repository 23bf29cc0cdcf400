"""The transport & logistics plugin keeps creditcare's contract and grades as its card says.

Run in the environment creditcare is installed in (it provides ``plugins.spec`` and
``plugins.testing``): ``python -m pytest examples/grading-plugin/tests``.
"""

from __future__ import annotations

import ast
import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from plugins.scorecard import CardError, parse_card
from plugins.spec import CreditHistoryEvent, Grade
from plugins.testing import check_plugin, sample_facts, weak_facts

import creditcare_transport
import creditcare_transport.plugin

BEST = {"fleet_age": "modern", "contract_backlog": "high", "customer_concentration": "diversified",
        "safety_record": "clean"}
MIDDLING = {"fleet_age": "mid_life", "contract_backlog": "medium", "customer_concentration": "moderate",
            "safety_record": "minor"}
# A leveraged mid-sized haulier: 62% liabilities, 3.5x interest cover, 1.3x current ratio,
# 0.8x asset turnover, 4% net margin, operating cash flow 15% of liabilities ("good" everywhere).
HAULIER = dict(total_assets=100_000_000, total_liabilities=62_000_000, equity=38_000_000, revenue=80_000_000,
               net_profit=3_200_000, current_assets=26_000_000, current_liabilities=20_000_000,
               operating_profit=7_000_000, interest_expense=2_000_000, operating_cash_flow=9_300_000)
# A stretched one: 72% liabilities, 2.2x cover, 1.05x current ratio, 0.5x turnover, 2% margin,
# cash flow 6% of liabilities ("fair" everywhere).
STRETCHED = dict(total_assets=100_000_000, total_liabilities=72_000_000, equity=28_000_000, revenue=50_000_000,
                 net_profit=1_000_000, current_assets=21_000_000, current_liabilities=20_000_000,
                 operating_profit=4_400_000, interest_expense=2_000_000, operating_cash_flow=4_320_000)


@pytest.fixture(scope="module")
def card():
    [strategy] = check_plugin(creditcare_transport.plugin)
    return strategy


def test_the_plugin_keeps_the_creditcare_contract(card):
    assert (card.id, card.version, card.industries) == ("transport-logistics", "1.0.0", ("G",))
    assert {q.id for q in card.questions} == set(BEST)


@pytest.mark.parametrize(
    ("case", "facts", "grade"),
    [
        ("healthy, best answers", lambda: sample_facts(industry_code="G54", answers=BEST), Grade.A),
        ("leveraged haulier, middling answers", lambda: sample_facts(industry_code="G54", answers=MIDDLING, **HAULIER), Grade.B),
        ("stretched haulier, middling answers", lambda: sample_facts(industry_code="G54", answers=MIDDLING, **STRETCHED), Grade.C),
        ("weak figures, best answers", lambda: weak_facts(industry_code="G54", answers=BEST), Grade.D),
        # knock-outs, each on a customer who would otherwise be an A
        ("non-performing loan", lambda: sample_facts(industry_code="G54", answers=BEST, non_performing=True), Grade.D),
        ("30 days past due", lambda: sample_facts(industry_code="G54", answers=BEST, days_past_due=30), Grade.C),
        ("overdue six months ago", lambda: sample_facts(
            industry_code="G54", answers=BEST,
            credit_history=[CreditHistoryEvent(date(2025, 9, 30), "overdue", days_past_due=45)]), Grade.C),
        ("adverse audit opinion", lambda: sample_facts(industry_code="G54", answers=BEST, audit_opinion="adverse"), Grade.C),
        ("auditor's disclaimer", lambda: sample_facts(industry_code="G54", answers=BEST, audit_opinion="disclaimer"), Grade.C),
        ("serious safety record", lambda: sample_facts(
            industry_code="G54", answers=BEST | {"safety_record": "serious"}), Grade.C),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_grades(card, case, facts, grade):
    decision = card.grade(facts())
    assert decision.grade is grade, f"{case}: {decision.grade} (score {decision.score}): {decision.reasons}"


def test_an_overdue_more_than_a_year_ago_no_longer_caps(card):
    old = CreditHistoryEvent(date(2024, 1, 31), "overdue", days_past_due=10)
    assert card.grade(sample_facts(answers=BEST, credit_history=[old])).grade is Grade.A


def test_knock_outs_are_named_in_the_decision(card):
    decision = card.grade(sample_facts(answers=BEST, non_performing=True, audit_opinion="adverse"))
    assert decision.score == Decimal("100.00")
    assert len(decision.knock_outs) == 2
    assert decision.reasons[:2] == decision.knock_outs


def test_the_card_ships_as_package_data_and_a_broken_card_is_refused():
    text = resources.files("creditcare_transport").joinpath("transport.toml").read_text("utf-8")
    assert parse_card(text, "transport.toml").id == "transport-logistics"
    first_weight = tomllib.loads(text)["factors"][0]["weight"]
    broken = text.replace(f'weight = "{first_weight}"', f'weight = "{int(first_weight) + 1}"', 1)
    with pytest.raises(CardError, match="weights sum to 101"):
        parse_card(broken, "transport.toml")


def test_an_answer_naming_no_question_of_the_card_is_refused_as_a_knock_out():
    text = resources.files("creditcare_transport").joinpath("transport.toml").read_text("utf-8")
    with pytest.raises(CardError, match="no question 'safety_record' with an answer 'fatal'"):
        parse_card(text.replace('answer = "serious"', 'answer = "fatal"'), "transport.toml")


def test_the_plugin_imports_nothing_of_creditcare_but_the_plugin_api():
    package = Path(creditcare_transport.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top not in ("api", "schema"), f"{source.name} imports {name}"
                assert top != "plugins" or name in ("plugins.spec", "plugins.scorecard"), (
                    f"{source.name} imports {name}; only plugins.spec and plugins.scorecard")


def test_the_real_service_grades_a_haulier_with_this_plugin():
    """The service itself, in this process, with this plugin registered by its import reference
    (as installed, it is also found by its entry point: the reference wins): a customer in section
    G, a statement, an assessment through GraphQL."""
    import asyncio

    from api.testing import running_service

    async def grade() -> dict:
        async with running_service("transport-scorecard=creditcare_transport.plugin") as service:
            customer = await service.customer(industry_code="G54", name="Ningbo Coastal Haulage Co., Ltd.")
            await service.statement(customer, totalAssets="100000000.00", totalLiabilities="62000000.00",
                                    equity="38000000.00", revenue="80000000.00", netProfit="3200000.00")
            return await service.assess(customer, BEST)

    assessment = asyncio.run(grade())
    assert (assessment["strategyId"], assessment["pluginName"]) == ("transport-logistics", "transport-scorecard")
    assert assessment["grade"] in ("A", "B", "C", "D") and assessment["answers"] == BEST
    assert {factor["code"] for factor in assessment["factors"]} >= {"LEVERAGE", "COVERAGE"}
