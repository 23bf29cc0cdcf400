"""Early warnings in the schema (R-S3): what a rule found about a customer, with its evidence and
lifecycle; the root list across customers in scope."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.db.enums import WarningSeverity, WarningStatus
from api.db.models import EarlyWarning as WarningRow
from api.services import warning_reads
from api.services.customer_rows import BRANCH_FILTER
from schema.comparisons import DateTimeComparison, StringComparison, enum_comparison
from schema.context import Info
from schema.convert import from_row
from schema.customer_row_lists import count_customer_rows, customer_rows_connection
from schema.data_classes import classes, classified
from schema.ids import (
    OrderByArgument,
    PageAfter,
    PageBefore,
    PageFirst,
    PageLast,
    WhereArgument,
)
from schema.reads import METADATA_KEY, Declarer, TypeReads, declare
from schema.reference import described_enum
from schema.resolve import looked_up
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input
from schema.servicing.types import CUSTOMER

if TYPE_CHECKING:
    from schema.customer.types import Customer

described_enum(
    WarningSeverity, name="WarningSeverity", description="How urgent an early warning is.",
    values={
        "LOW": "Worth knowing; no action is due.",
        "MEDIUM": "Look into it at the next contact.",
        "HIGH": "Act now: the revisit is brought forward to today and the customer re-graded.",
    },
)
described_enum(
    WarningStatus, name="WarningStatus",
    description="Where a warning is: raised → acknowledged → measures taken → closed.",
    values={
        "RAISED": "Raised by a rule; nobody has acknowledged it yet.",
        "ACKNOWLEDGED": "Someone has taken it on.",
        "MEASURES_TAKEN": "The measures taken are recorded.",
        "CLOSED": "Closed, with its measures on record.",
    },
)
WarningSeverityEnum = WarningSeverity
WarningStatusEnum = WarningStatus
WarningSeverityComparison = enum_comparison(WarningSeverityEnum, "WarningSeverityComparison", "a warning's severity")
WarningStatusComparison = enum_comparison(WarningStatusEnum, "WarningStatusComparison", "a warning's status")

_warning = Declarer(WarningRow.__table__)
_FOUND = ("financial", "credit")  # reached only through servicing fields


@classified("servicing")
@strawberry.type(
    description="An early warning: a rule's finding about a customer, with the facts and the rule version "
    "behind it, and what staff did about it. A rule raises each condition once."
)
class EarlyWarning(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    # Which rule, and what it found, quote figures and arrears: financial and credit information.
    rule_id: str | None = strawberry.field(
        description="The rule that raised it, e.g. `REVENUE_DROP`.",
        metadata=_warning.column("rule_id", _FOUND, where=(StringComparison, "The rule's id.")),
    )
    rule_version: str = strawberry.field(description="The rule's version when it raised it.")
    plugin_name: str = strawberry.field(description="The plugin that provides the rule.")
    title: str | None = strawberry.field(
        description="What the rule watches, e.g. `Revenue down sharply year on year`.", metadata=classes(*_FOUND)
    )
    message: str | None = strawberry.field(
        description="What it found, in plain language.", metadata=classes(*_FOUND)
    )
    severity: WarningSeverityEnum = strawberry.field(
        description="How urgent it is.",
        metadata=_warning.column("severity", "servicing", where=(WarningSeverityComparison, "The severity.")),
    )
    status: WarningStatusEnum = strawberry.field(
        description="Where it is in its life.",
        metadata=_warning.column("status", "servicing", where=(WarningStatusComparison, "The status.")),
    )
    trigger: str = strawberry.field(
        description="What made the rules run: financial_statement, credit_information, basic_information, "
        "major_investment, industry_change, facility, repayment, restructuring or schedule."
    )
    raised_at: datetime = strawberry.field(
        description="When it was raised.",
        metadata=_warning.column("raised_at", "servicing", where=(DateTimeComparison, "When it was raised."),
                                 sort=True),
    )
    evidence: JSON | None = strawberry.field(
        description="The facts the rule saw (figures, dates, references) and its `rule_version`.",
        metadata=classes(*_FOUND),
    )
    acknowledged_at: datetime | None = strawberry.field(description="When it was acknowledged.")
    acknowledged_by: str | None = strawberry.field(description="Who acknowledged it (token `sub`).")
    measures: str | None = strawberry.field(description="The measures taken.")
    measures_at: datetime | None = strawberry.field(description="When the measures were recorded.")
    measures_by: str | None = strawberry.field(description="Who recorded them.")
    closed_at: datetime | None = strawberry.field(description="When it was closed.")
    closed_by: str | None = strawberry.field(description="Who closed it.")
    close_note: str | None = strawberry.field(description="Why it was closed, if said.")

    @strawberry.field(
        description="The customer it is about.",
        metadata=declare(CUSTOMER, "servicing", filters=[_warning.filter(
            "branch_code", StringComparison, "The customer's branch code.", BRANCH_FILTER,
        )]),
    )
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]


def warning_of(row: Any) -> EarlyWarning:
    return from_row(EarlyWarning, row)


WARNING_READS = TypeReads.of(EarlyWarning, node_id=_warning.column("id", "servicing", sort=True)[METADATA_KEY])
EarlyWarningWhere = where_input(WARNING_READS, "EarlyWarningWhere", "Which warnings: every given condition must hold.",
                                __name__)
EarlyWarningOrderBy = order_input(WARNING_READS, "EarlyWarningOrderBy", "One sort key: set exactly one field.",
                                  __name__)
WARNING_SEARCH = searchable(WARNING_READS)
WARNING_COORDINATES = revealed_coordinates(WARNING_READS)


@strawberry.type(description="A page of early warnings (Relay connection, keyset-paginated).")
class EarlyWarningConnection(relay.Connection[EarlyWarning]):
    where: strawberry.Private[dict | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="How many warnings match, over all pages.")
    async def total_count(self, info: Info) -> int:
        return await count_customer_rows(
            info, warning_reads.WARNINGS, search=WARNING_SEARCH, customer_id=self.customer_id, where=self.where
        )


@strawberry.type
class WarningQuery:
    @strawberry.field(
        description="Early warnings of customers in your reach, newest first unless `orderBy` says: by customer, "
        "status (e.g. open ones: `{status: {_neq: CLOSED}}`), severity, rule, branch and period."
    )
    async def early_warnings(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's (`Customer.id`); all in reach when null."),
        ] = None,
        where: Annotated[EarlyWarningWhere | None, WhereArgument] = None,  # type: ignore[valid-type]
        order_by: Annotated[list[EarlyWarningOrderBy] | None, OrderByArgument] = None,  # type: ignore[valid-type]
        first: PageFirst = None,
        after: PageAfter = None,
        last: PageLast = None,
        before: PageBefore = None,
    ) -> EarlyWarningConnection | None:
        return await customer_rows_connection(  # type: ignore[no-any-return]
            info, warning_reads.WARNINGS, type_name="EarlyWarning", search=WARNING_SEARCH,
            revealed=WARNING_COORDINATES, connection=EarlyWarningConnection, build=warning_of,
            customer_id=customer_id, where=where, order_by=order_by, first=first, after=after, last=last,
            before=before,
        )
