"""Test helpers for plugin authors: sample facts, and a contract check for grading strategies.

Call these from your plugin's own pytest suite; they need nothing but this package's
``plugins.spec`` (which the creditcare host provides), the standard library and pluggy::

    from plugins.testing import check_plugin, sample_facts, weak_facts
    import my_package.plugin

    def test_my_plugin_keeps_the_contract():
        [card] = check_plugin(my_package.plugin)

    def test_a_healthy_haulier_gets_a_good_grade():
        [card] = check_plugin(my_package.plugin)
        decision = card.grade(sample_facts(industry_code="G54", answers={"fleet_age": "modern"}))
        assert decision.grade in ("A", "B")

Every check raises ``AssertionError`` with a message naming the strategy and what is wrong, so a
failing test reads as a plain sentence. The checks are what creditcare relies on when it calls a
strategy; passing them does not mean the grades are sensible — test that with your own tables.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from plugins.spec import (
    MANDATORY_KNOCK_OUTS,
    PROJECT,
    CreditHistoryEvent,
    Decision,
    FactorResult,
    Facts,
    Grade,
    GradingStrategy,
    Question,
    Ratios,
    StatementFigures,
)

__all__ = [
    "HOOK",
    "KNOCK_OUTS",
    "check_plugin",
    "check_strategy",
    "empty_facts",
    "facts_with",
    "sample_facts",
    "weak_facts",
]

#: The hook a grading plugin implements.
HOOK = "creditcare_register_grading_strategies"
#: What pluggy sets on a function marked with ``plugins.spec.hookimpl``.
_IMPL_MARK = f"{PROJECT}_impl"
#: ``"*"`` (the fallback) or a GB/T 4754 section letter A–T, optionally followed by digits
#: (division, group, class: up to four digits).
_INDUSTRY = re.compile(r"\*|[A-T][0-9]{0,4}")
_GRADE_ORDER = "ABCD"
_AS_OF = date(2026, 3, 31)

_FACT_FIELDS = frozenset(f.name for f in dataclasses.fields(Facts))
_FIGURE_FIELDS = frozenset(f.name for f in dataclasses.fields(StatementFigures))
_INT_FIGURES = frozenset({"employees"})
_TEXT_FIGURES = frozenset({"period_end", "currency", "audit_opinion", "tax_credit_rating"})


# ----------------------------------------------------------------------------------- facts


def _figures(**values: Any) -> StatementFigures:
    return StatementFigures(**{k: _as_figure(k, v) for k, v in values.items()})


def _as_figure(name: str, value: Any) -> Any:
    """Figures are Decimal: accept ``int`` and ``str`` (and ``float`` via its text) for convenience."""
    if value is None or name in _TEXT_FIGURES or name in _INT_FIGURES:
        return value
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise TypeError(f"statement figure {name!r} must be a Decimal, int or str, not {value!r}")
    return Decimal(str(value))


_HEALTHY_LATEST = dict(
    period_end=date(2025, 12, 31), currency="CNY",
    total_assets=100_000_000, total_liabilities=40_000_000, equity=60_000_000,
    revenue=150_000_000, net_profit=15_000_000,
    current_assets=50_000_000, current_liabilities=20_000_000, cash=20_000_000,
    accounts_receivable=15_000_000, inventory=10_000_000,
    short_term_debt=5_000_000, long_term_debt=10_000_000, advances_from_customers=2_000_000,
    cost_of_sales=110_000_000, operating_profit=20_000_000, interest_expense=1_000_000,
    operating_cash_flow=18_000_000, employees=300, audit_opinion="unqualified",
    taxes_paid=4_500_000, tax_credit_rating="A",
)
_HEALTHY_PREVIOUS = dict(
    _HEALTHY_LATEST, period_end=date(2024, 12, 31), total_assets=92_000_000, total_liabilities=38_000_000,
    equity=54_000_000, revenue=135_000_000, net_profit=12_000_000, operating_profit=16_500_000,
    operating_cash_flow=15_000_000,
)
_WEAK_LATEST = dict(
    period_end=date(2025, 12, 31), currency="CNY",
    total_assets=100_000_000, total_liabilities=92_000_000, equity=8_000_000,
    revenue=40_000_000, net_profit=-6_000_000,
    current_assets=20_000_000, current_liabilities=35_000_000, cash=1_000_000,
    accounts_receivable=12_000_000, inventory=6_000_000,
    short_term_debt=30_000_000, long_term_debt=40_000_000, advances_from_customers=0,
    cost_of_sales=38_000_000, operating_profit=-3_000_000, interest_expense=5_000_000,
    operating_cash_flow=-4_000_000, employees=120, audit_opinion="qualified",
    taxes_paid=300_000, tax_credit_rating="C",
)
_WEAK_PREVIOUS = dict(
    _WEAK_LATEST, period_end=date(2024, 12, 31), total_liabilities=85_000_000, equity=15_000_000,
    revenue=55_000_000, net_profit=-2_000_000, operating_profit=1_000_000, operating_cash_flow=-1_000_000,
)


def facts_with(base: Facts, **overrides: Any) -> Facts:
    """``base`` with ``overrides`` applied, ratios re-derived from the (new) statements.

    A keyword naming a field of :class:`~plugins.spec.Facts` (``industry_code``, ``answers``,
    ``days_past_due``, ``non_performing``, ``latest`` …) replaces that field; a keyword naming a
    field of :class:`~plugins.spec.StatementFigures` (``total_liabilities``, ``audit_opinion`` …)
    replaces it in the latest statement (figures may be given as ``int`` or ``str``; they become
    ``Decimal``). Ratios are re-derived with ``Ratios.derive`` unless ``ratios`` is given.
    An unknown keyword raises ``TypeError``; so does a statement figure when ``base`` has none.
    """
    fact_changes = {k: v for k, v in overrides.items() if k in _FACT_FIELDS}
    figure_changes = {k: _as_figure(k, v) for k, v in overrides.items() if k in _FIGURE_FIELDS}
    unknown = sorted(set(overrides) - _FACT_FIELDS - _FIGURE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fact or statement figure: {', '.join(unknown)}")
    latest = fact_changes.get("latest", base.latest)
    if figure_changes:
        if latest is None:
            raise TypeError(f"no latest statement to change {', '.join(sorted(figure_changes))} in")
        latest = dataclasses.replace(latest, **figure_changes)
        fact_changes["latest"] = latest
    if "answers" in fact_changes:
        fact_changes["answers"] = dict(fact_changes["answers"])
    if "credit_history" in fact_changes:
        fact_changes["credit_history"] = tuple(fact_changes["credit_history"])
    if "ratios" not in fact_changes:
        fact_changes["ratios"] = Ratios.derive(latest, fact_changes.get("previous", base.previous))
    return dataclasses.replace(base, **fact_changes)


def sample_facts(**overrides: Any) -> Facts:
    """A plausible, healthy medium-sized company: low leverage, profitable, liquid, audited clean.

    Two annual statements (figures as ``Decimal``, in CNY), ratios derived with
    ``Ratios.derive``, no arrears, no credit events, no answers to qualitative questions.
    ``overrides`` work as in :func:`facts_with`, e.g.
    ``sample_facts(industry_code="G54", days_past_due=30, audit_opinion="adverse")``.
    """
    latest, previous = _figures(**_HEALTHY_LATEST), _figures(**_HEALTHY_PREVIOUS)
    base = Facts(
        as_of=_AS_OF, industry_code="C34", size="medium", latest=latest, previous=previous,
        ratios=Ratios.derive(latest, previous),
        credit_history=(CreditHistoryEvent(date(2024, 6, 30), "loan_repaid", amount=Decimal(5_000_000)),),
    )
    return facts_with(base, **overrides)


def weak_facts(**overrides: Any) -> Facts:
    """A struggling company: 92% liabilities to assets, losses, negative cash flow, short of cash.

    No knock-out applies (no arrears, not non-performing, a qualified — not adverse — audit), so
    a strategy grades it on its figures alone. ``overrides`` work as in :func:`facts_with`.
    """
    latest, previous = _figures(**_WEAK_LATEST), _figures(**_WEAK_PREVIOUS)
    base = Facts(
        as_of=_AS_OF, industry_code="C34", size="small", latest=latest, previous=previous,
        ratios=Ratios.derive(latest, previous),
    )
    return facts_with(base, **overrides)


def empty_facts(**overrides: Any) -> Facts:
    """A customer with no financial statements at all: every ratio is ``None``.

    Strategies must still grade it (typically poorly); ``overrides`` work as in :func:`facts_with`
    for the fields of ``Facts``.
    """
    base = Facts(as_of=_AS_OF, industry_code="C34", size=None, latest=None, previous=None, ratios=Ratios())
    return facts_with(base, **overrides)


# ------------------------------------------------------------------------------ the contract


def _fail(strategy: object, message: str) -> AssertionError:
    name = getattr(strategy, "id", None)
    label = f"strategy {name!r}" if isinstance(name, str) and name else f"strategy {strategy!r}"
    return AssertionError(f"{label}: {message}")


def _check_identity(strategy: object) -> None:
    if not isinstance(strategy, GradingStrategy):
        missing = [a for a in ("id", "version", "industries", "questions", "grade") if not hasattr(strategy, a)]
        raise _fail(strategy, f"is not a plugins.spec.GradingStrategy (missing: {', '.join(missing) or '?'})")
    for attribute in ("id", "version"):
        value = getattr(strategy, attribute)
        if not isinstance(value, str) or not value.strip():
            raise _fail(strategy, f"{attribute} must be a non-empty str, not {value!r}")
    if not callable(strategy.grade):
        raise _fail(strategy, "grade must be a method grade(facts) -> Decision")


def _check_industries(strategy: GradingStrategy) -> None:
    industries = strategy.industries
    if not isinstance(industries, tuple) or not industries:
        raise _fail(strategy, f"industries must be a non-empty tuple of GB/T 4754 prefixes or '*', not {industries!r}")
    for prefix in industries:
        if not isinstance(prefix, str) or not _INDUSTRY.fullmatch(prefix):
            raise _fail(
                strategy,
                f"industry {prefix!r} is neither '*' nor a GB/T 4754 prefix "
                "(a section letter A–T, optionally followed by digits, e.g. 'G' or 'G54')",
            )
    duplicates = sorted({p for p in industries if industries.count(p) > 1})
    if duplicates:
        raise _fail(strategy, f"industries lists {', '.join(map(repr, duplicates))} more than once")


def _check_questions(strategy: GradingStrategy) -> None:
    questions = strategy.questions
    if not isinstance(questions, tuple):
        raise _fail(strategy, f"questions must be a tuple of plugins.spec.Question, not {type(questions).__name__}")
    seen: set[str] = set()
    for question in questions:
        if not isinstance(question, Question):
            raise _fail(strategy, f"questions must be plugins.spec.Question, not {question!r}")
        if not isinstance(question.id, str) or not question.id:
            raise _fail(strategy, f"a question has an empty or non-str id: {question!r}")
        if question.id in seen:
            raise _fail(strategy, f"question id {question.id!r} is used more than once")
        seen.add(question.id)
        if not isinstance(question.answers, tuple) or not question.answers:
            raise _fail(strategy, f"question {question.id!r} has no answers (it needs at least one)")
        answer_ids = [getattr(a, "id", None) for a in question.answers]
        if any(not isinstance(a, str) or not a for a in answer_ids):
            raise _fail(strategy, f"question {question.id!r} has an answer without a str id: {question.answers!r}")
        str_ids = [a for a in answer_ids if isinstance(a, str)]  # all of them (checked above), typed as such
        repeated = sorted({a for a in str_ids if str_ids.count(a) > 1})
        if repeated:
            raise _fail(strategy, f"question {question.id!r} uses answer id {repeated[0]!r} more than once")


def _grade(strategy: GradingStrategy, facts: Facts, label: str) -> Decision:
    try:
        return strategy.grade(facts)
    except Exception as exc:
        raise _fail(strategy, f"grade() raised {type(exc).__name__}: {exc} on {label}") from exc


def _check_decision(strategy: GradingStrategy, decision: object, label: str) -> Decision:
    def fail(message: str) -> AssertionError:
        return _fail(strategy, f"{message} (on {label})")

    if not isinstance(decision, Decision):
        raise fail(f"grade() must return a plugins.spec.Decision, not {decision!r}")
    if not isinstance(decision.grade, Grade):
        raise fail(f"Decision.grade must be a plugins.spec.Grade (A, B, C or D), not {decision.grade!r}")
    score = decision.score
    if not isinstance(score, Decimal) or not score.is_finite():
        raise fail(f"Decision.score must be a finite Decimal, not {score!r}")
    if not Decimal(0) <= score <= Decimal(100):
        raise fail(f"Decision.score must be between 0 and 100, not {score}")
    if not isinstance(decision.factors, tuple):
        raise fail(f"Decision.factors must be a tuple of FactorResult, not {type(decision.factors).__name__}")
    for factor in decision.factors:
        if not isinstance(factor, FactorResult):
            raise fail(f"Decision.factors must hold plugins.spec.FactorResult, not {factor!r}")
        for attribute in ("points", "max_points"):
            value = getattr(factor, attribute)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise fail(f"factor {factor.code!r}: {attribute} must be a finite Decimal, not {value!r}")
        if not Decimal(0) <= factor.points <= factor.max_points:
            raise fail(
                f"factor {factor.code!r}: points {factor.points} not between 0 and max_points {factor.max_points}"
            )
        for attribute in ("code", "name", "band", "reason"):
            if not isinstance(getattr(factor, attribute), str):
                raise fail(f"factor {factor.code!r}: {attribute} must be a str, not {getattr(factor, attribute)!r}")
        if factor.value is not None and not isinstance(factor.value, str):
            raise fail(f"factor {factor.code!r}: value must be a str or None, not {factor.value!r}")
    for attribute in ("reasons", "knock_outs"):
        texts = getattr(decision, attribute)
        if not isinstance(texts, tuple) or not all(isinstance(t, str) for t in texts):
            raise fail(f"Decision.{attribute} must be a tuple of str, not {texts!r}")
    return decision


def _graded(strategy: GradingStrategy, facts: Facts, label: str) -> Decision:
    """Grade ``facts``, check the decision, and check that grading again gives the same one."""
    decision = _check_decision(strategy, _grade(strategy, facts, label), label)
    for again in (facts, dataclasses.replace(facts, answers=dict(facts.answers))):
        repeat = _grade(strategy, again, label)
        if repeat != decision:
            raise _fail(
                strategy,
                f"grade() is not deterministic: the same facts gave {_summary(decision)} and then "
                f"{_summary(repeat)} (on {label}); a strategy must be pure — no clock, randomness or state",
            )
    return decision


def _summary(decision: object) -> str:
    if isinstance(decision, Decision):
        return f"grade {decision.grade} score {decision.score}"
    return repr(decision)


def _industry_code(strategy: GradingStrategy) -> str:
    return next((p for p in strategy.industries if p != "*"), "C34")


def _answer_sets(strategy: GradingStrategy) -> list[tuple[str, dict[str, str]]]:
    """Every allowed answer on its own, then every question answered with its first / last answer."""
    sets = [
        (f"{q.id}={a.id}", {q.id: a.id}) for q in strategy.questions for a in q.answers
    ]
    if strategy.questions:
        sets.append(("every first answer", {q.id: q.answers[0].id for q in strategy.questions}))
        sets.append(("every last answer", {q.id: q.answers[-1].id for q in strategy.questions}))
    return sets


def _worse_than(grade: Grade, cap: Grade) -> bool:
    return _GRADE_ORDER.index(grade.value) > _GRADE_ORDER.index(cap.value)


#: The knock-outs every strategy applies: (what, overrides, the best grade allowed).
_KNOCK_OUT_FACTS: dict[str, tuple[str, Mapping[str, Any]]] = {
    "NON_PERFORMING": ("a non-performing loan (non_performing=True)", {"non_performing": True}),
    "PAST_DUE_30": ("30 days past due (days_past_due=30)", {"days_past_due": 30}),
    "ADVERSE_AUDIT": ("an adverse audit opinion on the latest statement", {"audit_opinion": "adverse"}),
}
#: The mandatory knock-outs (``plugins.spec.MANDATORY_KNOCK_OUTS``) as facts that trigger them.
#: The service applies them after any strategy, as ceilings; a strategy that applies them itself
#: explains its grade better, which is why the contract check asks for them.
KNOCK_OUTS: tuple[tuple[str, Mapping[str, Any], Grade], ...] = tuple(
    (*_KNOCK_OUT_FACTS[rule.code], rule.cap) for rule in MANDATORY_KNOCK_OUTS
)


def check_strategy(strategy: object) -> None:
    """Check that ``strategy`` keeps the grading-strategy contract; raise ``AssertionError`` if not.

    The first breach found is raised, with a message naming the strategy and the breach. Checked:

    - it satisfies ``plugins.spec.GradingStrategy`` (``id``, ``version``, ``industries``,
      ``questions``, ``grade``); ``id`` and ``version`` are non-empty ``str``;
    - ``industries`` is a non-empty tuple of distinct ``"*"`` or GB/T 4754 prefixes (a section
      letter A–T, optionally followed by digits: ``"G"``, ``"G54"``, ``"K701"``);
    - ``questions`` is a tuple of ``Question`` with distinct ids, each with at least one
      ``Answer``, answer ids distinct within a question;
    - ``grade()`` on :func:`sample_facts`, :func:`weak_facts`, :func:`empty_facts` and on sample
      facts carrying every allowed answer does not raise and returns a ``Decision`` with a
      ``Grade``, a ``Decimal`` score from 0 to 100, ``FactorResult`` factors whose points lie
      between 0 and ``max_points``, and ``str`` reasons and knock-outs;
    - ``grade()`` is deterministic: the same facts give an equal decision every time;
    - the knock-outs: a non-performing loan gives grade D; 30 days past due, and an adverse
      audit opinion on the latest statement, give grade C or worse — whatever the answers.

    The facts carry the strategy's first industry prefix as ``industry_code`` (``"C34"`` for a
    fallback strategy).
    """
    _check_identity(strategy)
    assert isinstance(strategy, GradingStrategy)  # for type checkers; _check_identity raised otherwise
    _check_industries(strategy)
    _check_questions(strategy)
    code = _industry_code(strategy)
    cases: list[tuple[str, Facts]] = [
        ("sample facts", sample_facts(industry_code=code)),
        ("weak facts", weak_facts(industry_code=code)),
        ("empty facts (no statements)", empty_facts(industry_code=code)),
    ]
    answer_sets = _answer_sets(strategy)
    cases += [(f"sample facts answering {label}", sample_facts(industry_code=code, answers=answers))
              for label, answers in answer_sets]
    cases += [(f"weak facts answering {label}", weak_facts(industry_code=code, answers=answers))
              for label, answers in answer_sets[-2:] if strategy.questions]
    cases += [(f"empty facts answering {label}", empty_facts(industry_code=code, answers=answers))
              for label, answers in answer_sets[-2:] if strategy.questions]
    for label, facts in cases:
        _graded(strategy, facts, label)

    bases: list[tuple[str, dict[str, str]]] = [("sample facts", {})]
    bases += [(f"sample facts answering {label}", answers) for label, answers in answer_sets[-2:] if strategy.questions]
    for base_label, answers in bases:
        for what, overrides, cap in KNOCK_OUTS:
            label = f"{base_label} with {what}"
            decision = _graded(strategy, sample_facts(industry_code=code, answers=answers, **overrides), label)
            if _worse_than(cap, decision.grade):
                raise _fail(
                    strategy,
                    f"knock-out missing: {what} must give grade {cap.value}"
                    f"{'' if cap is Grade.D else ' or worse'}, got {decision.grade.value} (on {base_label})",
                )


def _hookimpl_of(plugin: object) -> Callable[[], Iterable[object]]:
    impl: Callable[[], Iterable[object]] | None = getattr(plugin, HOOK, None)
    if impl is None:
        raise AssertionError(f"plugin {plugin!r} has no {HOOK}() hook implementation")
    if not callable(impl):
        raise AssertionError(f"plugin {plugin!r}: {HOOK} is not a function")
    if getattr(impl, _IMPL_MARK, None) is None:
        raise AssertionError(
            f"plugin {plugin!r}: {HOOK}() is not marked with @plugins.spec.hookimpl, "
            "so creditcare would silently ignore it"
        )
    return impl


def check_plugin(plugin: object) -> list[GradingStrategy]:
    """Check a grading plugin (the module or object its entry point names); return its strategies.

    ``plugin`` must have a ``creditcare_register_grading_strategies()`` function marked with
    ``@plugins.spec.hookimpl``; any other ``creditcare_*`` function it has must be marked too
    (an unmarked hook is silently ignored by the host). The hook is called; it must return a
    non-empty list (or tuple) of strategies with distinct ids, each of which must pass
    :func:`check_strategy`. Raises ``AssertionError`` on the first breach; returns the
    strategies, in the order the hook gave them, for further tests.
    """
    impl = _hookimpl_of(plugin)
    for name in dir(plugin):
        attribute = getattr(plugin, name, None)
        if name.startswith(f"{PROJECT}_") and callable(attribute) and getattr(attribute, _IMPL_MARK, None) is None:
            raise AssertionError(
                f"plugin {plugin!r}: {name}() looks like a hook but is not marked with @plugins.spec.hookimpl"
            )
    try:
        result = impl()
    except Exception as exc:
        raise AssertionError(f"plugin {plugin!r}: {HOOK}() raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, (list, tuple)):
        raise AssertionError(f"plugin {plugin!r}: {HOOK}() must return a list of strategies, not {result!r}")
    strategies = list(result)
    if not strategies:
        raise AssertionError(f"plugin {plugin!r}: {HOOK}() returned no strategies")
    for strategy in strategies:
        check_strategy(strategy)
    ids = [s.id for s in strategies]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise AssertionError(f"plugin {plugin!r}: strategy id {repeated[0]!r} is used by more than one strategy")
    return strategies
