"""Demo service contacts and complaints, so that a new installation's pages show some.

The servicing and complaint use cases do not exist yet (later issues); until then the demo
writes these rows directly.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import table_of
from api.db.enums import ComplaintChannel, ComplaintStatus, ServiceKind, ServiceStage
from api.db.models import Complaint, ServiceRecord

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
    "Fee charged twice on a transfer.", "Slow answer on a credit line renewal.", "Statement sent to the wrong address.",
]


async def add_contacts(
    session: AsyncSession, rng: random.Random, customer_id: int, recorded_by: str, today: date
) -> None:
    """A customer's last year or so of contacts (3–12) and, for some, a complaint or two."""
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
    complaints = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        received = noon - timedelta(days=rng.randint(1, 200))
        status = rng.choice(list(ComplaintStatus))
        complaints.append({
            "customer_id": customer_id, "channel": rng.choice(list(ComplaintChannel)).value, "status": status.value,
            "matter": rng.choice(_MATTERS), "received_at": received, "due_at": received + timedelta(days=15),
            "handler": recorded_by, "created_at": received,
            "closed_at": received + timedelta(days=rng.randint(1, 15)) if status is ComplaintStatus.CLOSED else None,
        })
    if complaints:
        await session.execute(insert(table_of(Complaint)), complaints)
