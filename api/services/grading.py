"""Grading customers with the strategies plugins provide (R-G1, R-G2).

The service gathers the facts, runs the strategy (pure, synchronous, bounded in time), checks its
decision, and stores grade, score, factors, strategy and plugin versions and the facts used.
A broken plugin yields a GRADING_FAILED result and stores nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_today
from api.db.base import utcnow
from api.db.enums import GuaranteeStatus, InfoGroup, PeriodKind
from api.db.models import (
    BasicInformation,
    CreditEvent,
    CreditInformation,
    Customer,
    CustomerChange,
    FinancialStatement,
    GradeAssessment,
    GradingFailure,
    Guarantee,
    OperatingInformation,
)
from api.errors import DomainError, InvalidInput
from api.principal import Principal
from api.services import information_reads, revisits
from api.services.credit_status import NPL_DAYS, derive_credit_status, latest_arrears
from api.services.customers import customer_in_scope
from api.services.exposure import Exposure, exposures
from api.services.grading_reads import IN_FORCE
from api.services.information_reads import newest_per_customer
from api.services.scope import RowScope
from api.services.treatment_actions import follow_grade_changes
from plugins.manager import PluginHost, StrategyInfo, grade_many
from plugins.remote import RemoteStrategy
from plugins.sandbox import Failed
from plugins.spec import (
    CreditHistoryEvent,
    Decision,
    FactorResult,
    Facts,
    Grade,
    OperatingFacts,
    Question,
    Ratios,
    StatementFigures,
    apply_mandatory_knock_outs,
)

log = logging.getLogger(__name__)


class GradingFailed(DomainError):
    """The strategy could not grade: it raised, answered nonsense, or took too long."""

    code = "GRADING_FAILED"

    def __init__(self, strategy_id: str, message: str) -> None:
        super().__init__(f"Grading strategy {strategy_id!r} failed: {message}")
        self.strategy_id = strategy_id


@dataclasses.dataclass(frozen=True, slots=True)
class GradeChange:
    """A change of the grade in force, for ``creditcare_grade_changed`` once it is committed."""

    customer_id: int
    previous: str | None
    new: str
    strategy_id: str
    at: datetime


# ------------------------------------------------------------------------------------ facts


def figures(row: FinancialStatement) -> StatementFigures:
    return StatementFigures(
        period_end=row.period_end, currency=row.currency, total_assets=row.total_assets,
        total_liabilities=row.total_liabilities, equity=row.equity, revenue=row.revenue,
        net_profit=row.net_profit, current_assets=row.current_assets,
        current_liabilities=row.current_liabilities, cash=row.cash,
        accounts_receivable=row.accounts_receivable, inventory=row.inventory,
        short_term_debt=row.short_term_debt, long_term_debt=row.long_term_debt,
        advances_from_customers=row.advances_from_customers, cost_of_sales=row.cost_of_sales,
        operating_profit=row.operating_profit, interest_expense=row.interest_expense,
        operating_cash_flow=row.operating_cash_flow, employees=row.employees,
        audit_opinion=row.audit_opinion.value, taxes_paid=row.taxes_paid, tax_credit_rating=row.tax_credit_rating,
    )


def operating_facts(row: OperatingInformation | None) -> OperatingFacts | None:
    if row is None:
        return None
    return OperatingFacts(
        market_share_percent=row.market_share_percent,
        industry_position=row.industry_position.value if row.industry_position else None,
        main_products=tuple(row.main_products or ()), sales_channels=tuple(row.sales_channels or ()),
        upstream_partners=tuple(row.upstream_partners or ()), downstream_partners=tuple(row.downstream_partners or ()),
    )


def build_facts(
    *, customer: Customer, statements: Sequence[FinancialStatement], events: Sequence[CreditEvent],
    guarantees_total: Decimal, answers: Mapping[str, str], as_of: date, credit: CreditInformation | None = None,
    basic: BasicInformation | None = None, operating: OperatingInformation | None = None,
    exposure: Exposure | None = None,
) -> Facts:
    """The facts a strategy sees, from rows already loaded (newest annual statement first). Arrears
    and non-performance come from the facilities' classification; from the credit events only while
    the customer has no facility on record."""
    latest = figures(statements[0]) if statements else None
    previous = figures(statements[1]) if len(statements) > 1 else None
    history = tuple(
        CreditHistoryEvent(occurred_on=e.occurred_on, kind=e.kind.value, days_past_due=e.days_past_due, amount=e.amount)
        for e in sorted(events, key=lambda e: (e.occurred_on, e.id))
    )
    year_ago = as_of - timedelta(days=365)
    defaulted = any(e.kind == "default" and e.occurred_on >= year_ago for e in history)
    if exposure is not None:
        days, non_performing = exposure.days_past_due, exposure.category.non_performing or defaulted
    else:
        days = latest_arrears(history)
        non_performing = days > NPL_DAYS or defaulted
    return Facts(
        as_of=as_of, industry_code=customer.industry_code,
        size=customer.size.value if customer.size else None, latest=latest, previous=previous,
        ratios=Ratios.derive(latest, previous), credit_history=history, days_past_due=days,
        non_performing=non_performing, risk_category=exposure.category.value if exposure is not None else None,
        guarantees_given=guarantees_total, answers=dict(answers),
        external_rating=credit.external_rating if credit else None,
        external_rating_agency=credit.external_rating_agency if credit else None,
        external_rating_date=credit.external_rating_date if credit else None,
        established_on=basic.established_on if basic else None, operating=operating_facts(operating),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class FactInputs:
    """The rows grading reads for a set of customers, loaded in six statements whatever their count."""

    statements: Mapping[int, Sequence[FinancialStatement]]  # newest two annual, newest first
    events: Mapping[int, Sequence[CreditEvent]]
    guarantees: Mapping[int, Decimal]  # total of active guarantees given
    credit: Mapping[int, CreditInformation] = dataclasses.field(default_factory=dict)
    basic: Mapping[int, BasicInformation] = dataclasses.field(default_factory=dict)
    operating: Mapping[int, OperatingInformation] = dataclasses.field(default_factory=dict)
    exposure: Mapping[int, Exposure] = dataclasses.field(default_factory=dict)

    def facts(self, customer: Customer, answers: Mapping[str, str], as_of: date) -> Facts:
        return build_facts(
            customer=customer, statements=self.statements.get(customer.id, []),
            events=self.events.get(customer.id, []), guarantees_total=self.guarantees.get(customer.id, Decimal(0)),
            answers=answers, as_of=as_of, credit=self.credit.get(customer.id),
            basic=self.basic.get(customer.id), operating=self.operating.get(customer.id),
            exposure=self.exposure.get(customer.id),
        )


async def load_fact_inputs(session: AsyncSession, ids: Sequence[int]) -> FactInputs:
    """What grading needs for ``ids``: the two newest annual statements, events, guarantees."""
    statements = await newest_per_customer(
        session, FinancialStatement, ids, limit=2,
        order=(FinancialStatement.period_end.desc(), FinancialStatement.id.desc()),
        condition=FinancialStatement.period_kind == PeriodKind.ANNUAL,
    )
    events: dict[int, list[Any]] = defaultdict(list)
    event_table = CreditEvent.__table__
    for row in await session.execute(select(event_table).where(event_table.c.customer_id.in_(ids))):
        events[row.customer_id].append(row)
    guarantees = {
        customer_id: Decimal(total or 0)
        for customer_id, total in await session.execute(
            select(Guarantee.customer_id, func.sum(Guarantee.amount))
            .where(Guarantee.customer_id.in_(ids), Guarantee.status == GuaranteeStatus.ACTIVE)
            .group_by(Guarantee.customer_id)
        )
    }
    credit = await information_reads.rows_each(session, CreditInformation, ids)
    basic = await information_reads.rows_each(session, BasicInformation, ids)
    operating = await information_reads.rows_each(session, OperatingInformation, ids)
    return FactInputs(statements, events, guarantees, credit, basic, operating, await exposures(session, ids))


async def gather_facts(session: AsyncSession, customer: Customer, answers: Mapping[str, str], as_of: date) -> Facts:
    """The facts for one customer."""
    return (await load_fact_inputs(session, [customer.id])).facts(customer, answers, as_of)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def snapshot(value: Any) -> Any:
    """The facts as JSON: what exactly the strategy saw, kept with the assessment."""
    kind = type(value)
    if kind is Decimal:
        return str(value)
    if kind is date:
        return value.isoformat()
    if value is None or kind is str or kind is int or kind is bool or kind is float:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        # Bulk regrading snapshots every customer's facts: leaves are converted inline.
        out: dict[str, Any] = {}
        for name in names:
            item = getattr(value, name)
            item_kind = type(item)
            if item_kind is Decimal:
                out[name] = str(item)
            elif item is None or item_kind is str or item_kind is int or item_kind is bool:
                out[name] = item
            else:
                out[name] = snapshot(item)
        return out
    if isinstance(value, Mapping):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [snapshot(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def factor_json(factor: FactorResult) -> dict[str, Any]:
    """``snapshot(factor)``, written out: bulk regrading stores some ten factors per customer."""
    return {"code": factor.code, "name": factor.name, "value": factor.value, "band": factor.band,
            "points": str(factor.points), "max_points": str(factor.max_points), "reason": factor.reason}


def facts_columns(facts: Facts) -> dict[str, Any]:
    """The facts a strategy saw, as the assessment's columns: each part kept where its data class
    is (financial and credit in ``facts``; the establishment date is basic information, the
    operating facts operating information), so each is shown only to whom may read its class."""
    kept = snapshot(facts)
    return {"established_on": facts.established_on, "operating_facts": kept.pop("operating"),
            "facts": {k: v for k, v in kept.items() if k != "established_on"}}


# --------------------------------------------------------------------------------- deciding


# What a strategy's decision may hold: the service stores it and shows it to staff, so it is
# bounded in count and length like any other input.
MAX_FACTORS = 50
MAX_REASONS = 20
MAX_TEXT = 500  # a reason, a knock-out, a factor's reason
MAX_LABEL = 100  # a factor's code, name, value and band


def _text_problem(what: str, text: object, limit: int) -> str | None:
    if type(text) is not str:
        if not isinstance(text, str):
            return f"returned {what} that is not text"
        text = str(text)
    if len(text) > limit:
        return f"returned {what} of {len(text)} characters; at most {limit}"
    return None


def _problem(decision: object, reason_codes: tuple[str, ...] | None = None) -> str | None:
    if not isinstance(decision, Decision):
        return f"returned {type(decision).__name__}, not a Decision"
    if not isinstance(decision.grade, Grade):
        return f"returned grade {decision.grade!r}; grades are A, B, C, D"
    score = decision.score
    if not isinstance(score, Decimal) or not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        return f"returned score {score!r}; scores are 0–100"
    if len(decision.factors) > MAX_FACTORS or len(decision.reasons) > MAX_REASONS:
        return f"returned more than {MAX_FACTORS} factors or {MAX_REASONS} reasons"
    for factor in decision.factors:
        if not isinstance(factor, FactorResult):
            return f"returned a factor that is a {type(factor).__name__}, not a FactorResult"
        if not (isinstance(factor.points, Decimal) and isinstance(factor.max_points, Decimal)
                and factor.points.is_finite() and Decimal(0) <= factor.points <= factor.max_points):
            return f"factor {factor.code!r} has {factor.points!r} of {factor.max_points!r} points"
        if reason_codes is not None and factor.code not in reason_codes:
            return f"returned factor code {factor.code!r}, which is not one of the reason codes it declares"
        problem = (_text_problem("a factor code", factor.code, MAX_LABEL)
                   or _text_problem("a factor name", factor.name, MAX_LABEL)
                   or _text_problem("a factor band", factor.band, MAX_LABEL)
                   or (None if factor.value is None else _text_problem("a factor value", factor.value, MAX_LABEL))
                   or _text_problem("a factor reason", factor.reason, MAX_TEXT))
        if problem is not None:
            return problem
    for what, texts in (("a reason", decision.reasons), ("a knock-out", decision.knock_outs)):
        for text in texts:
            if (problem := _text_problem(what, text, MAX_TEXT)) is not None:
                return problem
    return None


def check_decision(strategy: StrategyInfo, decision: object) -> Decision:
    """The decision, if it is one a strategy may give; else GRADING_FAILED saying what is wrong."""
    try:
        problem = _problem(decision, getattr(strategy.strategy, "reason_codes", None))
    except Exception as exc:  # a malformed decision can break even the checks
        problem = f"returned a malformed decision ({type(exc).__name__})"
    if problem is not None:
        raise GradingFailed(strategy.id, problem)
    assert isinstance(decision, Decision)
    return decision


def _failure(strategy: StrategyInfo, exc: Exception) -> GradingFailed:
    # The exception's text may quote the customer's figures: it goes to the log, not the client.
    log.error("grading strategy %s raised", strategy.id, exc_info=exc)
    return GradingFailed(strategy.id, f"raised {type(exc).__name__} (details in the server log)")


def _outcome(strategy: StrategyInfo, result: object, facts: Facts) -> Decision:
    """The checked decision with the mandatory knock-outs applied, or GRADING_FAILED naming the
    strategy and its plugin."""
    if isinstance(result, Failed):
        if result.detail is not None:  # may quote the customer's figures: the log, not the client
            log.error("grading strategy %s of plugin %s: %s", strategy.id, strategy.plugin, result.detail)
        raise GradingFailed(strategy.id, f"plugin {strategy.plugin!r} {result.message}")
    return apply_mandatory_knock_outs(facts, check_decision(strategy, result))


def decide_many(strategy: StrategyInfo, facts: Sequence[Facts], timeout: float) -> Iterator[Decision | GradingFailed]:
    """Grade many customers with one strategy (bulk regrading), each outcome as soon as it is in."""
    for one, result in zip(facts, grade_many(strategy.strategy, facts, timeout), strict=True):
        try:
            yield _outcome(strategy, result, one)
        except GradingFailed as failed:
            yield failed


async def decide(strategy: StrategyInfo, facts: Facts, timeout: float) -> Decision:
    """Run the strategy off the event loop, bounded in time, so a bad plugin never stalls the API."""
    remote = strategy.strategy
    if isinstance(remote, RemoteStrategy):
        # In the plugin's own threads: a plugin that hangs holds its own capacity, nobody else's.
        queued = time.monotonic()
        [result] = await asyncio.get_running_loop().run_in_executor(
            remote.pool.executor, remote.run, [facts], timeout, queued
        )
        return _outcome(strategy, result, facts)
    # A plugin object in this process (tests, tools): a thread, which cannot be stopped.
    try:
        decision = await asyncio.wait_for(asyncio.to_thread(strategy.strategy.grade, facts), timeout)
    except TimeoutError:
        raise GradingFailed(strategy.id, f"took longer than {timeout:g} s") from None
    except Exception as exc:  # any fault of a plugin is the plugin's, reported, never ours
        raise _failure(strategy, exc) from exc
    return apply_mandatory_knock_outs(facts, check_decision(strategy, decision))


# Keyed by the questions (frozen, hashable), not the strategy: a cache entry keeps no plugin alive.
@functools.lru_cache(maxsize=256)
def _allowed_answers(questions: tuple[Question, ...]) -> dict[str, frozenset[str]]:
    return {q.id: frozenset(a.id for a in q.answers) for q in questions}


@functools.lru_cache(maxsize=256)
def _required_questions(questions: tuple[Question, ...]) -> tuple[str, ...]:
    return tuple(q.id for q in questions if q.required)


def _allowed(strategy: StrategyInfo) -> dict[str, frozenset[str]]:
    # Bulk regrading asks this per customer; a strategy's questions are fixed once registered.
    return _allowed_answers(tuple(strategy.strategy.questions))


def _required(strategy: StrategyInfo) -> tuple[str, ...]:
    return _required_questions(tuple(strategy.strategy.questions))


def reusable_answers(strategy: StrategyInfo, answers: Mapping[str, str]) -> dict[str, str]:
    """The earlier answers the strategy still asks for and still allows (a new card version may
    retire a question or an answer; re-assessing must not fail over it)."""
    allowed = _allowed(strategy)
    return {q: a for q, a in answers.items() if a in allowed.get(q, ())}


def check_answers(strategy: StrategyInfo, answers: Mapping[str, str]) -> dict[str, str]:
    allowed = _allowed(strategy)
    for index, (question, answer) in enumerate(answers.items()):
        if question not in allowed:
            raise InvalidInput.one(f"input.answers.{index}.questionId",
                                   f"strategy {strategy.id!r} asks no question {question!r}")
        if answer not in allowed[question]:
            raise InvalidInput.one(f"input.answers.{index}.answerId",
                                   f"allowed: {', '.join(sorted(allowed[question]))}")
    return dict(answers)


# ---------------------------------------------------------------------------------- storing


@dataclasses.dataclass(frozen=True, slots=True)
class GradeRecord:
    """What storing one decision writes: the assessment, the customer's new values, history."""

    assessment: dict[str, Any]
    customer: dict[str, Any]
    history: list[dict[str, Any]]
    change: GradeChange | None


def missing_answers(strategy: StrategyInfo, answers: Mapping[str, str]) -> list[str]:
    """The required questions of ``strategy`` that ``answers`` leaves open, in the card's order."""
    return [question for question in _required(strategy) if question not in answers]


def plan_record(
    *, customer: Customer, strategy: StrategyInfo, decision: Decision, facts: Facts,
    principal: Principal, trigger: str, now: datetime,
) -> GradeRecord:
    """The rows one decision writes: its grade in force, the re-derived credit status, history.

    Without the answers its strategy requires, the assessment is provisional: stored with what is
    missing, while the grade in force and the credit status stay as they were.
    """
    grade = decision.grade.value
    missing = missing_answers(strategy, facts.answers)
    assessment = {
        "customer_id": customer.id, "assessed_at": now, "assessed_by": principal.sub, "trigger": trigger,
        "grade": grade, "score": decision.score, "strategy_id": strategy.id,
        "strategy_version": strategy.version, "plugin_name": strategy.plugin,
        "plugin_distribution": strategy.distribution, "plugin_version": strategy.distribution_version,
        "factors": [factor_json(f) for f in decision.factors], "reasons": list(decision.reasons),
        "knock_outs": list(decision.knock_outs), "answers": dict(facts.answers),
        **facts_columns(facts), "provisional": bool(missing), "missing_answers": missing,
    }
    if missing:
        return GradeRecord(assessment=assessment, customer={}, history=[], change=None)
    status, basis = derive_credit_status(grade, facts.credit_history, facts.days_past_due, facts.as_of,
                                         facts.risk_category)
    status_changed = status != customer.credit_status or basis != customer.credit_status_basis
    history = [
        {"customer_id": customer.id, "changed_at": now, "changed_by": principal.sub,
         "info_group": InfoGroup.CUSTOMER, "field": field, "old_value": old, "new_value": new, "major": False}
        for field, old, new in (
            ("grade", customer.grade, grade),
            ("creditStatus", customer.credit_status.value, status.value),
        )
        if old != new
    ]
    return GradeRecord(
        assessment=assessment,
        customer={
            "grade": grade, "grade_score": decision.score, "graded_at": now, "updated_at": now,
            "next_revisit_on": revisits.after_grade_change(
                previous=customer.grade, grade=grade, last_revisit=customer.last_revisit_on,
                current=customer.next_revisit_on, today=facts.as_of,
            ),
            "credit_status": status,
            "credit_status_basis": basis if status_changed else customer.credit_status_basis,
            "credit_status_set_at": now if status_changed else customer.credit_status_set_at,
            "credit_status_set_by": f"grading:{strategy.id}" if status_changed else customer.credit_status_set_by,
        },
        history=history,
        change=GradeChange(customer.id, customer.grade, grade, strategy.id, now) if customer.grade != grade else None,
    )


def record(
    session: AsyncSession, *, customer: Customer, strategy: StrategyInfo, decision: Decision, facts: Facts,
    principal: Principal, trigger: str, now: datetime,
) -> tuple[GradeAssessment, GradeChange | None]:
    """Store the assessment, put its grade in force, re-derive the credit status; history for both."""
    plan = plan_record(customer=customer, strategy=strategy, decision=decision, facts=facts,
                       principal=principal, trigger=trigger, now=now)
    assessment = GradeAssessment(**plan.assessment)
    session.add(assessment)
    for name, value in plan.customer.items():
        setattr(customer, name, value)
    session.add_all(CustomerChange(**row) for row in plan.history)
    return assessment, plan.change


async def latest_assessment(session: AsyncSession, customer_id: int) -> GradeAssessment | None:
    """The customer's newest assessment in force (a provisional one never is)."""
    return await session.scalar(
        select(GradeAssessment).where(GradeAssessment.customer_id == customer_id, IN_FORCE)
        .order_by(GradeAssessment.id.desc()).limit(1)
    )


async def assess_grade(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int,
    answers: Mapping[str, str], host: PluginHost, timeout: float, trigger: str = "assessment",
    customer: Customer | None = None,
) -> tuple[Customer, GradeAssessment, GradeChange | None]:
    """Grade one customer in scope with its industry's strategy and store the result."""
    if customer is None:
        customer = await customer_in_scope(session, customer_id, scope)
    strategy = host.strategy_for(customer.industry_code)
    checked = check_answers(strategy, answers)
    now = utcnow()
    facts = await gather_facts(session, customer, checked, business_today())
    decision = await decide(strategy, facts, timeout)
    assessment, change = record(session, customer=customer, strategy=strategy, decision=decision, facts=facts,
                                principal=principal, trigger=trigger, now=now)
    if change is not None:
        await follow_grade_changes(session, [change], today=facts.as_of)
    # No flush here: the caller's one flush bumps the customer's version once per change.
    return customer, assessment, change


Regrader = Callable[[AsyncSession, Customer, str], Awaitable[None]]


def _fitted(column: str, text: str) -> str:
    """``text`` cut to the length of ``GradingFailure``'s column (a plugin's names are its own)."""
    length: int = getattr(GradingFailure.__table__.c[column].type, "length")  # noqa: B009 (a String's length)
    return text[:length]


def failure_row(
    *, customer_id: int, strategy: StrategyInfo, failed: GradingFailed, triggered_by: str, trigger: str,
    now: datetime,
) -> dict[str, Any]:
    """The record of an automatic re-grade that failed (``GradingFailure``'s columns)."""
    return {
        "customer_id": customer_id, "failed_at": now, "triggered_by": _fitted("triggered_by", triggered_by),
        "trigger": trigger, "strategy_id": _fitted("strategy_id", strategy.id),
        "plugin_name": _fitted("plugin_name", strategy.plugin), "error": failed.message[:MAX_TEXT],
    }


def automatic_regrader(
    *, principal: Principal, host: PluginHost, timeout: float, on_change: Callable[[GradeChange], None]
) -> Regrader:
    """Re-assess after new figures or credit information, with the answers still valid.

    The answers are those of the newest assessment by the same strategy, where the questions
    still stand; without all required answers the new assessment is provisional. A failing
    strategy does not undo the new information: the failure is recorded (``GradingFailure``) and
    logged, and no grade is stored.
    """

    async def regrade(session: AsyncSession, customer: Customer, trigger: str) -> None:
        strategy = host.strategy_for(customer.industry_code)
        last = await session.scalar(
            select(GradeAssessment.answers)
            .where(GradeAssessment.customer_id == customer.id, GradeAssessment.strategy_id == strategy.id)
            .order_by(GradeAssessment.id.desc()).limit(1)
        )
        answers = reusable_answers(strategy, last or {})
        try:
            _, _, change = await assess_grade(
                session, principal=principal, scope=RowScope.everything(), customer_id=customer.id,
                answers=answers, host=host, timeout=timeout, trigger=trigger, customer=customer,
            )
        except GradingFailed as exc:
            log.error("automatic re-assessment of customer %s failed: %s", customer.id, exc.message)
            session.add(GradingFailure(**failure_row(
                customer_id=customer.id, strategy=strategy, failed=exc, triggered_by=principal.sub,
                trigger=trigger, now=utcnow(),
            )))
            return
        if change is not None:
            on_change(change)

    return regrade
