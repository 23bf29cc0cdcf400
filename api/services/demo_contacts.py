"""Demo service contacts and complaints, so that a new installation's pages show some.

Contacts are written directly (a year of them per customer, faster than the use case); complaints
are taken in through the intake use case, so their decision days follow the SLA policy in force.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import table_of
from api.db.enums import ComplaintCategory, ComplaintChannel, ServiceKind, ServiceStage
from api.db.models import ServiceRecord
from api.principal import Principal
from api.reference.complaint_sla import SlaPolicy
from api.services.complaints import file_complaint
from api.services.scope import RowScope

_CONTACTS = [
    (ServiceStage.PRE_LOAN, ServiceKind.NEEDS_ANALYSIS, "Reviewed financing needs for the coming year's orders."),
    (ServiceStage.PRE_LOAN, ServiceKind.POLICY_EXPLANATION, "Explained the working-capital loan terms and documents."),
    (ServiceStage.IN_LOAN, ServiceKind.APPROVAL_PROGRESS,
     "Told the finance director the application is with the approver."),
    (ServiceStage.IN_LOAN, ServiceKind.CONTRACT_SIGNING, "Walked through the loan contract and signed it."),
    (ServiceStage.POST_LOAN, ServiceKind.REVISIT, "Site visit: plant running at capacity, funds used as agreed."),
    (ServiceStage.POST_LOAN, ServiceKind.RISK_WARNING, "Receivables up sharply; asked for the aged debtor list."),
    (ServiceStage.POST_LOAN, ServiceKind.VALUE_ADDED_SERVICE, "Introduced supply-chain finance for two key buyers."),
]
_MATTERS = [
    (ComplaintCategory.FEES_AND_CHARGES, "Fee charged twice on a transfer."),
    (ComplaintCategory.PROCESSING_DELAY, "Slow answer on a credit line renewal."),
    (ComplaintCategory.PRIVACY, "Statement sent to the wrong address."),
]


async def add_contacts(
    session: AsyncSession, rng: random.Random, customer_id: int, recorded_by: str, today: date
) -> None:
    """A customer's last year or so of contacts (3–12)."""
    noon = datetime.combine(today, time(4, 0), tzinfo=UTC)  # midday in China
    records = []
    for _ in range(rng.randint(3, 12)):
        stage, kind, summary = rng.choice(_CONTACTS)
        when = noon - timedelta(days=rng.randint(1, 420), minutes=rng.randint(0, 480))
        records.append({
            "customer_id": customer_id, "stage": stage.value, "kind": kind.value, "occurred_at": when,
            "recorded_by": recorded_by, "summary": summary,
            "follow_up": "Call back in two weeks." if rng.random() < 0.3 else None, "created_at": when,
        })
    await session.execute(insert(table_of(ServiceRecord)), records)


async def add_complaints(
    session: AsyncSession, rng: random.Random, customer_id: int, handler: str, today: date, policy: SlaPolicy,
    timezone: str,
) -> None:
    """For some customers, a complaint or two received in the last weeks: some in time, some past their day."""
    noon = datetime.combine(today, time(4, 0), tzinfo=UTC)
    principal = Principal(sub=handler, roles=frozenset({"complaint_handler"}))
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        category, matter = rng.choice(_MATTERS)
        # From yesterday back: the lender's today at noon may still be ahead of the clock.
        received = noon - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600))
        await file_complaint(session, principal=principal, scope=RowScope.everything(), policy=policy,
                             timezone=timezone, data={
                                 "customer_id": customer_id, "channel": rng.choice(list(ComplaintChannel)).value,
                                 "category": category.value, "matter": matter, "received_at": received})
