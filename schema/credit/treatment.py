"""The treatment's actions in the schema (R-G1, R-G2): the tasks a grade's treatment raises (as shipped,
for a D-grade customer: an exposure reduction plan with its target balance and day, and early recall
decisions), each owner's worklist at the root, and how far each owner has come."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.db.enums import TreatmentActionKind, TreatmentActionStatus
from api.db.models import TreatmentAction as ActionRow
from api.services import treatment_actions, treatment_reads
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
    TreatmentActionKind, name="TreatmentActionKind", description="What a grade's treatment asks to be done.",
    values={
        "EXPOSURE_REDUCTION": "Draw up and carry out a plan bringing the customer's balance down to a target by a "
        "day (`planExposureReduction`).",
        "EARLY_RECALL": "Decide, facility by facility, whether to recall it early (`decideEarlyRecall`).",
    },
)
described_enum(
    TreatmentActionStatus, name="TreatmentActionStatus",
    description="Where a task stands: open → in progress → done; withdrawn when the grade leaves the treatment.",
    values={
        "OPEN": "Raised; nothing recorded yet.",
        "IN_PROGRESS": "A plan or a decision is recorded; not done yet.",
        "DONE": "Done by its owner, with what was done.",
        "WITHDRAWN": "No longer asked for: the customer's grade left the treatment that raised it.",
    },
)
TreatmentActionKindEnum = TreatmentActionKind
TreatmentActionStatusEnum = TreatmentActionStatus
TreatmentActionKindComparison = enum_comparison(TreatmentActionKindEnum, "TreatmentActionKindComparison",
                                                "a task's kind")
TreatmentActionStatusComparison = enum_comparison(TreatmentActionStatusEnum, "TreatmentActionStatusComparison",
                                                  "a task's status")
_action = Declarer(ActionRow.__table__)


DECIDED_FACILITY = Computed(("facility_id",), lambda row, _: relay.GlobalID("CreditFacility", str(row.facility_id)))


@classified(CREDIT)
@strawberry.type(description="Whether to recall one facility early, as decided for an early recall task.")
class RecallDecision:
    facility_id: strawberry.Private[int]
    recall: bool = strawberry.field(description="True: the facility is recalled early; false: it runs on.")
    amount: Decimal | None = strawberry.field(description="The principal called in, in the facility's currency.")
    recall_on: date | None = strawberry.field(description="By which day it is called in.")
    reason: str = strawberry.field(description="Why.")
    decided_at: datetime = strawberry.field(description="When it was decided.")
    decided_by: str = strawberry.field(description="Who decided (token `sub`).")

    @strawberry.field(description="The facility decided on (`CreditFacility.id`).",
                      metadata=declare(DECIDED_FACILITY, CREDIT))
    def facility(self) -> relay.GlobalID:
        return DECIDED_FACILITY.value(self, None)  # type: ignore[no-any-return]


@classified(CREDIT)
@strawberry.type(description="How far an exposure reduction plan has come, from the running facilities' balances.")
class ExposureProgress:
    current_balance: Decimal = strawberry.field(
        description="Principal outstanding now on the customer's running facilities in the plan's currency.")
    percent_done: Decimal | None = strawberry.field(
        description="Share of the planned reduction achieved, 0–100: (baseline − current) ÷ (baseline − target).")
    target_met: bool = strawberry.field(description="True once the balance is at or below the target.")


def _progress(row: Any) -> ExposureProgress:
    action, current = row
    return ExposureProgress(
        current_balance=current,
        percent_done=treatment_actions.progress_percent(action.baseline_balance, action.target_balance, current),
        target_met=action.target_balance is not None and current <= action.target_balance,
    )


DECISIONS = Related("id", treatment_reads.decisions_of, lambda row, _: from_row(RecallDecision, row))
PROGRESS = Related("id", treatment_reads.plan_progress, lambda row, _: _progress(row), single=True)
OVERDUE = Computed(("status", "due_on"),
                   lambda row, ctx: treatment_reads.is_overdue(row.status, row.due_on, ctx.today))


@classified(CREDIT)
@strawberry.type(
    description="A task a grade's treatment asks for, raised when the customer came to that grade (as shipped, D: "
    "an exposure reduction plan and early recall decisions), owned by its relationship manager."
)
class TreatmentAction(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    kind: TreatmentActionKindEnum | None = strawberry.field(
        description="What is to be done.",
        metadata=_action.column("kind", CREDIT, where=(TreatmentActionKindComparison, "The kind.")),
    )
    title: str = strawberry.field(description="The task as the treatment words it.")
    grade: str = strawberry.field(description="The grade whose treatment raised it.")
    treatment_version: str = strawberry.field(description="The version of the grade treatments that raised it.")
    raised_at: datetime = strawberry.field(description="When it was raised (the grade came into force).")
    raised_by: str = strawberry.field(description="What raised it: `grading:<strategy>`.")
    due_on: date | None = strawberry.field(
        description="The day it is due (the treatment's days after it was raised).",
        metadata=_action.column("due_on", CREDIT, where=(DateComparison, "The day due."), sort=True),
    )
    owner: str | None = strawberry.field(
        description="Who carries it out: the customer's relationship manager (username) when it was raised.",
        metadata=_action.column("owner", CREDIT, where=(StringComparison, "The owner's username."), sort=True),
    )
    status: TreatmentActionStatusEnum | None = strawberry.field(
        description="Where it stands.",
        metadata=_action.column("status", CREDIT, where=(TreatmentActionStatusComparison, "The status.")),
    )
    currency: str | None = strawberry.field(description="The exposure reduction plan's currency.")
    baseline_balance: Decimal | None = strawberry.field(
        description="The balance the plan starts from: the running facilities' principal outstanding when first "
        "planned.")
    target_balance: Decimal | None = strawberry.field(description="The balance the plan brings it down to.")
    target_on: date | None = strawberry.field(description="By which day.")
    plan: str | None = strawberry.field(description="How: the plan as written.")
    planned_at: datetime | None = strawberry.field(description="When the plan was last recorded.")
    planned_by: str | None = strawberry.field(description="Who recorded it.")
    closed_at: datetime | None = strawberry.field(description="When it was done or withdrawn.")
    closed_on: date | None = strawberry.field(description="The lender's day it was done or withdrawn.")
    closed_by: str | None = strawberry.field(description="Who did it (`grading` when withdrawn).")
    closing_note: str | None = strawberry.field(description="What was done, or why it was withdrawn.")
    version: int = strawberry.field(description="Pass it back with the next change (optimistic concurrency).")

    @strawberry.field(
        description="Open or in progress past the day due (as of the lender's today).",
        metadata=declare(OVERDUE, CREDIT, filters=[_action.filter(
            "overdue", BooleanComparison, "Open past the day due (true), or not (false).",
            treatment_reads.OVERDUE_FILTER)]),
    )
    def overdue(self, info: Info) -> bool:
        return OVERDUE.value(self, info.context)  # type: ignore[no-any-return]

    @strawberry.field(
        description="An exposure reduction plan's progress against the balances now; null before it is planned.",
        metadata=declare(PROGRESS, CREDIT),
    )
    async def progress(self, info: Info) -> ExposureProgress | None:
        return await related(info, PROGRESS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="An early recall task's decisions, the first first.",
                      metadata=declare(DECISIONS, CREDIT))
    async def recall_decisions(self, info: Info) -> list[RecallDecision] | None:
        return await related(info, DECISIONS, self)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customer.",
        metadata=declare(CUSTOMER, CREDIT, filters=[_action.filter(
            "branch_code", StringComparison, "The customer's branch code.", BRANCH_FILTER)]),
    )
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]


def action_of(row: Any) -> TreatmentAction:
    return from_row(TreatmentAction, row)


ACTION_READS = TypeReads.of(TreatmentAction, node_id=_action.column("id", CREDIT, sort=True)[METADATA_KEY])
TreatmentActionWhere = where_input(
    ACTION_READS, "TreatmentActionWhere", "Which tasks: every given condition must hold.", __name__)
TreatmentActionOrderBy = order_input(
    ACTION_READS, "TreatmentActionOrderBy", "One sort key: set exactly one field.", __name__)
ACTION_SEARCH = searchable(ACTION_READS)
ACTION_COORDINATES = revealed_coordinates(ACTION_READS)


@strawberry.type(description="A page of treatment tasks (Relay connection, keyset-paginated).")
class TreatmentActionConnection(relay.Connection[TreatmentAction]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many tasks match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(info, treatment_reads.ACTIONS, search=ACTION_SEARCH,
                                         customer_id=self.customer_id, where=self.where)


@strawberry.type(description="How far one owner has come with the treatment tasks in your reach.")
class TreatmentProgress:
    owner: str | None = strawberry.field(description="The owner (username); null for tasks of no one.")
    open: int = strawberry.field(description="Tasks raised with nothing recorded yet.")
    in_progress: int = strawberry.field(description="Tasks with a plan or decision recorded, not done yet.")
    done: int = strawberry.field(description="Tasks done.")
    withdrawn: int = strawberry.field(description="Tasks withdrawn because the grade changed.")
    overdue: int = strawberry.field(description="Open or in progress past the day due.")
    done_on_time: int = strawberry.field(description="Done by the day due.")


@strawberry.type
class TreatmentQuery:
    @strawberry.field(
        description="The treatment's tasks for customers in your reach, soonest due first unless `orderBy` says: "
        "one owner's worklist is `where: {owner: {_eq: \"alice\"}, status: {_in: [OPEN, IN_PROGRESS]}}`, those "
        "late `{overdue: {_eq: true}}`."
    )
    async def treatment_actions(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[TreatmentActionWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[TreatmentActionOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> TreatmentActionConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, treatment_reads.ACTIONS, type_name="TreatmentAction", search=ACTION_SEARCH,
            revealed=ACTION_COORDINATES, connection=TreatmentActionConnection, build=action_of,
            customer_id=customer_id, where=where, order_by=order_by, first=first, after=after, last=last,
            before=before,
        )

    @strawberry.field(
        description="Each owner's treatment tasks by where they stand, over the customers in your reach (a "
        "branch manager's: the branch's), the owners in name order."
    )
    async def treatment_progress(self, info: Info) -> list[TreatmentProgress] | None:
        ctx = info.context
        async with ctx.reading() as session:
            rows = await treatment_reads.progress_by_owner(session, scope=ctx.scope, today=ctx.today)
        return [TreatmentProgress(owner=row.owner, open=row.open, in_progress=row.in_progress, done=row.done,
                                  withdrawn=row.withdrawn, overdue=row.overdue, done_on_time=row.done_on_time)
                for row in rows]
