"""The external environment (R-I3): record an event against industries and branches; every customer
it touches (within the recorder's reach) gets a review until its relationship manager assesses the
effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, cast

from pydantic import Field, field_validator, model_validator
from sqlalchemy import CursorResult, Select, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_today
from api.db.base import table_of, utcnow
from api.db.enums import ExternalEffect, ExternalEventKind
from api.db.models import Branch, Customer, ExternalEvent, ExternalReview
from api.errors import InvalidInput, NotFound
from api.principal import Principal
from api.services.customer_rows import CustomerRows
from api.services.filtering import FilterSql
from api.services.information_reads import newest_per_customer
from api.services.scope import RowScope, within
from api.services.validation import Command, LongText, ShortText, parse

_PREFIX = Annotated[str, Field(pattern=r"^[A-T][0-9]{0,4}$")]
REVIEWS = CustomerRows(ExternalReview, (("id", True),))


class EventDraft(Command):
    kind: ExternalEventKind
    title: ShortText
    description: LongText
    occurred_on: date
    industry_prefixes: Annotated[list[_PREFIX], Field(max_length=100)] = Field(default_factory=list)
    branch_codes: Annotated[list[ShortText], Field(max_length=100)] = Field(default_factory=list)

    @field_validator("occurred_on")
    @classmethod
    def _not_ahead(cls, value: date) -> date:
        if value > business_today():
            raise ValueError("an event is recorded once it has happened")
        return value

    @model_validator(mode="after")
    def _some_reach(self) -> EventDraft:
        if not self.industry_prefixes and not self.branch_codes:
            raise ValueError("name the industries (GB/T 4754 prefixes) or the branches the event touches, or both")
        return self


class AssessmentDraft(Command):
    effect: ExternalEffect
    assessment: LongText


def touched(draft: EventDraft, scope: RowScope) -> Select[Any]:
    """The ids of the customers in ``scope`` an event of ``draft`` touches: in one of its industries
    (when it names any) and at one of its branches (when it names any)."""
    stmt = select(Customer.id)
    if draft.industry_prefixes:
        stmt = stmt.where(or_(*(Customer.industry_code.startswith(p) for p in dict.fromkeys(draft.industry_prefixes))))
    if draft.branch_codes:
        stmt = stmt.where(Customer.branch_code.in_(draft.branch_codes))
    return within(stmt, scope)


async def record_event(
    session: AsyncSession, *, principal: Principal, scope: RowScope, data: dict[str, Any]
) -> ExternalEvent:
    """Record the event and open a review for every customer in reach it touches (one statement)."""
    draft = parse(EventDraft, data)
    known = set((await session.scalars(select(Branch.code).where(Branch.code.in_(draft.branch_codes)))).all())
    for index, code in enumerate(draft.branch_codes):
        if code not in known:
            raise InvalidInput.one(f"input.branchCodes.{index}", f"unknown branch {code!r}")
    event = ExternalEvent(**draft.model_dump(), customers_touched=0, recorded_by=principal.sub, recorded_at=utcnow())
    session.add(event)
    await session.flush()
    customers = touched(draft, scope).subquery()
    review = table_of(ExternalReview)
    result = cast(CursorResult[Any], await session.execute(
        insert(review).from_select(
            ["event_id", "customer_id", "created_at"],
            select(literal(event.id), customers.c.id, literal(event.recorded_at, review.c.created_at.type)),
        )
    ))
    event.customers_touched = int(result.rowcount or 0)
    await session.flush()
    return event


async def assess_effect(
    session: AsyncSession, *, principal: Principal, scope: RowScope, review_id: int, data: dict[str, Any]
) -> ExternalReview:
    """Record the assessed effect on the customer; a review is assessed once."""
    draft = parse(AssessmentDraft, data)
    review = await session.scalar(within(
        select(ExternalReview).join(Customer, Customer.id == ExternalReview.customer_id)
        .where(ExternalReview.id == review_id), scope).with_for_update(of=ExternalReview))
    if review is None:
        raise NotFound("ExternalReview", field="input.id")
    if review.assessed_at is not None:
        raise InvalidInput.one("input.id", f"assessed already, by {review.assessed_by}")
    review.effect, review.assessment = draft.effect, draft.assessment
    review.assessed_by, review.assessed_at = principal.sub, utcnow()
    await session.flush()
    return review


async def events(session: AsyncSession, *, limit: int) -> Sequence[ExternalEvent]:
    """The newest events first."""
    return (await session.scalars(
        select(ExternalEvent).order_by(ExternalEvent.occurred_on.desc(), ExternalEvent.id.desc()).limit(limit)
    )).all()


async def events_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, ExternalEvent]:
    return {row.id: row for row in await session.scalars(select(ExternalEvent).where(ExternalEvent.id.in_(ids)))}


async def reviews_of(session: AsyncSession, ids: Sequence[int], limit: int) -> dict[int, list[Any]]:
    """Each customer's newest ``limit`` reviews, open ones first."""
    order = (ExternalReview.assessed_at.is_not(None), ExternalReview.id.desc())
    return await newest_per_customer(session, ExternalReview, ids, order=order, limit=limit)


def open_condition(wanted: bool) -> Any:
    """Reviews still open (``wanted``) or assessed."""
    return ExternalReview.assessed_at.is_(None) if wanted else ExternalReview.assessed_at.is_not(None)


OPEN_FILTER = FilterSql(custom=lambda op, wanted, ctx: open_condition(bool(wanted)))
