"""The plugin author's contract check (plugins/testing.py) and how PluginHost combines plugins.

The built-in scorecards must pass the same check an external plugin's tests run; each kind of
broken strategy must fail it with a message saying what is wrong; and the host must refuse an
ambiguous industry mapping unless a preference settles it, honour blocked plugins, and let the
longest claimed prefix win. Hosts here read no entry points, so what happens to be installed in
the environment does not matter.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import itertools
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import plugins.builtin
import plugins.testing
from plugins.manager import PluginConfigurationError, PluginHost, builtin_plugins
from plugins.spec import Answer, Decision, FactorResult, Facts, Grade, Question, StatementFigures, hookimpl
from plugins.testing import check_plugin, check_strategy, empty_facts, sample_facts, weak_facts

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "grading-plugin"


# ------------------------------------------------------------------------------- the helpers


def test_sample_facts_are_healthy_decimal_figures_with_derived_ratios():
    facts = sample_facts()
    assert isinstance(facts, Facts) and facts.latest is not None and facts.previous is not None
    for field in dataclasses.fields(StatementFigures):
        value = getattr(facts.latest, field.name)
        if field.name not in ("period_end", "currency", "audit_opinion", "employees", "tax_credit_rating"):
            assert isinstance(value, Decimal), field.name
    assert facts.ratios.debt_to_assets == Decimal("0.4000")
    assert facts.latest.audit_opinion == "unqualified"
    assert (facts.days_past_due, facts.non_performing, dict(facts.answers)) == (0, False, {})


def test_overrides_replace_facts_or_figures_and_rederive_the_ratios():
    facts = sample_facts(industry_code="G54", total_liabilities=90_000_000, answers={"q": "y"})
    assert facts.industry_code == "G54" and facts.answers == {"q": "y"}
    assert facts.latest.total_liabilities == Decimal(90_000_000)
    assert facts.ratios.debt_to_assets == Decimal("0.9000")
    with pytest.raises(TypeError, match="unknown fact or statement figure: leverage"):
        sample_facts(leverage=1)
    with pytest.raises(TypeError, match="no latest statement"):
        empty_facts(revenue=1)


def test_weak_and_empty_facts():
    weak = weak_facts()
    assert weak.ratios.debt_to_assets > Decimal("0.9") and weak.ratios.net_margin < 0
    assert (weak.non_performing, weak.days_past_due, weak.latest.audit_opinion) == (False, 0, "qualified")
    empty = empty_facts()
    assert empty.latest is None and empty.previous is None
    assert all(v is None for v in dataclasses.asdict(empty.ratios).values())


def test_the_helpers_import_nothing_of_creditcare_but_plugins_spec():
    tree = ast.parse(Path(plugins.testing.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    ours = {m for m in imported if m.split(".")[0] in ("api", "schema", "plugins")}
    assert ours == {"plugins.spec"}


# ------------------------------------------------------------------------------ the built-ins


def test_the_builtin_strategies_pass_the_contract_check():
    strategies = check_plugin(plugins.builtin)
    assert "generic" in {s.id for s in strategies}
    assert any(s.industries == ("*",) for s in strategies)


# ------------------------------------------------------------------- a good and broken cards

YES_NO = Question("collateral", "Is the loan secured?", (Answer("yes", "Yes"), Answer("no", "No")))


class GoodCard:
    """A minimal strategy that keeps the contract; the broken ones below change one thing each."""

    id = "fake-good"
    version = "1"
    industries: tuple[str, ...] = ("G",)
    questions: tuple[Question, ...] = (YES_NO,)

    def score(self, facts: Facts) -> Decimal:
        leverage = facts.ratios.debt_to_assets
        points = Decimal(60) if leverage is not None and leverage < Decimal("0.6") else Decimal(10)
        return points + (Decimal(40) if facts.answers.get("collateral") == "yes" else Decimal(0))

    def knock_outs(self, facts: Facts) -> list[tuple[Grade, str]]:
        found = []
        if facts.non_performing:
            found.append((Grade.D, "non-performing"))
        if facts.days_past_due > 0:
            found.append((Grade.C, "overdue"))
        if facts.latest is not None and facts.latest.audit_opinion in ("adverse", "disclaimer"):
            found.append((Grade.C, "adverse audit"))
        return found

    def grade(self, facts: Facts) -> Decision:
        score = self.score(facts)
        grade = Grade.A if score >= 80 else Grade.B if score >= 60 else Grade.C if score >= 40 else Grade.D
        knocked = self.knock_outs(facts)
        for cap, _ in knocked:
            grade = grade.at_most(cap)
        factor = FactorResult("SCORE", "Score", str(score), "any", score, Decimal(100), f"score {score}")
        return Decision(grade, score, (factor,), tuple(t for _, t in knocked), tuple(t for _, t in knocked))


def _replacing(**changes):
    class Broken(GoodCard):
        def grade(self, facts):
            return dataclasses.replace(super().grade(facts), **changes)

    return Broken()


class ScoreOf101(GoodCard):
    def score(self, facts):
        return Decimal(101)


class FloatScore(GoodCard):
    def grade(self, facts):
        return dataclasses.replace(super().grade(facts), score=float(super().grade(facts).score))


class PointsOverMax(GoodCard):
    def grade(self, facts):
        decision = super().grade(facts)
        factor = dataclasses.replace(decision.factors[0], points=Decimal(5), max_points=Decimal(4))
        return dataclasses.replace(decision, factors=(factor,))


class NonDeterministic(GoodCard):
    def __init__(self):
        self.calls = itertools.count()

    def score(self, facts):
        return Decimal(next(self.calls) % 100)


def _without(knock_out):
    class Missing(GoodCard):
        def knock_outs(self, facts):
            return [k for k in super().knock_outs(facts) if k[1] != knock_out]

    return Missing()


class Raising(GoodCard):
    def score(self, facts):
        return facts.ratios.debt_to_assets / 0  # fails on every statement


def _with(**attributes):
    return type("Broken", (GoodCard,), attributes)()


class NoGrade:
    id, version, industries, questions = "no-grade", "1", ("G",), ()


BROKEN = [
    ("score of 101", ScoreOf101(), r"Decision.score must be between 0 and 100, not 101"),
    ("float score", FloatScore(), r"Decision.score must be a finite Decimal"),
    ("grade E", _replacing(grade="E"), r"Decision.grade must be a plugins.spec.Grade .* not 'E'"),
    ("grade as a plain string", _replacing(grade="A"), r"Decision.grade must be a plugins.spec.Grade .* not 'A'"),
    ("reasons not strings", _replacing(reasons=(1,)), r"Decision.reasons must be a tuple of str"),
    ("points over max", PointsOverMax(), r"factor 'SCORE': points 5 not between 0 and max_points 4"),
    ("not a Decision", _with(grade=lambda self, facts: "A"), r"grade\(\) must return a plugins.spec.Decision"),
    ("non-deterministic", NonDeterministic(), r"grade\(\) is not deterministic"),
    ("no non-performing knock-out", _without("non-performing"),
     r"knock-out missing: a non-performing loan \(non_performing=True\) must give grade D, got [ABC]"),
    ("no overdue knock-out", _without("overdue"), r"knock-out missing: 30 days past due .* grade C or worse, got [AB]"),
    ("no adverse-audit knock-out", _without("adverse audit"), r"knock-out missing: an adverse audit opinion"),
    ("empty industries", _with(industries=()), r"industries must be a non-empty tuple"),
    ("industries as a list", _with(industries=["G"]), r"industries must be a non-empty tuple"),
    ("lower-case industry", _with(industries=("g54",)), r"industry 'g54' is neither '\*' nor a GB/T 4754 prefix"),
    ("section beyond T", _with(industries=("Z",)), r"industry 'Z' is neither"),
    ("industry listed twice", _with(industries=("G", "G")), r"industries lists 'G' more than once"),
    ("duplicate question ids", _with(questions=(YES_NO, YES_NO)), r"question id 'collateral' is used more than once"),
    ("question without answers", _with(questions=(Question("q", "?", ()),)), r"question 'q' has no answers"),
    ("duplicate answer ids", _with(questions=(Question("q", "?", (Answer("y", "Y"), Answer("y", "Yes"))),)),
     r"question 'q' uses answer id 'y' more than once"),
    ("question not a Question", _with(questions=("collateral",)), r"questions must be plugins.spec.Question"),
    ("empty id", _with(id=""), r"id must be a non-empty str"),
    ("version not a str", _with(version=1), r"version must be a non-empty str, not 1"),
    ("raising inside grade", Raising(),
     r"grade\(\) raised (ZeroDivisionError|DivisionByZero|InvalidOperation|TypeError)"),
    ("no grade method", NoGrade(), r"is not a plugins.spec.GradingStrategy \(missing: grade\)"),
]


def test_the_good_card_passes():
    check_strategy(GoodCard())


@pytest.mark.parametrize(("strategy", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_strategy_fails_with_a_clear_message(strategy, message):
    with pytest.raises(AssertionError, match=message) as failure:
        check_strategy(strategy)
    assert str(failure.value).startswith("strategy "), "the message names the strategy"


def test_a_raising_strategy_names_the_facts_and_keeps_the_cause():
    with pytest.raises(AssertionError, match=r"on sample facts$") as failure:
        check_strategy(Raising())
    assert isinstance(failure.value.__cause__, ArithmeticError)


def test_a_fallback_strategy_is_checked_too():
    check_strategy(_with(id="fake-fallback", industries=("*",)))


# ------------------------------------------------------------------------------ check_plugin


class FakePlugin:
    """A plugin object (pluggy registers objects as well as modules)."""

    def __init__(self, *strategies):
        self.strategies = strategies

    @hookimpl
    def creditcare_register_grading_strategies(self):
        return list(self.strategies)


def test_check_plugin_returns_the_strategies():
    good = GoodCard()
    assert check_plugin(FakePlugin(good)) == [good]


class Unmarked:
    def creditcare_register_grading_strategies(self):
        return [GoodCard()]


class AlsoUnmarked(FakePlugin):
    def creditcare_grade_changed(self, customer_ref, previous_grade, new_grade, strategy_id, assessed_at):
        pass


class ReturnsNone(FakePlugin):
    @hookimpl
    def creditcare_register_grading_strategies(self):
        return None


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (object(), r"has no creditcare_register_grading_strategies\(\) hook"),
        (Unmarked(), r"creditcare_register_grading_strategies\(\) is not marked with @plugins.spec.hookimpl"),
        (AlsoUnmarked(GoodCard()), r"creditcare_grade_changed\(\) looks like a hook but is not marked"),
        (FakePlugin(), r"returned no strategies"),
        (ReturnsNone(), r"must return a list of strategies, not None"),
        (FakePlugin(GoodCard(), GoodCard()), r"strategy id 'fake-good' is used by more than one strategy"),
        (FakePlugin(GoodCard(), ScoreOf101()), r"strategy 'fake-good': Decision.score must be between 0 and 100"),
    ],
    ids=["no hook", "unmarked hook", "unmarked other hook", "no strategies", "returns None", "duplicate ids",
         "a broken strategy"],
)
def test_check_plugin_fails_with_a_clear_message(plugin, message):
    with pytest.raises(AssertionError, match=message):
        check_plugin(plugin)


# ------------------------------------------------------------------------------ the host


def _card(id, *industries):
    return _with(id=id, industries=industries)


def _host(*plugins, **options):
    return PluginHost(extra=[*builtin_plugins(), *plugins], entry_points=False, **options)


def test_two_plugins_claiming_one_prefix_stop_the_host_naming_both():
    with pytest.raises(PluginConfigurationError) as failure:
        _host(("fake-a", FakePlugin(_card("haulage-a", "G"))), ("fake-b", FakePlugin(_card("haulage-b", "G"))))
    message = str(failure.value)
    assert "'G'" in message and "haulage-a" in message and "haulage-b" in message
    assert "fake-a" in message and "fake-b" in message
    assert "CREDITCARE_GRADING_PREFERENCES" in message


def test_a_preference_settles_the_conflict():
    plugins_ = [("fake-a", FakePlugin(_card("haulage-a", "G"))), ("fake-b", FakePlugin(_card("haulage-b", "G")))]
    host = _host(*plugins_, preferences={"G": "haulage-b"})
    assert host.strategy_for("G54").id == "haulage-b"
    assert host.strategy_for("C34").id != "haulage-b"


def test_a_blocked_plugin_contributes_no_strategies():
    plugins_ = [("fake-a", FakePlugin(_card("haulage-a", "G"))), ("fake-b", FakePlugin(_card("haulage-b", "G")))]
    host = _host(*plugins_, blocked=["fake-a"])
    assert host.strategy_for("G54").id == "haulage-b"
    assert host.strategy("haulage-a") is None
    assert "fake-a" not in {p.name for p in host.plugins}


def test_the_longest_claimed_prefix_wins():
    host = _host(("fake-g", FakePlugin(_card("transport", "G"))), ("fake-g54", FakePlugin(_card("road", "G54"))))
    assert host.strategy_for("G543").id == "road"
    assert host.strategy_for("G54").id == "road"
    assert host.strategy_for("G55").id == "transport"
    assert host.strategy_for("Z99").id == "generic"


def test_without_plugins_the_builtin_fallback_grades_an_unclaimed_industry():
    assert _host().strategy_for("G54").id == "generic"


# ------------------------------------------------------------------------- the example plugin


@pytest.fixture
def example_plugin(monkeypatch):
    """examples/grading-plugin's plugin module, imported from its source tree (no install needed)."""
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    for name in [m for m in sys.modules if m == "creditcare_transport" or m.startswith("creditcare_transport.")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module("creditcare_transport.plugin")


def test_the_example_plugin_passes_the_contract_check(example_plugin):
    [card] = check_plugin(example_plugin)
    assert (card.id, card.version, card.industries) == ("transport-logistics", "1.0.0", ("G",))


def test_the_example_plugin_grades_transport_until_it_is_blocked(example_plugin):
    plugin = ("transport-scorecard", example_plugin)
    assert _host(plugin).strategy_for("G54").id == "transport-logistics"
    assert _host(plugin).strategy_for("C34").id != "transport-logistics"
    assert _host(plugin, blocked=["transport-scorecard"]).strategy_for("G54").id == "generic"
