"""Confidentiality agreements of staff (R-I5) and customers' written consents (R-I4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import utcnow
from api.db.models import Consent, Customer, StaffMember
from api.errors import InvalidInput, NotFound
from api.principal import Principal
from api.services.customers import customer_in_scope
from api.services.information_reads import grouped_by
from api.services.organisation import Username, find_staff_member
from api.services.scope import RowScope, consents_in_force, within
from api.services.validation import Command, parse


class ConsentGroup(StrEnum):
    """The information groups (R-I1) a consent can cover. Identity (an individual's identity
    document and phone) is named on its own: a consent to basic information does not cover it."""

    BASIC = "basic"
    IDENTITY = "identity"
    FINANCIAL = "financial"
    OPERATING = "operating"
    CREDIT = "credit"


class AgreementInput(Command):
    username: Username
    signed_on: date
    expires_on: date | None = None
    reference: Annotated[str, Field(min_length=1, max_length=100)]

    @field_validator("expires_on")
    @classmethod
    def _after_signing(cls, expires_on: date | None, info: ValidationInfo) -> date | None:
        signed = info.data.get("signed_on")
        if expires_on is not None and signed is not None and expires_on <= signed:
            raise ValueError("must be after signedOn")
        return expires_on


class ConsentInput(Command):
    third_party: Username
    groups: Annotated[list[ConsentGroup], Field(min_length=1, max_length=len(ConsentGroup))]
    document_reference: Annotated[str, Field(min_length=1, max_length=100)]
    valid_from: datetime
    valid_until: datetime | None = None

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, valid_until: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("valid_from")
        if valid_until is not None and start is not None and valid_until <= start:
            raise ValueError("must be after validFrom")
        return valid_until

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone")
        return value


async def record_agreement(session: AsyncSession, *, principal: Principal, data: dict[str, Any]) -> StaffMember:
    """Record that a staff member signed a confidentiality agreement (and until when it holds)."""
    agreement = parse(AgreementInput, data)
    member = await find_staff_member(session, agreement.username)
    if member is None:
        raise NotFound("Staff member", field="input.username")
    member.agreement_signed_on = agreement.signed_on
    member.agreement_expires_on = agreement.expires_on
    member.agreement_reference = agreement.reference
    await session.flush()
    return member


async def record_consent(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int, data: dict[str, Any]
) -> Consent:
    """Record a customer's written consent to disclose the given groups to a third party."""
    consent_input = parse(ConsentInput, data)
    await customer_in_scope(session, customer_id, scope)
    consent = Consent(
        customer_id=customer_id,
        third_party=consent_input.third_party.lower(),
        groups=sorted({group.value for group in consent_input.groups}),
        document_reference=consent_input.document_reference,
        valid_from=consent_input.valid_from,
        valid_until=consent_input.valid_until,
        recorded_at=utcnow(),
        recorded_by=principal.sub,
    )
    session.add(consent)
    await session.flush()
    return consent


async def revoke_consent(
    session: AsyncSession, *, principal: Principal, scope: RowScope, consent_id: int
) -> Consent:
    """Revoke a consent; it stops counting from the next request."""
    consent = await session.scalar(
        within(select(Consent).join(Customer, Customer.id == Consent.customer_id), scope)
        .where(Consent.id == consent_id)
    )
    if consent is None:
        raise NotFound("Consent", field="input.id")
    if consent.revoked_at is not None:
        raise InvalidInput.one("input.id", "this consent is already revoked")
    consent.revoked_at = utcnow()
    consent.revoked_by = principal.sub
    await session.flush()
    return consent


async def consented_groups(
    session: AsyncSession, third_party: str, customer_ids: Sequence[int], at: datetime
) -> dict[int, set[str]]:
    """For each customer, the groups its consents in force disclose to ``third_party``."""
    rows = await session.execute(
        select(Consent.customer_id, Consent.groups).where(
            Consent.id.in_(consents_in_force(third_party, at)), Consent.customer_id.in_(customer_ids)
        )
    )
    result: dict[int, set[str]] = defaultdict(set)
    for customer_id, groups in rows:
        result[customer_id].update(groups)
    return result


async def consents_of(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, list[Consent]]:
    """Every consent (in force or not) of each customer, newest first."""
    return await grouped_by(
        session, select(Consent).where(Consent.customer_id.in_(customer_ids)).order_by(Consent.id.desc())
    )
