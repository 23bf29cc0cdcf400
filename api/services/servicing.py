"""Recording service contacts (R-S1 … R-S3): the contact, its corrections as versions, follow-ups.

A contact names its stage, kind, channel, time, participants, summary and outcome, and the
follow-up actions agreed, each owned by a member of staff with a due date. A correction is a new
version: the earlier ones stay as written (``ServiceRecordVersion``). A revisit or site visit may
confirm information groups as current and record the customer's satisfaction; a revisit restarts
the customer's revisit schedule (``api.services.revisits``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_date
from api.db.base import utcnow
from api.db.enums import InfoGroup, ServiceChannel, ServiceKind, ServiceStage
from api.db.models import Customer, ServiceFollowUp, ServiceRecord, ServiceRecordVersion
from api.errors import Conflict, InvalidInput, NotFound
from api.principal import Principal
from api.services import organisation, revisits
from api.services.customers import customer_in_scope
from api.services.scope import RowScope, within
from api.services.validation import Command, LongText, ShortText, parse

# A contact is recorded once it happened; a little slack for clocks that run ahead.
_CLOCK_SLACK = timedelta(minutes=5)
MAX_PARTICIPANTS = 20
MAX_FOLLOW_UPS = 20


class FollowUpDraft(Command):
    action: LongText
    owner_username: Annotated[str, Field(min_length=1, max_length=64)]
    due_on: date


class _ContactFields(Command):
    """The fields a contact and each of its versions hold."""

    stage: ServiceStage
    kind: ServiceKind
    channel: ServiceChannel
    occurred_at: AwareDatetime
    participants: Annotated[list[ShortText], Field(max_length=MAX_PARTICIPANTS)] = Field(default_factory=list)
    summary: LongText
    outcome: LongText | None = None
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None
    verified: list[InfoGroup] = Field(default_factory=list)

    @field_validator("occurred_at")
    @classmethod
    def _not_ahead(cls, value: datetime) -> datetime:
        if value > utcnow() + _CLOCK_SLACK:
            raise ValueError("a contact is recorded once it happened, not ahead")
        return value

    @field_validator("verified")
    @classmethod
    def _groups(cls, value: list[InfoGroup]) -> list[InfoGroup]:
        if InfoGroup.CUSTOMER in value:
            raise ValueError("name the groups confirmed: BASIC, FINANCIAL, OPERATING or CREDIT")
        return value

    @model_validator(mode="after")
    def _verified_on_visits(self) -> _ContactFields:
        if self.verified and self.kind not in revisits.VERIFYING_KINDS:
            raise ValueError("only a revisit or a site visit confirms information as current")
        return self


class ContactDraft(_ContactFields):
    follow_ups: Annotated[list[FollowUpDraft], Field(max_length=MAX_FOLLOW_UPS)] = Field(default_factory=list)


class CorrectionDraft(_ContactFields):
    reason: LongText


def content_of(record: ServiceRecord) -> dict[str, Any]:
    """A version's content: the contact's fields as JSON values."""
    return {
        "stage": record.stage.value, "kind": record.kind.value,
        "channel": record.channel.value if record.channel else None,
        "occurred_at": record.occurred_at.isoformat(), "participants": list(record.participants or ()),
        "summary": record.summary, "outcome": record.outcome, "follow_up": record.follow_up,
        "satisfaction": record.satisfaction, "verified": list(record.verified or ()),
    }


def _fields(draft: _ContactFields) -> dict[str, Any]:
    values = draft.model_dump(exclude={"follow_ups", "reason"})
    values["verified"] = revisits.verified_groups(group.value for group in draft.verified)
    return values


async def _owners(session: AsyncSession, follow_ups: list[FollowUpDraft]) -> None:
    """Every follow-up is owned by a member of staff on record."""
    unknown = await organisation.unknown_staff(session, (item.owner_username for item in follow_ups))
    for index, item in enumerate(follow_ups):
        if item.owner_username.lower() in unknown:
            raise InvalidInput.one(f"input.followUps.{index}.ownerUsername",
                                   f"unknown staff member {item.owner_username!r}")


async def record_contact(
    session: AsyncSession, *, principal: Principal, scope: RowScope, customer_id: int, data: dict[str, Any],
    timezone: str,
) -> tuple[Customer, ServiceRecord]:
    """Record a contact with a customer in scope, its first version and its follow-ups."""
    draft = parse(ContactDraft, data)
    customer = await customer_in_scope(session, customer_id, scope)
    await _owners(session, draft.follow_ups)
    occurred_on = business_date(draft.occurred_at, timezone)
    for index, item in enumerate(draft.follow_ups):
        if item.due_on < occurred_on:
            raise InvalidInput.one(f"input.followUps.{index}.dueOn", "a follow-up falls due on or after the contact")
    now = utcnow()
    record = ServiceRecord(customer_id=customer.id, recorded_by=principal.sub, created_at=now, version=1,
                           **_fields(draft))
    session.add(record)
    await session.flush()
    session.add(ServiceRecordVersion(service_record_id=record.id, version=1, written_at=now,
                                     written_by=principal.sub, content=content_of(record)))
    session.add_all(
        ServiceFollowUp(service_record_id=record.id, customer_id=customer.id, action=item.action,
                        owner=item.owner_username.lower(), due_on=item.due_on, created_at=now)
        for item in draft.follow_ups
    )
    if record.kind in revisits.VERIFYING_KINDS:
        await revisits.refresh(session, customer, timezone)
    await session.flush()
    return customer, record


async def record_in_scope(session: AsyncSession, record_id: int, scope: RowScope, field: str) -> ServiceRecord:
    """A contact with a customer in scope; out of scope is NOT_FOUND, as missing is."""
    found = await session.scalar(within(
        select(ServiceRecord).join(Customer, Customer.id == ServiceRecord.customer_id)
        .where(ServiceRecord.id == record_id), scope))
    if found is None:
        raise NotFound("ServiceRecord", field=field)
    return found


async def correct_contact(
    session: AsyncSession, *, principal: Principal, scope: RowScope, record_id: int, expected_version: int,
    data: dict[str, Any], timezone: str,
) -> tuple[Customer, ServiceRecord]:
    """Write a new version of a contact (all its fields, and why); the earlier versions stay."""
    draft = parse(CorrectionDraft, data)
    record = await record_in_scope(session, record_id, scope, "input.id")
    if record.version != expected_version:
        raise Conflict("ServiceRecord", current_version=record.version)
    kept = await session.scalar(select(ServiceRecordVersion.id).where(
        ServiceRecordVersion.service_record_id == record.id, ServiceRecordVersion.version == record.version))
    if kept is None:  # a contact written before versions were kept: its first version is the row itself
        session.add(ServiceRecordVersion(service_record_id=record.id, version=record.version,
                                         written_at=record.created_at, written_by=record.recorded_by,
                                         content=content_of(record)))
    was_visit = record.kind in revisits.VERIFYING_KINDS
    now = utcnow()
    for name, value in _fields(draft).items():
        setattr(record, name, value)
    record.version += 1
    record.corrected_at, record.corrected_by = now, principal.sub
    session.add(ServiceRecordVersion(service_record_id=record.id, version=record.version, written_at=now,
                                     written_by=principal.sub, reason=draft.reason, content=content_of(record)))
    await session.flush()
    customer = await session.get_one(Customer, record.customer_id)
    if was_visit or record.kind in revisits.VERIFYING_KINDS:
        await revisits.refresh(session, customer, timezone)
    return customer, record


async def complete_follow_up(
    session: AsyncSession, *, principal: Principal, scope: RowScope, follow_up_id: int, note: str | None,
) -> ServiceFollowUp:
    """Mark a follow-up done, with what was done; done once only."""
    if note is not None:
        note = parse(_Note, {"note": note}).note
    found = await session.scalar(within(
        select(ServiceFollowUp).join(Customer, Customer.id == ServiceFollowUp.customer_id)
        .where(ServiceFollowUp.id == follow_up_id), scope).with_for_update(of=ServiceFollowUp))
    if found is None:
        raise NotFound("ServiceFollowUp", field="input.id")
    if found.done_at is not None:
        raise InvalidInput.one("input.id", f"done already, on {found.done_at.isoformat()} by {found.done_by}")
    found.done_at, found.done_by, found.done_note = utcnow(), principal.sub, note
    await session.flush()
    return found


class _Note(Command):
    note: LongText
