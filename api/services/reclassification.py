"""Classifying borrowers from their records: arrears computed from each running facility's schedule
and repayments, the classification rules applied, and what changed written as history.

A facility's row keeps where it stands on the day of the latest run (days past due, overdue
amount, outstanding, category and reasons); a change of category adds an entry to the facility's
and, where the borrower's category changes, to the borrower's effective-dated history. A facility
whose principal is repaid with nothing overdue is settled and no longer classified. The caller
re-grades the customers whose category changed (their credit status and grading facts follow).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.base import table_of, utcnow
from api.db.enums import FacilityStatus, RiskCategory
from api.db.models import (
    BorrowerClassification,
    CreditFacility,
    CreditInformation,
    Customer,
    FacilityClassification,
    Repayment,
    RepaymentInstallment,
)
from api.principal import Principal
from api.reference.loan_classification import ClassificationRules
from api.services.arrears import Installment, Payment, arrears
from api.services.classification import BankDebt, FacilityFacts, classify_borrower
from api.services.credit_status import refresh_credit_status
from api.services.grading import GradeChange
from api.services.information_reads import newest_per_customer
from api.services.regrade import grade_rows
from plugins.manager import PluginHost

_FACILITY = table_of(CreditFacility)
CLASSIFIER = Principal(sub="classification", roles=frozenset())


@dataclass(frozen=True, slots=True)
class Reclassified:
    """What one run changed: the customers whose category changed, and how many facilities it read."""

    changed: frozenset[int]
    facilities: int


async def _bank_debt(session: AsyncSession, ids: Sequence[int]) -> dict[int, BankDebt]:
    table = table_of(CreditInformation)
    rows = await session.execute(
        select(table.c.customer_id, table.c.bank_debt_total, table.c.bank_debt_overdue_long,
               table.c.bank_debt_reported_on)
        .where(table.c.customer_id.in_(ids), table.c.bank_debt_total.is_not(None))
    )
    return {row.customer_id: BankDebt(row.bank_debt_total, row.bank_debt_overdue_long or Decimal(0),
                                      row.bank_debt_reported_on)
            for row in rows}


async def reclassify(
    session: AsyncSession, customer_ids: Sequence[int], *, as_of: date, rules: ClassificationRules
) -> Reclassified:
    """Classify the running facilities of ``customer_ids`` on ``as_of`` and record what changed."""
    ids = list(dict.fromkeys(customer_ids))
    facilities = (await session.execute(
        select(_FACILITY.c.id, _FACILITY.c.customer_id, _FACILITY.c.drawn_amount, _FACILITY.c.restructured_on,
               _FACILITY.c.category)
        .where(_FACILITY.c.customer_id.in_(ids), _FACILITY.c.status == FacilityStatus.ACTIVE)
        .order_by(_FACILITY.c.id)
    )).all()
    keys = [row.id for row in facilities]
    schedules: dict[int, list[Installment]] = defaultdict(list)
    payments: dict[int, list[Payment]] = defaultdict(list)
    if keys:
        plan = table_of(RepaymentInstallment)
        for item in await session.execute(
            select(plan.c.facility_id, plan.c.due_on, plan.c.principal, plan.c.interest)
            .where(plan.c.facility_id.in_(keys))
        ):
            schedules[item.facility_id].append(Installment(item.due_on, item.principal, item.interest))
        paid = table_of(Repayment)
        for payment in await session.execute(
            select(paid.c.facility_id, paid.c.paid_on, paid.c.amount)
            .where(paid.c.facility_id.in_(keys), paid.c.paid_on <= as_of)
        ):
            payments[payment.facility_id].append(Payment(payment.paid_on, payment.amount))
        history = table_of(FacilityClassification)
        classified = set(await session.scalars(
            select(history.c.facility_id).where(history.c.facility_id.in_(keys)).distinct()))
    else:
        classified = set()
    debts = await _bank_debt(session, ids)
    latest = await newest_per_customer(
        session, BorrowerClassification, ids, limit=1,
        order=(BorrowerClassification.effective_on.desc(), BorrowerClassification.id.desc()),
    )
    by_customer: dict[int, list[Any]] = defaultdict(list)
    for row in facilities:
        by_customer[row.customer_id].append(row)

    now = utcnow()
    facility_updates: list[dict[str, Any]] = []
    facility_history: list[dict[str, Any]] = []
    borrower_history: list[dict[str, Any]] = []
    changed: set[int] = set()
    for customer_id in ids:
        rows = by_customer.get(customer_id, [])
        owed = {row.id: arrears(schedules[row.id], payments[row.id], as_of) for row in rows}
        facts = [FacilityFacts(row.id, owed[row.id].days_past_due, row.drawn_amount - owed[row.id].principal_repaid,
                               row.restructured_on) for row in rows]
        found = classify_borrower(facts, debts.get(customer_id), as_of, rules)
        for row, fact in zip(rows, facts, strict=True):
            result, owing = found.facilities[row.id], owed[row.id]
            settled = fact.outstanding <= 0 and owing.overdue_amount <= 0
            facility_updates.append({
                "key": row.id, "outstanding": max(fact.outstanding, Decimal(0)), "days_past_due": owing.days_past_due,
                "overdue_amount": owing.overdue_amount, "category": result.category,
                "category_reasons": list(result.reasons), "classified_on": as_of,
                "status": FacilityStatus.SETTLED if settled else FacilityStatus.ACTIVE,
            })
            if RiskCategory(row.category) is not result.category or row.id not in classified:
                facility_history.append({
                    "facility_id": row.id, "customer_id": customer_id, "category": result.category,
                    "effective_on": as_of, "days_past_due": owing.days_past_due,
                    "overdue_amount": owing.overdue_amount, "outstanding": max(fact.outstanding, Decimal(0)),
                    "reasons": list(result.reasons), "rules_version": rules.version, "recorded_at": now,
                })
        before = latest.get(customer_id)
        previous = RiskCategory(before[0].category) if before else None
        if (rows or previous is not None) and previous is not found.borrower.category:
            changed.add(customer_id)
            borrower_history.append({
                "customer_id": customer_id, "category": found.borrower.category, "effective_on": as_of,
                "days_past_due": max((fact.days_past_due for fact in facts), default=0),
                "reasons": list(found.borrower.reasons), "rules_version": rules.version, "recorded_at": now,
            })
    if facility_updates:
        await session.execute(
            update(_FACILITY).where(_FACILITY.c.id == bindparam("key")).values(
                outstanding=bindparam("outstanding"), days_past_due=bindparam("days_past_due"),
                overdue_amount=bindparam("overdue_amount"), category=bindparam("category"),
                category_reasons=bindparam("category_reasons"), classified_on=bindparam("classified_on"),
                status=bindparam("status"),
            ).execution_options(synchronize_session=False),
            facility_updates,
        )
    if facility_history:
        await session.execute(insert(table_of(FacilityClassification)), facility_history)
    if borrower_history:
        await session.execute(insert(table_of(BorrowerClassification)), borrower_history)
    return Reclassified(frozenset(changed), len(facilities))


@dataclass(frozen=True, slots=True)
class PortfolioReclassified:
    """What a run over every borrower did."""

    borrowers: int
    facilities: int
    changed: int  # borrowers whose category changed
    status_changed: int  # borrowers whose credit status changed
    seconds: float

    @property
    def rate(self) -> float:
        return self.borrowers / self.seconds if self.seconds else 0.0


async def reclassify_portfolio(
    sessions: async_sessionmaker[AsyncSession], *, as_of: date, rules: ClassificationRules, batch: int = 1000,
    host: PluginHost | None = None, timeout: float = 2.0,
    after_batch: Callable[[list[GradeChange]], None] | None = None,
) -> PortfolioReclassified:
    """Classify every borrower with a facility on record on ``as_of`` (run it daily: arrears grow with
    the days), a batch per transaction; credit status follows, and the borrowers whose category
    changed are re-graded with ``host``'s strategies, a batch at a time (as ``creditcare regrade``).
    ``after_batch`` gets the grades that changed, once each batch has committed."""
    started = time.perf_counter()
    borrowers = facilities = changed = status_changed = 0
    last = 0
    while True:
        async with sessions.begin() as session:
            ids = list(await session.scalars(
                select(_FACILITY.c.customer_id).where(_FACILITY.c.customer_id > last).distinct()
                .order_by(_FACILITY.c.customer_id).limit(batch)
            ))
            if not ids:
                break
            done = await reclassify(session, ids, as_of=as_of, rules=rules)
            moved = await refresh_credit_status(session, ids, as_of=as_of, by=f"classification:{rules.version}")
            changes: list[GradeChange] = []
            if host is not None and done.changed:
                customers = (await session.execute(
                    select(table_of(Customer)).where(Customer.id.in_(done.changed)).order_by(Customer.id))).all()
                plans, _ = await grade_rows(session, customers, host=host, timeout=timeout, trigger="classification",
                                            triggered_by=f"classification:{rules.version}", principal=CLASSIFIER)
                changes = [plan.change for plan in plans if plan.change is not None]
        if after_batch is not None:
            after_batch(changes)
        last = ids[-1]
        borrowers += len(ids)
        facilities += done.facilities
        changed += len(done.changed)
        status_changed += len(moved)
    return PortfolioReclassified(borrowers, facilities, changed, status_changed, time.perf_counter() - started)
