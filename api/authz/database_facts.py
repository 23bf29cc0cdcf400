"""What the policy tools read from a database: the stored rules, a staff record and a customer.

``creditcare policy test --database-url`` tests the rules of the database store (``casbin_rule``)
as they are, without seeding them (the store seeds an empty table when the service starts);
``creditcare policy explain --customer`` reads the principal's staff record and the customer's
manager, branch and consents, the facts the service decides on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.policy_suite import Actor, Agreement, ConsentFact, CustomerFacts
from api.authz.validation import RuleLine
from api.db.models import CasbinRule, Customer
from api.db.session import create_engine, create_sessionmaker
from api.services.access import consents_of
from api.services.organisation import find_staff_member, staff_by_id
from api.settings import to_async_url


class NotOnFile(LookupError):
    """A staff member or customer the database does not hold; the message says which."""


async def stored_rules(database_url: str) -> list[RuleLine]:
    """The rules of ``casbin_rule``, each with its row id (``casbin_rule id 7``)."""
    engine = create_engine(to_async_url(database_url))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(CasbinRule).order_by(CasbinRule.id))).all()
    finally:
        await engine.dispose()
    lines = []
    for row in rows:
        values = [row.v0, row.v1, row.v2, row.v3, row.v4, row.v5]
        lines.append(RuleLine((row.ptype, *[value for value in values if value is not None]), row.id, "casbin_rule"))
    return lines


async def principal_and_customer(
    database_url: str, username: str, roles: frozenset[str], customer_id: int
) -> tuple[Actor, CustomerFacts]:
    """The principal ``username`` holding ``roles`` (branch and agreement from the staff record, if
    any) and the customer's facts; ``NotOnFile`` for a customer that does not exist."""
    engine = create_engine(to_async_url(database_url))
    try:
        async with create_sessionmaker(engine)() as session:
            return await _principal(session, username, roles), await _customer(session, customer_id)
    finally:
        await engine.dispose()


async def _principal(session: AsyncSession, username: str, roles: frozenset[str]) -> Actor:
    member = await find_staff_member(session, username)
    if member is None:  # third parties and administrators may have none
        return Actor(username.lower(), roles)
    agreement = Agreement(member.agreement_signed_on, member.agreement_expires_on)
    return Actor(member.username, roles, member.branch_code, agreement)


async def _customer(session: AsyncSession, customer_id: int) -> CustomerFacts:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotOnFile(f"no customer {customer_id} in the database")
    managers = await staff_by_id(session, [customer.relationship_manager_id])
    manager = managers.get(customer.relationship_manager_id)
    consents = (await consents_of(session, [customer.id])).get(customer.id, [])
    return CustomerFacts(
        name=str(customer.id),
        branch=customer.branch_code,
        owner=manager.username if manager is not None else None,
        consents=tuple(
            ConsentFact(consent.third_party, frozenset(consent.groups), consent.valid_from, consent.valid_until,
                        consent.revoked_at, f"#{consent.id}")
            for consent in consents
        ),
    )
