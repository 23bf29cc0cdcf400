"""The whole contract of a creditcare grading plugin: what a strategy sees, what it returns.

A plugin author imports from this module only (and pluggy). Strategies are pure and synchronous:
they get frozen facts and return a frozen decision; no database, no I/O, no clock.

    from plugins.spec import Decision, Facts, Grade, hookimpl

    class TransportCard:
        id = "transport-logistics"
        version = "1.0"
        industries = ("G",)          # GB/T 4754 code prefixes this strategy grades
        questions = ()
        def grade(self, facts: Facts) -> Decision: ...

    @hookimpl
    def creditcare_register_grading_strategies():
        return [TransportCard()]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Protocol, runtime_checkable

import pluggy

PROJECT = "creditcare"
#: Marks a plugin's hook implementations: ``@hookimpl def creditcare_register_grading_strategies()``.
hookimpl = pluggy.HookimplMarker(PROJECT)


class Grade(StrEnum):
    """The four grades of R-G1, best first."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    def at_most(self, cap: Grade) -> Grade:
        """This grade, or ``cap`` if ``cap`` is worse."""
        return max(self, cap, key=lambda g: "ABCD".index(g.value))

    def step(self, notches: int) -> Grade:
        """The grade ``notches`` worse (positive) or better (negative), within A…D."""
        index = min(max("ABCD".index(self.value) + notches, 0), 3)
        return Grade("ABCD"[index])


@dataclass(frozen=True, slots=True)
class StatementFigures:
    """One annual statement's figures, in the statement's currency (``None``: not reported)."""

    period_end: date
    currency: str
    total_assets: Decimal
    total_liabilities: Decimal
    equity: Decimal
    revenue: Decimal
    net_profit: Decimal
    current_assets: Decimal | None = None
    current_liabilities: Decimal | None = None
    cash: Decimal | None = None
    accounts_receivable: Decimal | None = None
    inventory: Decimal | None = None
    short_term_debt: Decimal | None = None
    long_term_debt: Decimal | None = None
    advances_from_customers: Decimal | None = None
    cost_of_sales: Decimal | None = None
    operating_profit: Decimal | None = None
    interest_expense: Decimal | None = None
    operating_cash_flow: Decimal | None = None
    employees: int | None = None
    audit_opinion: str = "unaudited"  # unqualified, qualified, adverse, disclaimer, unaudited
    taxes_paid: Decimal | None = None
    tax_credit_rating: str | None = None  # the tax authority's rating for the period: A, B, M, C, D


def _ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    try:
        return (numerator / denominator).quantize(Decimal("0.0001"))
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class Ratios:
    """Ratios derived from the latest (and previous) statement; ``None`` where not computable."""

    debt_to_assets: Decimal | None = None  # total liabilities / total assets (leverage)
    current_ratio: Decimal | None = None  # current assets / current liabilities (liquidity)
    quick_ratio: Decimal | None = None  # (current assets - inventory) / current liabilities
    cash_to_short_term_debt: Decimal | None = None  # cash / short-term debt
    interest_coverage: Decimal | None = None  # operating profit / interest expense
    net_margin: Decimal | None = None  # net profit / revenue (profitability)
    return_on_assets: Decimal | None = None  # net profit / total assets
    asset_turnover: Decimal | None = None  # revenue / total assets (activity)
    receivables_turnover: Decimal | None = None  # revenue / accounts receivable (activity)
    operating_cash_flow_to_liabilities: Decimal | None = None  # cash flow / total liabilities
    revenue_growth: Decimal | None = None  # latest revenue / previous revenue - 1
    liabilities_to_assets_ex_advances: Decimal | None = None  # red line 1 (real estate)
    net_gearing: Decimal | None = None  # (interest-bearing debt - cash) / equity, red line 2

    @classmethod
    def derive(cls, latest: StatementFigures | None, previous: StatementFigures | None = None) -> Ratios:
        """The ratios of ``latest`` (growth against ``previous``); all ``None`` without figures."""
        if latest is None:
            return cls()
        s = latest
        debt = None
        if s.short_term_debt is not None or s.long_term_debt is not None:
            debt = (s.short_term_debt or Decimal(0)) + (s.long_term_debt or Decimal(0))
        quick = None if s.current_assets is None else s.current_assets - (s.inventory or Decimal(0))
        growth = _ratio(s.revenue, previous.revenue if previous else None)
        advances = s.advances_from_customers or Decimal(0)
        return cls(
            debt_to_assets=_ratio(s.total_liabilities, s.total_assets),
            current_ratio=_ratio(s.current_assets, s.current_liabilities),
            quick_ratio=_ratio(quick, s.current_liabilities),
            cash_to_short_term_debt=_ratio(s.cash, s.short_term_debt),
            interest_coverage=_ratio(s.operating_profit, s.interest_expense),
            net_margin=_ratio(s.net_profit, s.revenue),
            return_on_assets=_ratio(s.net_profit, s.total_assets),
            asset_turnover=_ratio(s.revenue, s.total_assets),
            receivables_turnover=_ratio(s.revenue, s.accounts_receivable),
            operating_cash_flow_to_liabilities=_ratio(s.operating_cash_flow, s.total_liabilities),
            revenue_growth=None if growth is None else growth - 1,
            liabilities_to_assets_ex_advances=_ratio(s.total_liabilities - advances, s.total_assets - advances),
            net_gearing=None if debt is None else _ratio(debt - (s.cash or Decimal(0)), s.equity),
        )


@dataclass(frozen=True, slots=True)
class CreditHistoryEvent:
    """One event of the customer's credit history."""

    occurred_on: date
    kind: str  # loan_repaid, overdue, default, restructuring, litigation, enforcement, other
    days_past_due: int | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One allowed answer to a qualitative question."""

    id: str
    text: str


# Whether a question needs an answer unless it says otherwise: the card format, the worker and
# the service's view of a remote strategy all default to this.
REQUIRED_BY_DEFAULT = True


@dataclass(frozen=True, slots=True)
class Question:
    """A qualitative question the assessor answers, with its allowed answers.

    ``required``: an assessment without an answer to it is *provisional* — stored and shown with
    what is missing, but not put in force and never changing the credit status — until an
    assessor answers. The host decides this from the questions, so a strategy grades whatever
    answers it is given.
    """

    id: str
    text: str
    answers: tuple[Answer, ...]
    required: bool = REQUIRED_BY_DEFAULT


@dataclass(frozen=True, slots=True)
class OperatingFacts:
    """The customer's operating information (R-I1) as last recorded: its market and its chain."""

    market_share_percent: Decimal | None = None  # e.g. Decimal("12.5") for 12.5 %
    industry_position: str | None = None  # leader, major, average, minor
    main_products: tuple[str, ...] = ()
    sales_channels: tuple[str, ...] = ()
    upstream_partners: tuple[str, ...] = ()  # main suppliers
    downstream_partners: tuple[str, ...] = ()  # main customers


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a strategy may use to grade one customer, as of ``as_of``."""

    as_of: date
    industry_code: str  # GB/T 4754-2017, e.g. "C34", "K701"
    size: str | None  # large, medium, small, micro, not_applicable (sections S, T), or None when unknown
    latest: StatementFigures | None
    previous: StatementFigures | None
    ratios: Ratios
    credit_history: tuple[CreditHistoryEvent, ...] = ()
    # The worst current arrears, in days: computed from the repayment schedules and repayments of the
    # customer's facilities here (from its credit events only while no facility is on record).
    days_past_due: int = 0
    non_performing: bool = False  # a loan of the customer is classified non-performing
    # The customer's five-category classification here: normal, special_mention, substandard,
    # doubtful or loss (the last three are non-performing); None while no facility is on record.
    risk_category: str | None = None
    guarantees_given: Decimal = Decimal(0)  # total of active guarantees to others
    answers: Mapping[str, str] = field(default_factory=dict)  # question id → answer id
    external_rating: str | None = None  # a rating agency's rating, as the agency writes it
    external_rating_agency: str | None = None
    external_rating_date: date | None = None
    established_on: date | None = None  # from the basic information (R-I1)
    operating: OperatingFacts | None = None  # None until operating information is recorded


@dataclass(frozen=True, slots=True)
class FactorResult:
    """One factor's contribution: its value, the band it fell in, the points it earned, and why."""

    code: str  # stable reason code, e.g. "LEVERAGE"
    name: str
    value: str | None  # the measured value as text (a ratio, an answer id), None if missing
    band: str  # e.g. "strong", "weak", "missing"
    points: Decimal
    max_points: Decimal
    reason: str  # plain language, e.g. "Liabilities are 82% of assets (weak: above 70%)"


@dataclass(frozen=True, slots=True)
class Decision:
    """A strategy's answer: grade, score 0–100, every factor, the top reasons, knock-outs applied."""

    grade: Grade
    score: Decimal
    factors: tuple[FactorResult, ...]
    reasons: tuple[str, ...]  # the few that mattered most, plain language
    knock_outs: tuple[str, ...] = ()  # knock-out rules that capped the grade, plain language


@dataclass(frozen=True, slots=True)
class KnockOut:
    """A rule every grade obeys, whatever the strategy: when it applies, the grade is ``cap`` or worse."""

    code: str
    cap: Grade
    text: str  # plain language, as a decision's knock-out

    def applies(self, facts: Facts) -> bool:
        if self.code == "NON_PERFORMING":
            return facts.non_performing
        if self.code == "PAST_DUE_30":
            return facts.days_past_due >= 30
        if self.code == "ADVERSE_AUDIT":
            return facts.latest is not None and facts.latest.audit_opinion == "adverse"
        raise ValueError(f"unknown knock-out {self.code!r}")


#: The knock-outs the service applies after every strategy, as ceilings: a strategy may be
#: stricter (a card may cap "overdue at all" at C), never more lenient.
MANDATORY_KNOCK_OUTS: tuple[KnockOut, ...] = (
    KnockOut("NON_PERFORMING", Grade.D, "Non-performing loan: grade D"),
    KnockOut("PAST_DUE_30", Grade.C, "30 days or more past due: grade C or worse"),
    KnockOut("ADVERSE_AUDIT", Grade.C, "Adverse audit opinion on the latest statement: grade C or worse"),
)


def apply_mandatory_knock_outs(facts: Facts, decision: Decision) -> Decision:
    """``decision`` with every mandatory knock-out that applies to ``facts`` as a ceiling on its grade.

    A knock-out that lowers the grade is added to ``knock_outs`` (and leads the reasons); one the
    strategy already respected changes nothing."""
    grade, added = decision.grade, []
    for rule in MANDATORY_KNOCK_OUTS:
        if rule.applies(facts) and grade.at_most(rule.cap) is not grade:
            grade = grade.at_most(rule.cap)
            added.append(rule.text)
    if not added:
        return decision
    return Decision(grade=grade, score=decision.score, factors=decision.factors,
                    reasons=(*added, *decision.reasons), knock_outs=(*decision.knock_outs, *added))


@runtime_checkable
class GradingStrategy(Protocol):
    """What a grading strategy is. ``industries`` are GB/T 4754 code prefixes; ``"*"`` is the fallback."""

    id: str
    version: str
    industries: tuple[str, ...]
    questions: tuple[Question, ...]

    def grade(self, facts: Facts) -> Decision:
        """Grade one customer. Pure: same facts, same decision."""
        ...


# ------------------------------------------------------------------------------ early warnings


class Severity(StrEnum):
    """How urgent an early warning is. A HIGH one brings the customer's revisit forward to today
    and re-grades it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One entry of the customer's credit information, with the reference the service keeps it by."""

    reference: str  # stable while the entry exists: key a finding by it to raise it once
    occurred_on: date
    kind: str  # loan_repaid, overdue, default, restructuring, litigation, enforcement, other
    days_past_due: int | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RecordedChange:
    """A major change recorded (R-I2): which field, when. Values are left out: they may identify a person."""

    reference: str  # stable: key a finding by it to raise it once
    changed_on: date
    field: str  # e.g. "legalRepresentativeName", "businessScope"


@dataclass(frozen=True, slots=True)
class WarningFacts:
    """What an early-warning rule sees of one customer: the grading facts (no answers), every
    credit entry, and the major changes recorded."""

    facts: Facts
    credit_entries: tuple[CreditEntry, ...] = ()  # oldest first
    changes: tuple[RecordedChange, ...] = ()  # oldest first


@dataclass(frozen=True, slots=True)
class Finding:
    """A condition a rule found. ``key`` names the condition (a statement's period, an entry's
    reference): one warning is raised per rule and key, ever, so a condition that stays true is
    not raised again; a new period or entry is a new condition. ``evidence``: the facts that made
    it, as text, shown to staff with the rule's version."""

    severity: Severity
    message: str  # plain language, e.g. "Revenue fell 42% year on year (limit 30%)"
    key: str = ""
    evidence: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class WarningRule(Protocol):
    """An early-warning rule (R-S3). Pure and synchronous, like a grading strategy.

    ``parameters``: the rule's thresholds with their defaults, as text (e.g. ``{"max_drop_percent":
    "30"}``); the lender's configuration (``CREDITCARE_WARNING_PARAMETERS``) overrides them by name,
    and ``evaluate`` gets the values in force.
    """

    id: str
    version: str
    title: str
    parameters: Mapping[str, str]

    def evaluate(self, facts: WarningFacts, parameters: Mapping[str, str]) -> tuple[Finding, ...]:
        """The conditions found for one customer (none: an empty tuple). Pure: same facts, same findings."""
        ...
