"""Credit applications in the schema (R-S2): the application with its moves and the treatment its
approver weighs, and the reviewers' queue at the root (green channel first, then by the day due)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.db.enums import ApplicationStatus
from api.db.models import CreditApplication as ApplicationRow
from api.services import application_reads, applications
from api.services.customer_rows import BRANCH_FILTER
from schema.comparisons import BooleanComparison, DateComparison, StringComparison, enum_comparison
from schema.context import Info
from schema.convert import from_row
from schema.customer_row_lists import count_customer_rows, customer_rows_connection
from schema.data_classes import classified
from schema.ids import OrderByArgument, PageAfter, PageBefore, PageFirst, PageLast, WhereArgument
from schema.reads import METADATA_KEY, Computed, Declarer, Related, TypeReads, declare
from schema.reference import described_enum
from schema.resolve import looked_up, related
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input
from schema.servicing.types import CUSTOMER

if TYPE_CHECKING:
    from schema.customer.types import Customer

CREDIT = "credit"
described_enum(
    ApplicationStatus, name="ApplicationStatus",
    description="Where a credit application is: submitted → under review → approved, rejected or withdrawn.",
    values={
        "SUBMITTED": "Recorded; waiting for a reviewer.",
        "UNDER_REVIEW": "A reviewer has taken it.",
        "APPROVED": "Approved: it can be booked as a facility.",
        "REJECTED": "Rejected, with the reason.",
        "WITHDRAWN": "Withdrawn by the applicant, with the reason.",
    },
)
ApplicationStatusEnum = ApplicationStatus
ApplicationStatusComparison = enum_comparison(ApplicationStatusEnum, "ApplicationStatusComparison",
                                              "an application's status")
_application = Declarer(ApplicationRow.__table__)


@strawberry.type(description="Collateral offered with an application.")
class CollateralOffered:
    kind: str = strawberry.field(description="What it is, e.g. `real_estate`, `receivables`, `equipment`.")
    description: str = strawberry.field(description="Which asset.")
    value: Decimal = strawberry.field(description="Its value, in the application's currency.")


@strawberry.type(description="A guarantee offered with an application.")
class GuaranteeOffered:
    guarantor: str = strawberry.field(description="Who guarantees.")
    amount: Decimal = strawberry.field(description="Up to how much, in the application's currency.")


@classified(CREDIT)
@strawberry.type(description="One move of an application between states: kept for ever.")
class ApplicationStep:
    from_status: ApplicationStatusEnum | None = strawberry.field(description="The state before; null at submission.")
    to_status: ApplicationStatusEnum = strawberry.field(description="The state after.")
    at: datetime = strawberry.field(description="When.")
    by: str = strawberry.field(description="Who (token `sub`).")
    note: str | None = strawberry.field(description="What was said with it.")


@classified(CREDIT)
@strawberry.type(description="What the applicant's grade (at submission) means for this application, and what "
                 "approving the amount applied for would go against.")
class ApplicationTreatment:
    grade: str | None = strawberry.field(description="The grade at submission; null when not graded.")
    limit_policy: str | None = strawberry.field(description="The grade's credit-limit policy.")
    rate_adjustment_bps: int | None = strawberry.field(description="The grade's rate adjustment, in basis points.")
    mitigation_required: bool | None = strawberry.field(description="Whether collateral or guarantees are required.")
    exposure_cap: Decimal | None = strawberry.field(
        description="The most the grade allows with the running facilities: its multiple of the latest annual "
        "equity, in the application's currency; null when it cannot be known.")
    existing_limits: Decimal = strawberry.field(
        description="Limits of the applicant's running facilities in the application's currency.")
    needs_exception: list[str] = strawberry.field(
        description="What approving the amount applied for goes against: each needs an exception reason.")


def _treatment(weighing: Any) -> ApplicationTreatment:
    treatment = weighing.treatment
    return ApplicationTreatment(
        grade=treatment.grade if treatment else None, limit_policy=treatment.limit_policy if treatment else None,
        rate_adjustment_bps=treatment.rate_adjustment_bps if treatment else None,
        mitigation_required=treatment.mitigation_required if treatment else None,
        exposure_cap=weighing.exposure_cap, existing_limits=weighing.existing_limits,
        needs_exception=list(weighing.reasons_for_exception),
    )


STEPS = Related("id", application_reads.steps_of, lambda row, _: from_row(ApplicationStep, row))
TREATMENT = Related("id", application_reads.weighings, lambda weighing, _: _treatment(weighing), single=True)


def collateral_of(stored: Any) -> list[CollateralOffered]:
    """The collateral offered, from its stored JSON list."""
    return [CollateralOffered(kind=c["kind"], description=c["description"], value=Decimal(c["value"]))
            for c in stored or ()]


def guarantees_of(stored: Any) -> list[GuaranteeOffered]:
    """The guarantees offered, from their stored JSON list."""
    return [GuaranteeOffered(guarantor=g["guarantor"], amount=Decimal(g["amount"])) for g in stored or ()]


# The offers as stored: the row's JSON columns on the planned path, the object's copies on the resolvers.
COLLATERAL = Computed(("collateral",), lambda row, _: collateral_of(row.collateral))
GUARANTEES = Computed(("guarantees",), lambda row, _: guarantees_of(row.guarantees))
OVERDUE = Computed(("status", "due_on"),
                   lambda row, ctx: row.status in applications.OPEN and row.due_on < ctx.today)
DAYS_LEFT = Computed(("status", "due_on"),
                     lambda row, ctx: (row.due_on - ctx.today).days if row.status in applications.OPEN else None)


@classified(CREDIT)
@strawberry.type(
    description="A credit application: what is asked for and offered, its approval deadline (from the applicant's "
    "grade; the green channel for premium customers), and where its review is."
)
class CreditApplication(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    collateral_rows: strawberry.Private[list[dict[str, Any]]]
    guarantee_rows: strawberry.Private[list[dict[str, Any]]]
    product: str = strawberry.field(description="The product applied for.")
    amount: Decimal = strawberry.field(description="The amount applied for.")
    currency: str = strawberry.field(description="ISO 4217 code of every amount of the application.")
    term_months: int = strawberry.field(description="The term applied for, in months.")
    purpose: str = strawberry.field(description="What the credit is for.")
    status: ApplicationStatusEnum | None = strawberry.field(
        description="Where it is.",
        metadata=_application.column("status", CREDIT, where=(ApplicationStatusComparison, "The status.")),
    )
    grade: str | None = strawberry.field(description="The applicant's grade when it applied (null: not graded).")
    green_channel: bool | None = strawberry.field(
        description="Whether it takes the green channel: a shorter deadline and first in the reviewers' queue.",
        metadata=_application.column("green_channel", CREDIT, where=(BooleanComparison, "In the green channel."),
                                     sort=True, sort_description="Sort by the green channel, those in it first when "
                                     "descending."),
    )
    received_on: date = strawberry.field(description="The lender's day it came in.")
    due_on: date | None = strawberry.field(
        description="The day a decision is due: the grade's approval days after it came in.",
        metadata=_application.column("due_on", CREDIT, where=(DateComparison, "The day due."), sort=True),
    )
    submitted_at: datetime = strawberry.field(description="When it was submitted.")
    submitted_by: str = strawberry.field(description="Who submitted it.")
    reviewer: str | None = strawberry.field(description="Who reviews it.")
    decided_on: date | None = strawberry.field(description="The day it was approved, rejected or withdrawn.")
    decided_by: str | None = strawberry.field(description="Who decided.")
    decision_note: str | None = strawberry.field(description="What was said with the decision.")
    exception_reason: str | None = strawberry.field(description="Why it was approved against its treatment.")
    approved_amount: Decimal | None = strawberry.field(description="The amount approved.")
    approved_rate: Decimal | None = strawberry.field(description="The yearly rate approved, as a fraction.")
    version: int = strawberry.field(description="Pass it back with the next step (optimistic concurrency).")

    @strawberry.field(description="Collateral offered.", metadata=declare(COLLATERAL, CREDIT))
    def collateral(self) -> list[CollateralOffered]:
        return collateral_of(self.collateral_rows)

    @strawberry.field(description="Guarantees offered.", metadata=declare(GUARANTEES, CREDIT))
    def guarantees(self) -> list[GuaranteeOffered]:
        return guarantees_of(self.guarantee_rows)

    @strawberry.field(
        description="Open and past the day due (as of the lender's today).",
        metadata=declare(OVERDUE, CREDIT, filters=[_application.filter(
            "overdue", BooleanComparison, "Open and past the day due (true), or not (false).",
            application_reads.OVERDUE_FILTER)]),
    )
    def overdue(self, info: Info) -> bool:
        return OVERDUE.value(self, info.context)  # type: ignore[no-any-return]

    @strawberry.field(description="Days left to the day due (negative when overdue); null once decided.",
                      metadata=declare(DAYS_LEFT, CREDIT))
    def days_left(self, info: Info) -> int | None:
        return DAYS_LEFT.value(self, info.context)  # type: ignore[no-any-return]

    @strawberry.field(description="Every move, the first first.", metadata=declare(STEPS, CREDIT))
    async def steps(self, info: Info) -> list[ApplicationStep] | None:
        return await related(info, STEPS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="The treatment of the applicant's grade, as the approver weighs it.",
                      metadata=declare(TREATMENT, CREDIT))
    async def treatment(self, info: Info) -> ApplicationTreatment | None:
        return await related(info, TREATMENT, self)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The applicant.",
        metadata=declare(CUSTOMER, CREDIT, filters=[_application.filter(
            "branch_code", StringComparison, "The applicant's branch code.", BRANCH_FILTER)]),
    )
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]


def application_of(row: Any) -> CreditApplication:
    return from_row(CreditApplication, row, collateral_rows=list(row.collateral or ()),
                    guarantee_rows=list(row.guarantees or ()))


APPLICATION_READS = TypeReads.of(
    CreditApplication, node_id=_application.column("id", CREDIT, sort=True)[METADATA_KEY])
CreditApplicationWhere = where_input(
    APPLICATION_READS, "CreditApplicationWhere", "Which applications: every given condition must hold.", __name__)
CreditApplicationOrderBy = order_input(
    APPLICATION_READS, "CreditApplicationOrderBy", "One sort key: set exactly one field.", __name__)
APPLICATION_SEARCH = searchable(APPLICATION_READS)
APPLICATION_COORDINATES = revealed_coordinates(APPLICATION_READS)


@strawberry.type(description="A page of credit applications (Relay connection, keyset-paginated).")
class CreditApplicationConnection(relay.Connection[CreditApplication]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many applications match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(info, application_reads.APPLICATIONS, search=APPLICATION_SEARCH,
                                         customer_id=self.customer_id, where=self.where)


@strawberry.type
class ApplicationQuery:
    @strawberry.field(
        description="Credit applications of customers in your reach, as the reviewers' queue unless `orderBy` says: "
        "the green channel first, then by the day due. Open ones: `where: {status: {_in: [SUBMITTED, "
        "UNDER_REVIEW]}}`; past their deadline: `{overdue: {_eq: true}}`."
    )
    async def credit_applications(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[CreditApplicationWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[CreditApplicationOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> CreditApplicationConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, application_reads.APPLICATIONS, type_name="CreditApplication", search=APPLICATION_SEARCH,
            revealed=APPLICATION_COORDINATES, connection=CreditApplicationConnection, build=application_of,
            customer_id=customer_id, where=where, order_by=order_by, first=first, after=after, last=last,
            before=before,
        )
