"""The external environment in the schema (R-I3): events, the reviews they open, and their assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from api.authz.policy import FieldAccess
from api.db.enums import ExternalEffect, ExternalEventKind
from api.db.models import ExternalReview as ReviewRow
from api.errors import InvalidInput
from api.services import external
from api.services.customer_rows import BRANCH_FILTER
from schema.authz import forbidden
from schema.comparisons import BooleanComparison, StringComparison
from schema.context import Info
from schema.convert import from_row, input_dict
from schema.customer_row_lists import count_customer_rows, customer_rows_connection
from schema.data_classes import classes, classified
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import OrderByArgument, PageAfter, PageBefore, PageFirst, PageLast, WhereArgument, decode_global_id
from schema.mutation_runner import run_mutation
from schema.reads import METADATA_KEY, Computed, Declarer, Lookup, TypeReads, declare
from schema.reference import described_enum
from schema.resolve import looked_up
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input
from schema.servicing.types import CUSTOMER

if TYPE_CHECKING:
    from schema.customer.types import Customer

described_enum(
    ExternalEventKind, name="ExternalEventKind", description="What happened outside the customers.",
    values={"POLICY_CHANGE": "A change of government or regulatory policy.",
            "MARKET_SHOCK": "A sudden change in a market: prices, demand, supply.", "OTHER": "Anything else."},
)
described_enum(
    ExternalEffect, name="ExternalEffect", description="How an external event affects a customer.",
    values={"NONE": "No material effect.", "POSITIVE": "It helps the customer.",
            "NEGATIVE": "It hurts the customer: watch it, and consider a revisit or a re-grade."},
)
ExternalEventKindEnum = ExternalEventKind
ExternalEffectEnum = ExternalEffect


@strawberry.type(description="An event outside the customers — a policy change, a market shock — and whom it touches.")
class ExternalEvent(relay.Node):
    id: relay.NodeID[int]
    kind: ExternalEventKindEnum = strawberry.field(description="What kind of event.")
    title: str = strawberry.field(description="A short title.")
    description: str = strawberry.field(description="What happened and why it matters.")
    occurred_on: date = strawberry.field(description="When it happened.")
    industry_prefixes: list[str] = strawberry.field(description="GB/T 4754 code prefixes it touches; empty: any.")
    branch_codes: list[str] = strawberry.field(description="Branches (regions) it touches; empty: any.")
    customers_touched: int | None = strawberry.field(
        description="How many customers (in the recorder's reach) got a review when it was recorded.",
        metadata=classes("profile"),
    )
    recorded_by: str = strawberry.field(description="Who recorded it (token `sub`).")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")


def event_of(row: Any) -> ExternalEvent:
    return from_row(ExternalEvent, row, industry_prefixes=list(row.industry_prefixes),
                    branch_codes=list(row.branch_codes))


EVENT_LIST = "Query.externalEvents"


async def external_event_node(info: Info, key: int) -> ExternalEvent | None:
    """``node(id:)`` of an external event: as readable as the list of events (``Query.externalEvents``)."""
    ctx = info.context
    if ctx.decisions.field(EVENT_LIST) is FieldAccess.DENIED:
        raise forbidden(ctx, EVENT_LIST, None)
    async with ctx.reading() as session:
        found = await external.events_by_id(session, [key])
    return event_of(found[key]) if key in found else None


EVENT = Lookup("event_id", lambda s, ids: external.events_by_id(s, list(ids)), event_of)
OPEN = Computed(("assessed_at",), lambda row, _: row.assessed_at is None)
_review = Declarer(ReviewRow.__table__)


@classified("servicing")
@strawberry.type(description="A customer an external event touches: open until its relationship manager assesses "
                 "the effect.")
class ExternalReview(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    event_id: strawberry.Private[int]
    created_at: datetime = strawberry.field(description="When the event was recorded and the review opened.")
    effect: ExternalEffectEnum | None = strawberry.field(description="The assessed effect; null while open.")
    assessment: str | None = strawberry.field(description="Why: the relationship manager's assessment.")
    assessed_by: str | None = strawberry.field(description="Who assessed it (token `sub`).")
    assessed_at: datetime | None = strawberry.field(description="When it was assessed.")

    @strawberry.field(
        description="True until the effect is assessed.",
        metadata=declare(OPEN, "servicing", filters=[_review.filter(
            "open", BooleanComparison, "Not yet assessed (true) or assessed (false).", external.OPEN_FILTER,
        )]),
    )
    def open(self) -> bool:
        return OPEN.value(self, None)  # type: ignore[no-any-return]

    @strawberry.field(description="The event.", metadata=declare(EVENT, "servicing"))
    async def event(self, info: Info) -> ExternalEvent | None:
        return await looked_up(info, EVENT, self)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customer it touches.",
        metadata=declare(CUSTOMER, "servicing", filters=[_review.filter(
            "branch_code", StringComparison, "The customer's branch code.", BRANCH_FILTER,
        )]),
    )
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]


def review_of(row: Any) -> ExternalReview:
    return from_row(ExternalReview, row)


REVIEW_READS = TypeReads.of(ExternalReview, node_id=_review.column("id", "servicing", sort=True)[METADATA_KEY])
ExternalReviewWhere = where_input(REVIEW_READS, "ExternalReviewWhere", "Which reviews: every given condition must "
                                  "hold.", __name__)
ExternalReviewOrderBy = order_input(REVIEW_READS, "ExternalReviewOrderBy", "One sort key: set exactly one field.",
                                    __name__)
REVIEW_SEARCH = searchable(REVIEW_READS)
REVIEW_COORDINATES = revealed_coordinates(REVIEW_READS)


@strawberry.type(description="A page of reviews of external events (Relay connection, keyset-paginated).")
class ExternalReviewConnection(relay.Connection[ExternalReview]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many reviews match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(info, external.REVIEWS, search=REVIEW_SEARCH, customer_id=self.customer_id,
                                         where=self.where)


@strawberry.input(description="An event outside the customers, and whom it touches.")
class RecordExternalEventInput:
    kind: ExternalEventKindEnum = strawberry.field(description="What kind of event.")
    title: str = strawberry.field(description="A short title (1–200 characters).")
    description: str = strawberry.field(description="What happened and why it matters (1–4000 characters).")
    occurred_on: date = strawberry.field(description="When it happened; not in the future.")
    industry_prefixes: list[str] = strawberry.field(
        default_factory=list, description="GB/T 4754 code prefixes it touches (e.g. `C34`, `K`); empty: any industry."
    )
    branch_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Branches (regions) it touches; empty: any. Give industries, branches or both.",
    )


@strawberry.input(description="The effect of an external event on one customer.")
class AssessExternalEffectInput:
    id: strawberry.ID = strawberry.field(description="The review (`ExternalReview.id`), still open.")
    effect: ExternalEffectEnum = strawberry.field(description="None, positive or negative.")
    assessment: str = strawberry.field(description="Why (1–4000 characters).")


@strawberry.type(description="The event as recorded, with how many customers got a review.")
class ExternalEventPayload:
    external_event: ExternalEvent = strawberry.field(description="The event.")


@strawberry.type(description="The review, assessed.")
class ExternalReviewPayload:
    external_review: ExternalReview | None = strawberry.field(
        description="The review; null (with an error) for a caller who may not read it."
    )


ExternalEventResult = Annotated[
    ExternalEventPayload | InvalidInputError | ConflictError,
    strawberry.union("ExternalEventResult", description="The recorded event, or why nothing was recorded."),
]
ExternalReviewResult = Annotated[
    ExternalReviewPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ExternalReviewResult", description="The assessed review, or why nothing changed."),
]


@strawberry.type
class ExternalQuery:
    @strawberry.field(description="External events, newest first.")
    async def external_events(
        self, info: Info,
        limit: Annotated[int, strawberry.argument(description="How many, newest first (1–500).")] = 50,
    ) -> list[ExternalEvent] | None:
        if not 1 <= limit <= 500:
            raise InvalidInput.one("limit", "must be between 1 and 500")
        async with info.context.reading() as session:
            return [event_of(row) for row in await external.events(session, limit=limit)]

    @strawberry.field(
        description="Reviews of external events for customers in your reach, newest first: e.g. the open ones "
        "(`{open: {_eq: true}}`) a relationship manager still has to assess."
    )
    async def external_reviews(
        self, info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[ExternalReviewWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[ExternalReviewOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> ExternalReviewConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, external.REVIEWS, type_name="ExternalReview", search=REVIEW_SEARCH, revealed=REVIEW_COORDINATES,
            connection=ExternalReviewConnection, build=review_of, customer_id=customer_id, where=where,
            order_by=order_by, first=first, after=after, last=last, before=before,
        )


@strawberry.type
class ExternalMutation:
    @strawberry.mutation(
        description="Record an external event against industries and/or branches: every customer in your reach "
        "it touches gets a review until its relationship manager assesses the effect."
    )
    async def record_external_event(
        self, info: Info, input: Annotated[RecordExternalEventInput, strawberry.argument(description="The event.")]
    ) -> ExternalEventResult:
        ctx = info.context

        async def act(session: AsyncSession) -> ExternalEventPayload:
            event = await external.record_event(session, principal=ctx.principal, scope=ctx.scope,
                                                data=input_dict(input))
            return ExternalEventPayload(external_event=event_of(event))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Record the assessed effect of an external event on a customer.")
    async def assess_external_effect(
        self, info: Info, input: Annotated[AssessExternalEffectInput, strawberry.argument(description="The effect.")]
    ) -> ExternalReviewResult:
        ctx = info.context
        data = input_dict(input)
        raw_id = data.pop("id")

        async def act(session: AsyncSession) -> ExternalReviewPayload:
            review_id = decode_global_id(raw_id, "ExternalReview", "input.id")
            review = await external.assess_effect(session, principal=ctx.principal, scope=ctx.scope,
                                                  review_id=review_id, data=data)
            return ExternalReviewPayload(external_review=review_of(review))

        return await run_mutation(info, act)
