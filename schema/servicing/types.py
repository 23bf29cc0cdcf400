"""Service contacts, their versions and follow-ups as the schema shows them (R-S1 … R-S3).

Each field declares how it reads and which ``where``/``orderBy`` fields it answers
(``schema.reads``): the root lists' inputs and SQL are derived from those declarations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.db.enums import InfoGroup, ServiceChannel, ServiceKind, ServiceStage
from api.db.models import ServiceFollowUp as FollowUpRow
from api.db.models import ServiceRecord as RecordRow
from api.services import customers, servicing_reads
from api.services.customer_rows import BRANCH_FILTER
from api.services.pagination import ParentPage
from schema.comparisons import BooleanComparison, DateComparison, DateTimeComparison, StringComparison, enum_comparison
from schema.context import Info
from schema.convert import from_row
from schema.data_classes import classified
from schema.ids import page_info
from schema.reads import METADATA_KEY, Computed, Count, Declarer, Lookup, Related, TypeReads, declare
from schema.reference import InfoGroupEnum, described_enum
from schema.resolve import counted, looked_up, related

if TYPE_CHECKING:
    from schema.customer.types import Customer

# strawberry.enum() registers the GraphQL enum on the class itself and returns it: the aliases are
# those same classes, spelled so that type checkers accept them as types.
described_enum(
    ServiceStage, name="ServiceStage", description="When the contact happened: before, during or after the loan.",
    values={
        "PRE_LOAN": "Before a loan: from the first contact to the decision.",
        "IN_LOAN": "While a loan is being granted: approval, contract and disbursement.",
        "POST_LOAN": "After disbursement: revisits, monitoring and collection.",
    },
)
described_enum(
    ServiceKind, name="ServiceKind",
    description="What the contact was, from needs analysis before a loan to revisits after it.",
    values={
        "NEEDS_ANALYSIS": "Finding out what financing the customer needs.",
        "POLICY_EXPLANATION": "Explaining the lender's credit policy and products.",
        "PROFESSIONAL_GUIDANCE": "Advice on preparing an application or on financial management.",
        "APPROVAL_PROGRESS": "Telling the customer how the approval of an application is going.",
        "CONTRACT_SIGNING": "Signing the loan contract.",
        "REVISIT": "A scheduled revisit, as the grade's treatment requires: it restarts the revisit schedule.",
        "RISK_WARNING": "Warning the customer of a risk seen in its business or repayments.",
        "VALUE_ADDED_SERVICE": "A service beyond credit, such as settlement or advisory services.",
        "SITE_VISIT": "A visit to the customer's premises outside the revisit schedule (e.g. due diligence).",
        "WARNING_FOLLOW_UP": "Following up an early warning with the customer.",
        "TRAINING": "Training the customer's staff (a value-added service).",
        "MARKET_INFORMATION": "Sharing market or industry information (a value-added service).",
        "SUPPLY_CHAIN_FINANCE": "Supply-chain finance for the customer's buyers or suppliers (a value-added service).",
    },
)
described_enum(
    ServiceChannel, name="ServiceChannel", description="How the contact was made.",
    values={
        "ON_SITE": "At the customer's premises.",
        "AT_BRANCH": "At the lender's branch.",
        "PHONE": "By telephone.",
        "VIDEO": "By video call.",
        "EMAIL": "By e-mail.",
        "ONLINE": "Through an online banking or messaging platform.",
        "LETTER": "By letter.",
    },
)
ServiceStageEnum = ServiceStage
ServiceKindEnum = ServiceKind
ServiceChannelEnum = ServiceChannel

ServiceStageComparison = enum_comparison(ServiceStageEnum, "ServiceStageComparison", "a contact's stage")
ServiceKindComparison = enum_comparison(ServiceKindEnum, "ServiceKindComparison", "a contact's kind")
ServiceChannelComparison = enum_comparison(
    ServiceChannelEnum, "ServiceChannelComparison", "a contact's channel", nullable=True
)

_record = Declarer(RecordRow.__table__)
_follow_up = Declarer(FollowUpRow.__table__)


OVERDUE = Computed(("due_on", "done_at"), lambda row, ctx: row.done_at is None and row.due_on < ctx.today)
DONE = Computed(("done_at",), lambda row, _: row.done_at is not None)


@classified("servicing")
@strawberry.type(
    description="An action agreed in a service contact, owned by a member of staff, due on a day."
)
class ServiceFollowUp(relay.Node):
    id: relay.NodeID[int]
    action: str = strawberry.field(description="What is to be done.")
    owner: str = strawberry.field(
        description="Who owns it (a staff member's username).",
        metadata=_follow_up.column("owner", "servicing", where=(StringComparison, "The owner's username."), sort=True),
    )
    due_on: date = strawberry.field(
        description="When it falls due (the lender's calendar).",
        metadata=_follow_up.column("due_on", "servicing", where=(DateComparison, "Due date."), sort=True),
    )
    created_at: datetime = strawberry.field(description="When it was agreed (recorded).")
    done_at: datetime | None = strawberry.field(description="When it was done; null while open.")
    done_by: str | None = strawberry.field(description="Who marked it done (token `sub`).")
    done_note: str | None = strawberry.field(description="What was done, if said.")
    service_record_id: strawberry.Private[int]
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="True once it is done.",
        metadata=declare(DONE, "servicing", filters=[_follow_up.filter(
            "done", BooleanComparison, "Done (true) or open (false).",
            servicing_reads.DONE_FILTER,
        )]),
    )
    def done(self) -> bool:
        return DONE.value(self, None)  # type: ignore[no-any-return]

    @strawberry.field(
        description="True while it is open past its due date (the lender's today).",
        metadata=declare(OVERDUE, "servicing", filters=[_follow_up.filter(
            "overdue", BooleanComparison, "Open past its due date (true), or not (false).",
            servicing_reads.OVERDUE_FILTER,
        )]),
    )
    def overdue(self, info: Info) -> bool:
        return OVERDUE.value(self, info.context)  # type: ignore[no-any-return]


def follow_up_of(row: Any) -> ServiceFollowUp:
    return from_row(ServiceFollowUp, row)


@classified("servicing")
@strawberry.type(description="One version of a service contact as it was written; a correction adds the next.")
class ServiceRecordVersion:
    version: int = strawberry.field(description="1 for the contact as first recorded, then one more per correction.")
    written_at: datetime = strawberry.field(description="When this version was written.")
    written_by: str = strawberry.field(description="Who wrote it (token `sub`).")
    reason: str | None = strawberry.field(description="Why the correction was made; null for the first version.")
    stage: ServiceStageEnum = strawberry.field(description="The stage this version gave.")
    kind: ServiceKindEnum = strawberry.field(description="The kind this version gave.")
    channel: ServiceChannelEnum | None = strawberry.field(description="The channel this version gave.")
    occurred_at: datetime = strawberry.field(description="When the contact happened, as this version gave it.")
    participants: list[str] = strawberry.field(description="Who took part, as this version gave it.")
    summary: str = strawberry.field(description="The summary this version gave.")
    outcome: str | None = strawberry.field(description="The outcome this version gave.")
    satisfaction: int | None = strawberry.field(description="The customer's satisfaction this version gave.")
    verified: list[InfoGroupEnum] = strawberry.field(description="The groups this version confirmed as current.")


def version_of(row: Any) -> ServiceRecordVersion:
    content: dict[str, Any] = row.content
    channel = content.get("channel")
    return ServiceRecordVersion(
        version=row.version, written_at=row.written_at, written_by=row.written_by, reason=row.reason,
        stage=ServiceStage(content["stage"]), kind=ServiceKind(content["kind"]),
        channel=ServiceChannel(channel) if channel else None,
        occurred_at=datetime.fromisoformat(content["occurred_at"]), participants=list(content.get("participants", ())),
        summary=content["summary"], outcome=content.get("outcome"), satisfaction=content.get("satisfaction"),
        verified=[InfoGroup(group) for group in content.get("verified", ())],
    )


FOLLOW_UPS = Related(
    "id", lambda s, ids, _: servicing_reads.follow_ups_of(s, ids), lambda row, _: follow_up_of(row)
)
VERSIONS = Related("id", lambda s, ids, _: servicing_reads.versions_of(s, ids), lambda row, _: version_of(row))


def _customer_of(row: Any) -> Customer:
    from schema.customer.types import Customer

    return Customer.from_row(row)


# A contact's customer is in the caller's scope whenever the contact is: contacts are read in scope.
CUSTOMER = Lookup("customer_id", customers.customer_rows_by_id, _customer_of, row_source=True)


@classified("servicing")
@strawberry.type(
    description="One contact with the customer: stage, kind, channel, who took part, when, what, the outcome "
    "and the follow-ups agreed. Corrections are new versions (`versions`); this is the newest."
)
class ServiceRecord(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    stage: ServiceStageEnum = strawberry.field(
        description="Pre-loan, in-loan or post-loan.",
        metadata=_record.column("stage", "servicing", where=(ServiceStageComparison, "The stage.")),
    )
    kind: ServiceKindEnum = strawberry.field(
        description="What kind of contact it was.",
        metadata=_record.column("kind", "servicing", where=(ServiceKindComparison, "The kind of contact.")),
    )
    channel: ServiceChannelEnum | None = strawberry.field(
        description="How it was made; null for contacts recorded before channels were.",
        metadata=_record.column("channel", "servicing", where=(ServiceChannelComparison, "The channel.")),
    )
    occurred_at: datetime = strawberry.field(
        description="When the contact happened.",
        metadata=_record.column(
            "occurred_at", "servicing", where=(DateTimeComparison, "When it happened (a period: `_gte` and `_lt`)."),
            sort=True,
        ),
    )
    recorded_by: str = strawberry.field(
        description="Who recorded it (token `sub`).",
        metadata=_record.column(
            "recorded_by", "servicing", where=(StringComparison, "Who recorded it (a staff member's username)."),
            sort=True,
        ),
    )
    participants: list[str] = strawberry.field(description="Who took part, on both sides.")
    summary: str = strawberry.field(description="What was discussed or done.")
    outcome: str | None = strawberry.field(description="What came of it.")
    follow_up: str | None = strawberry.field(
        description="What was agreed to follow up, as free text.",
        deprecation_reason="Use `followUps`: each action with its owner and due date.",
    )
    satisfaction: int | None = strawberry.field(description="The customer's satisfaction, 1 (low) to 5 (high).")
    verified: list[InfoGroupEnum] = strawberry.field(
        description="Information groups this revisit or site visit confirmed as current."
    )
    version: int = strawberry.field(description="1 as first recorded; one more per correction.")
    created_at: datetime = strawberry.field(description="When it was first recorded.")
    corrected_at: datetime | None = strawberry.field(description="When it was last corrected; null if never.")
    corrected_by: str | None = strawberry.field(description="Who last corrected it (token `sub`).")

    @strawberry.field(
        description="The customer the contact was with.",
        metadata=declare(CUSTOMER, "servicing", filters=[_record.filter(
            "branch_code", StringComparison, "The customer's branch code.",
            BRANCH_FILTER,
        )]),
    )
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The follow-up actions agreed, soonest due first.", metadata=declare(FOLLOW_UPS, "servicing")
    )
    async def follow_ups(self, info: Info) -> list[ServiceFollowUp] | None:
        return await related(info, FOLLOW_UPS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="Every version kept, the first first.", metadata=declare(VERSIONS, "servicing"))
    async def versions(self, info: Info) -> list[ServiceRecordVersion] | None:
        return await related(info, VERSIONS, self)  # type: ignore[no-any-return]


def service_record_of(row: Any) -> ServiceRecord:
    return from_row(
        ServiceRecord, row, participants=list(row.participants or ()),
        verified=[InfoGroup(group) for group in row.verified or ()],
    )


def _no_sql_form() -> Any:
    raise LookupError("a nested connection's count is fetched, never built in SQL")


RECORD_COUNT = Count("customer_id", servicing_reads.service_record_counts, _no_sql_form)


@classified("servicing")
@strawberry.type(description="A contact in a customer's service history, with its cursor.")
class CustomerServiceRecordEdge:
    cursor: str = strawberry.field(description="Opaque position of this contact: pass it as `after` or `before`.")
    node: ServiceRecord = strawberry.field(description="The contact.")
    customer_id: strawberry.Private[int]


@classified("servicing")
@strawberry.type(
    description="A customer's service contacts, newest first (by when they took place, then as recorded); "
    "a Relay connection, keyset-paginated."
)
class CustomerServiceRecordConnection:
    edges: list[CustomerServiceRecordEdge] = strawberry.field(description="The contacts of this page, newest first.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the whole list.")
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="How many contacts the customer has, over all pages.", metadata=declare(RECORD_COUNT, "servicing")
    )
    async def total_count(self, info: Info) -> int:
        return await counted(info, RECORD_COUNT, self)


def service_record_connection(
    parent: ParentPage[Any], records: list[ServiceRecord]
) -> CustomerServiceRecordConnection:
    """A customer's page of contacts as its connection."""
    page = parent.page
    return CustomerServiceRecordConnection(
        edges=[
            CustomerServiceRecordEdge(cursor=cursor, node=node, customer_id=parent.parent)
            for node, cursor in zip(records, page.cursors, strict=True)
        ],
        page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
        customer_id=parent.parent,
    )


SERVICE_RECORD_READS = TypeReads.of(
    ServiceRecord, node_id=_record.column("id", "servicing", sort=True)[METADATA_KEY]
)
FOLLOW_UP_READS = TypeReads.of(
    ServiceFollowUp, node_id=_follow_up.column("id", "servicing", sort=True)[METADATA_KEY]
)
