"""A small portfolio for the planned-read tests, and the subjects of the decision table."""

from __future__ import annotations

import base64
import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from api.db.models import Complaint, Customer, ServiceRecord
from conftest import token
from factories import assessed, customer, organisation, statement

POLICIES = Path(__file__).resolve().parent.parent / "policies"
RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
# The seeded customer with a statement, a provisional and an assessed grade, identity data and history.
FIRST_GRADED = '{ customers(first: 1, where: {name: {_eq: "Planned Reads Co. 1"}}) { edges { node { id } } } }'


def table_subjects() -> list[tuple[str, bool]]:
    """Every (roles, agreement) the decision table names."""
    with (POLICIES / "decisions.csv").open() as rows:
        lines = [line for line in rows if not line.startswith("#")]
    return sorted({(row["roles"], row["agreement"] == "yes") for row in csv.DictReader(lines)})


def bearer_of(roles: str, agreement: bool) -> str:
    role_list = tuple(roles.split())
    if role_list == ("third_party",):
        return token(sub="acme-bank", roles=role_list, branch=None, nda=False)
    # alice (HZ01, signed) has a portfolio; nina (HZ01) has signed no agreement.
    return token(sub="alice" if agreement else "nina", roles=role_list, branch="HZ01", nda=agreement)


async def seed(app: Any, api: Any) -> None:
    await organisation(api)
    ids = []
    for n in range(7):
        created = await customer(api, name=f"Planned Reads Co. {n}", branchCode="HZ01" if n % 3 else "SH01",
                                 relationshipManagerUsername="alice" if n % 3 else "bob",
                                 industryCode=["C34", "F51", "K70", "I65"][n % 4])
        ids.append(int(base64.b64decode(created["id"]).decode().split(":")[1]))
        if n == 1:  # a size, a statement's period end, an assessed grade and identity data on one customer
            await statement(api, created["id"], created["version"])  # graded automatically: provisional
            after = await assessed(api, created["id"], "F51")
            recorded = await api.ok(RECORD_BASIC, {"input": {
                "customerId": created["id"], "version": after["version"], "legalRepresentativeName": "Wang Wei",
                "legalRepresentativeIdType": "RESIDENT_ID_CARD", "legalRepresentativeIdNumber": "11010519491231002X",
                "legalRepresentativePhone": "+86 13800138000",
            }})
            assert recorded["recordBasicInformation"]["__typename"] == "CustomerPayload", recorded
    rng = random.Random(5)
    now = datetime(2026, 11, 1, 8, 30, 15, 123456, tzinfo=UTC)
    async with app.state.runtime.engine.begin() as connection:
        for n, customer_id in enumerate(ids[:-1]):  # the last customer has no records at all
            await connection.execute(insert(ServiceRecord.__table__), [
                {"customer_id": customer_id, "stage": rng.choice(["pre_loan", "in_loan", "post_loan"]),
                 "kind": rng.choice(["revisit", "risk_warning", "needs_analysis"]),
                 # Two records share a moment (the id settles their order on both paths); one falls
                 # on a whole second (ISO times then carry no fraction).
                 "occurred_at": now.replace(microsecond=0) if k == 2 else
                 now - timedelta(days=rng.randint(0, 3) if k > 1 else 0, microseconds=k * 1000 * (k > 1)),
                 "recorded_by": "alice", "summary": f"contact {k} of customer {n}",
                 "follow_up": None if k % 2 else "call back", "created_at": now}
                for k in range(n + 1)
            ])
            complaints = [
                {"customer_id": customer_id, "branch_code": "HZ01" if n % 3 else "SH01", "channel": "hotline",
                 "status": status,
                 "category": "fees_and_charges", "matter": "fees", "received_at": now, "received_on": now.date(),
                 "sla_policy": "cn_2020", "first_due_on": now.date() + timedelta(days=15),
                 "due_on": now.date() + timedelta(days=15), "handler": "carl",
                 "closed_at": now if status == "closed" else None, "created_at": now}
                for status in ["received", "closed", "plan_agreed"][: n % 4]
            ]
            if complaints:
                await connection.execute(insert(Complaint.__table__), complaints)
        for n, customer_id in enumerate(ids):
            if n % 2 == 0:
                await connection.execute(
                    update(Customer.__table__).where(Customer.__table__.c.id == customer_id)
                    .values(grade="ABCD"[n % 4], grade_score=f"{60 + n}.50", graded_at=now)
                )


