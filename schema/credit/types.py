"""The credit business in the schema: facilities with their schedules, repayments and five-category
classification, and the borrower's classification (credit information, like the credit report).

Each field declares how it reads, its data class and which ``where``/``orderBy`` fields it answers
(``schema.reads``): the root list's inputs and SQL are derived from them. Arrears, balances and
categories are computed by the service from the schedule and the repayments, never typed in.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.db.enums import FacilityStatus, RiskCategory
from api.db.models import CreditFacility as FacilityRow
from api.services import facility_reads
from api.services.customer_rows import BRANCH_FILTER
from schema.comparisons import DateComparison, StringComparison, enum_comparison
from schema.context import Info
from schema.convert import from_row
from schema.data_classes import classified
from schema.reads import METADATA_KEY, Computed, Declarer, Related, TypeReads, declare
from schema.reference import described_enum
from schema.resolve import looked_up, related
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input
from schema.servicing.types import CUSTOMER

if TYPE_CHECKING:
    from schema.customer.types import Customer

CREDIT = "credit"
described_enum(
    RiskCategory, name="RiskCategory",
    description="The five-category risk classification of a loan (normal, special mention, substandard, "
    "doubtful, loss); the last three are non-performing.",
    values={
        "NORMAL": "The borrower can repay; nothing suggests otherwise.",
        "SPECIAL_MENTION": "Able to repay now, but something may hurt repayment (e.g. any amount overdue).",
        "SUBSTANDARD": "Repayment is in clear doubt (e.g. overdue more than 90 days). Non-performing.",
        "DOUBTFUL": "Part of the debt will be lost even with collateral (e.g. overdue more than 270 days). "
        "Non-performing.",
        "LOSS": "Little or nothing will be recovered (e.g. overdue more than 360 days). Non-performing.",
    },
)
described_enum(
    FacilityStatus, name="FacilityStatus", description="Whether a facility still runs.",
    values={"ACTIVE": "Running: classified every day.", "SETTLED": "Repaid in full with nothing overdue; closed."},
)
RiskCategoryEnum = RiskCategory
FacilityStatusEnum = FacilityStatus
RiskCategoryComparison = enum_comparison(RiskCategoryEnum, "RiskCategoryComparison", "a risk category")
FacilityStatusComparison = enum_comparison(FacilityStatusEnum, "FacilityStatusComparison", "a facility's status")
_facility = Declarer(FacilityRow.__table__)


@classified(CREDIT)
@strawberry.type(description="One installment of a facility's repayment schedule.")
class RepaymentInstallment:
    due_on: date = strawberry.field(description="The day it falls due.")
    principal: Decimal = strawberry.field(description="Principal due, in the facility's currency.")
    interest: Decimal = strawberry.field(description="Interest due, in the facility's currency.")


@classified(CREDIT)
@strawberry.type(description="A repayment received.")
class Repayment:
    paid_on: date = strawberry.field(description="The day it was received.")
    amount: Decimal = strawberry.field(description="How much, in the facility's currency.")
    reference: str = strawberry.field(description="The payment's reference (unique per facility).")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    recorded_by: str = strawberry.field(description="Who recorded it (token `sub`).")


@classified(CREDIT)
@strawberry.type(description="A facility's category from `effectiveOn` until the next entry, with why.")
class FacilityClassification:
    category: RiskCategoryEnum = strawberry.field(description="The category.")
    effective_on: date = strawberry.field(description="From which day.")
    days_past_due: int = strawberry.field(description="Days past due on that day.")
    overdue_amount: Decimal = strawberry.field(description="Principal and interest overdue on that day.")
    outstanding: Decimal = strawberry.field(description="Principal outstanding on that day.")
    reasons: list[str] = strawberry.field(description="The rules that set the category, the deciding one first.")
    rules_version: str = strawberry.field(description="The version of the classification rules applied.")


@classified(CREDIT)
@strawberry.type(
    description="A borrower's category (its worst facility's, after the borrower-level rules) from `effectiveOn`."
)
class BorrowerClassification:
    category: RiskCategoryEnum = strawberry.field(description="The category.")
    effective_on: date = strawberry.field(description="From which day.")
    days_past_due: int = strawberry.field(description="The worst facility's days past due on that day.")
    reasons: list[str] = strawberry.field(description="Which facility and which rules set it.")
    rules_version: str = strawberry.field(description="The version of the classification rules applied.")


RENEWAL_OF = Computed(("renewal_of_id",), lambda row, _: None if row.renewal_of_id is None
                      else relay.GlobalID("CreditFacility", str(row.renewal_of_id)))
SCHEDULE = Related("id", facility_reads.schedules_of, lambda row, _: from_row(RepaymentInstallment, row))
REPAYMENTS = Related("id", facility_reads.repayments_of, lambda row, _: from_row(Repayment, row))
CLASSIFICATIONS = Related("id", facility_reads.classifications_of,
                          lambda row, _: from_row(FacilityClassification, row))


@classified(CREDIT)
@strawberry.type(
    description="A credit facility: its terms, and where it stands on `classifiedOn` (arrears, balance and "
    "category are computed from the schedule and the repayments, every day and at every change)."
)
class CreditFacility(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    renewal_of_id: strawberry.Private[int | None]
    reference: str | None = strawberry.field(
        description="The lender's reference of the facility (unique).",
        metadata=_facility.column("reference", CREDIT, where=(StringComparison, "The reference.")),
    )
    product: str = strawberry.field(description="The product, e.g. `Working capital loan`.")
    limit_amount: Decimal = strawberry.field(description="The limit granted, in `currency`.")
    currency: str = strawberry.field(description="ISO 4217 code of every amount of the facility.")
    drawn_amount: Decimal = strawberry.field(description="The principal drawn.")
    start_on: date = strawberry.field(description="The day it started.")
    maturity_on: date | None = strawberry.field(
        description="The day it matures.",
        metadata=_facility.column("maturity_on", CREDIT, where=(DateComparison, "The maturity day."), sort=True),
    )
    rate: Decimal = strawberry.field(description="Yearly interest rate, as a fraction (`0.0435` is 4.35 %).")
    restructured_on: date | None = strawberry.field(description="The day it was last restructured, if ever.")
    status: FacilityStatusEnum | None = strawberry.field(
        description="Running or settled.",
        metadata=_facility.column("status", CREDIT, where=(FacilityStatusComparison, "The status.")),
    )
    outstanding: Decimal = strawberry.field(description="Principal drawn and not repaid.")
    days_past_due: int = strawberry.field(description="Days since the oldest installment still unpaid fell due.")
    overdue_amount: Decimal = strawberry.field(description="Principal and interest due and not paid.")
    category: RiskCategoryEnum | None = strawberry.field(
        description="Its five-category classification.",
        metadata=_facility.column("category", CREDIT, where=(RiskCategoryComparison, "The category.")),
    )
    category_reasons: list[str] = strawberry.field(description="The rules that set the category.")
    classified_on: date = strawberry.field(description="The day arrears and category were computed for.")
    recorded_by: str = strawberry.field(description="Who booked it.")
    version: int = strawberry.field(description="Pass it back to restructure it (optimistic concurrency).")

    @strawberry.field(description="The repayment schedule, by due day.", metadata=declare(SCHEDULE, CREDIT))
    async def schedule(self, info: Info) -> list[RepaymentInstallment] | None:
        return await related(info, SCHEDULE, self)  # type: ignore[no-any-return]

    @strawberry.field(description="The repayments received, the first first.", metadata=declare(REPAYMENTS, CREDIT))
    async def repayments(self, info: Info) -> list[Repayment] | None:
        return await related(info, REPAYMENTS, self)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Every change of its category, the newest first.", metadata=declare(CLASSIFICATIONS, CREDIT),
    )
    async def classification_history(self, info: Info) -> list[FacilityClassification] | None:
        return await related(info, CLASSIFICATIONS, self)  # type: ignore[no-any-return]

    @strawberry.field(description="The facility it renews, if it renews one (`CreditFacility.id`).",
                      metadata=declare(RENEWAL_OF, CREDIT))
    def renewal_of(self) -> relay.GlobalID | None:
        return RENEWAL_OF.value(self, None)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The borrower.",
        metadata=declare(CUSTOMER, CREDIT, filters=[_facility.filter(
            "branch_code", StringComparison, "The borrower's branch code.", BRANCH_FILTER,
        )]),
    )
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customer.types")] | None:
        return await looked_up(info, CUSTOMER, self)  # type: ignore[no-any-return]


def facility_of(row: Any) -> CreditFacility:
    return from_row(CreditFacility, row, category_reasons=list(row.category_reasons or ()))


FACILITY_READS = TypeReads.of(CreditFacility, node_id=_facility.column("id", CREDIT, sort=True)[METADATA_KEY])
CreditFacilityWhere = where_input(
    FACILITY_READS, "CreditFacilityWhere", "Which facilities: every given condition must hold.", __name__)
CreditFacilityOrderBy = order_input(
    FACILITY_READS, "CreditFacilityOrderBy", "One sort key: set exactly one field.", __name__)
FACILITY_SEARCH = searchable(FACILITY_READS)
FACILITY_COORDINATES = revealed_coordinates(FACILITY_READS)
