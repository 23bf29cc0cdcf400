"""The customer as a Relay node, with its classification, information groups and history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.db.enums import InfoGroup
from api.db.models import Customer as CustomerRow
from api.errors import InvalidInput, NotFound
from api.services import customers
from api.services.customer_query import is_stale
from api.authz.masking import MASKERS
from api.authz.policy import FieldAccess
from schema.access_types import Consent, consent_of
from schema.context import Context, Info
from schema.convert import from_row
from schema.grading import CustomerGrade, GradeAssessment, assessment_of, grade_of
from schema.customer.information_types import (
    BasicInformation,
    CreditInformation,
    FinancialStatement,
    OperatingInformation,
    basic_information,
)
from schema.organisation import Branch, StaffMember
from schema.servicing import ServiceRecord
from schema.reference import CreditStatusEnum, EnterpriseSizeEnum, Industry, InfoGroupEnum, industry_of

MAX_NESTED = 100


@strawberry.type(description="How the customer's size was derived: the rule version and the figures used.")
class SizeAssessment:
    customer_id: strawberry.Private[int]
    size: EnterpriseSizeEnum | None = strawberry.field(description="The size; null when it cannot be derived.")
    rule_version: str | None = strawberry.field(description="Version of the size rules applied, e.g. `MIIT-2011-300`.")
    rule_id: str | None = strawberry.field(description="Which rule of that version (by industry) applied.")
    inputs: JSON | None = strawberry.field(description="The figures the rule used (employees, revenue, total assets).")
    determined_at: datetime | None = strawberry.field(description="When the size was last derived.")


@strawberry.type(description="The credit status with the basis it was set on.")
class CreditStatusAssessment:
    customer_id: strawberry.Private[int]
    status: CreditStatusEnum = strawberry.field(description="Premium, general, watch or non-performing.")
    basis: str = strawberry.field(description="Why: the rating and repayment record it rests on.")
    set_at: datetime = strawberry.field(description="When it was set.")
    set_by: str = strawberry.field(description="Who (or which process) set it.")


@strawberry.type(description="One change to a customer's record: who, when, which field, old → new.")
class CustomerChange:
    changed_at: datetime = strawberry.field(description="When.")
    changed_by: str = strawberry.field(description="Who (token `sub`).")
    info_group: InfoGroupEnum = strawberry.field(description="Which information group.")
    field: str = strawberry.field(description="Which field (as named in this schema).")
    old_value: str | None = strawberry.field(description="Value before, as text.")
    new_value: str | None = strawberry.field(description="Value after, as text.")
    major: bool = strawberry.field(
        description="A major change under R-I2: legal representative, business scope or major investment."
    )


def _bounded(value: int, name: str) -> int:
    if not 1 <= value <= MAX_NESTED:
        raise InvalidInput.one(name, f"must be between 1 and {MAX_NESTED}")
    return value


@strawberry.type(
    description="A credit customer of the lender. Fields the caller may not read are null, with a "
    "FORBIDDEN error at their path."
)
class Customer(relay.Node):
    id: relay.NodeID[int]
    name: str | None = strawberry.field(description="Registered name.")
    credit_code: str | None = strawberry.field(description="18-character Unified Social Credit Code (GB 32100-2015).")
    version: int | None = strawberry.field(
        description="Changes with every update; send it back to update (optimistic concurrency)."
    )
    created_at: datetime | None = strawberry.field(description="When it was registered.")
    updated_at: datetime | None = strawberry.field(description="When anything about it last changed.")
    last_major_change_at: datetime | None = strawberry.field(description="When the last major change was recorded.")
    latest_statement_period_end: date | None = strawberry.field(
        description="Period end of the newest financial statement."
    )
    size: EnterpriseSizeEnum | None = strawberry.field(description="Enterprise size, derived (R-C2).")
    credit_status: CreditStatusEnum | None = strawberry.field(description="Credit status (R-C3).")
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: CustomerRow) -> "Customer":
        return cls(
            id=row.id, name=row.name, credit_code=row.credit_code, version=row.version,
            created_at=row.created_at, updated_at=row.updated_at,
            last_major_change_at=row.last_major_change_at,
            latest_statement_period_end=row.latest_statement_period_end,
            size=row.size, credit_status=row.credit_status, row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list["Customer | None"]:
        node_ids = list(node_ids)
        ids = [int(i) for i in node_ids if i.isdigit()]
        async with info.context.reading() as session:
            found = await customers.customers_by_id(session, ids, scope=info.context.scope)
        result = [cls.from_row(found[int(i)]) if i.isdigit() and int(i) in found else None for i in node_ids]
        if required and any(r is None for r in result):
            raise NotFound("Customer")
        return result

    @strawberry.field(description="Industry by GB/T 4754-2017.")
    def industry(self) -> Industry | None:
        return industry_of(self.row.industry_code)

    @strawberry.field(description="How the size was derived (its inputs are financial figures).")
    def size_assessment(self) -> SizeAssessment | None:
        r = self.row
        return SizeAssessment(
            customer_id=r.id, size=r.size, rule_version=r.size_rule_version, rule_id=r.size_rule_id,
            inputs=r.size_inputs, determined_at=r.size_determined_at,
        )

    @strawberry.field(description="Credit status with its basis.")
    def credit_status_assessment(self) -> CreditStatusAssessment | None:
        r = self.row
        return CreditStatusAssessment(
            customer_id=r.id, status=r.credit_status, basis=r.credit_status_basis,
            set_at=r.credit_status_set_at, set_by=r.credit_status_set_by,
        )

    @strawberry.field(
        description="True when the newest financial statement is older than the configured age "
        "(default 15 months) or there is none."
    )
    def financials_stale(self, info: Info) -> bool | None:
        return is_stale(self.row, info.context.stale_cutoff)

    @strawberry.field(description="The branch the customer belongs to.")
    async def branch(self, info: Info) -> Branch | None:
        return from_row(Branch, await info.context.loaders.branch.load(self.row.branch_code))

    @strawberry.field(description="The relationship manager who looks after the customer.")
    async def relationship_manager(self, info: Info) -> StaffMember | None:
        return from_row(StaffMember, await info.context.loaders.staff.load(self.row.relationship_manager_id))

    @strawberry.field(description="Basic information (licence, articles, legal representative, capital, scope).")
    async def basic_information(self, info: Info) -> BasicInformation | None:
        row = await info.context.loaders.basic.load(self.id)
        return None if row is None else basic_information(row)

    @strawberry.field(description="Financial statements, newest period first.")
    async def financial_statements(self, info: Info, last: int = 12) -> list[FinancialStatement] | None:
        rows = await info.context.loaders.statements.load((self.id, _bounded(last, "last")))
        return [from_row(FinancialStatement, r) for r in rows]

    @strawberry.field(description="Operating information.")
    async def operating_information(self, info: Info) -> OperatingInformation | None:
        row = await info.context.loaders.operating.load(self.id)
        return None if row is None else from_row(OperatingInformation, row)

    @strawberry.field(description="Credit information.")
    async def credit_information(self, info: Info) -> CreditInformation | None:
        row = await info.context.loaders.credit.load(self.id)
        return None if row is None else from_row(CreditInformation, row)

    @strawberry.field(
        description="Changes to this customer, newest first. Old and new values of fields the "
        "caller may not read are null (masked where the caller reads them masked)."
    )
    async def history(self, info: Info, major_only: bool = False, limit: int = 50) -> list[CustomerChange] | None:
        loader = info.context.loaders.major_history if major_only else info.context.loaders.history
        rows = await loader.load((self.id, _bounded(limit, "limit")))
        return [redacted_change(info.context, r) for r in rows]

    @strawberry.field(description="The grade in force (R-G1) with its treatment (R-G2); null until first graded.")
    def grade(self) -> CustomerGrade | None:
        return grade_of(self.row)

    @strawberry.field(description="Every assessment of this customer, newest first.")
    async def grade_history(self, info: Info, limit: int = 20) -> list[GradeAssessment] | None:
        rows = await info.context.loaders.assessments.load((self.id, _bounded(limit, "limit")))
        return [assessment_of(r) for r in rows]

    @strawberry.field(description="The newest service contacts with this customer (R-S1 … R-S3), newest first.")
    async def service_records(self, info: Info, last: int = 10) -> list[ServiceRecord] | None:
        rows = await info.context.loaders.service_records.load((self.id, _bounded(last, "last")))
        return [from_row(ServiceRecord, r) for r in rows]

    @strawberry.field(description="How many of this customer's complaints are not yet closed (R-Q1 … R-Q3).")
    async def open_complaint_count(self, info: Info) -> int | None:
        return await info.context.loaders.open_complaints.load(self.id)

    @strawberry.field(description="Written consents to disclose information to third parties (R-I4), newest first.")
    async def consents(self, info: Info) -> list[Consent] | None:
        return [consent_of(row) for row in await info.context.loaders.customer_consents.load(self.id)]


# Where the value a history entry records is read in the schema, by information group.
_HISTORY_COORDINATES = {
    (InfoGroup.CUSTOMER, "registered"): "Customer.creditCode",
    (InfoGroup.CUSTOMER, "industryCode"): "Customer.industry",
    (InfoGroup.CUSTOMER, "branchCode"): "Customer.branch",
    (InfoGroup.CUSTOMER, "creditStatusBasis"): "Customer.creditStatusAssessment",
    (InfoGroup.CUSTOMER, "grade"): "Customer.grade",
    (InfoGroup.BASIC, "registeredCapitalCurrency"): "BasicInformation.registeredCapital",
    (InfoGroup.OPERATING, "majorInvestment"): "OperatingInformation.majorInvestments",
    (InfoGroup.CREDIT, "creditEvent"): "CreditInformation.events",
    (InfoGroup.CREDIT, "guarantee"): "CreditInformation.guarantees",
}
_GROUP_TYPES = {
    InfoGroup.CUSTOMER: "Customer", InfoGroup.BASIC: "BasicInformation",
    InfoGroup.OPERATING: "OperatingInformation", InfoGroup.CREDIT: "CreditInformation",
}


def history_coordinate(group: InfoGroup, field: str) -> str:
    """The schema coordinate whose read rule governs a history entry's values."""
    if group is InfoGroup.FINANCIAL:
        return "Customer.financialStatements"
    return _HISTORY_COORDINATES.get((group, field), f"{_GROUP_TYPES[group]}.{field}")


def redacted_change(ctx: Context, row: Any) -> CustomerChange:
    """A history entry whose values show only what the caller may read of that field.

    Showing a confidential value here is a read of it like any other, and is audited as one.
    """
    coordinate = history_coordinate(row.info_group, row.field)
    step = ctx.decisions.step(*coordinate.split(".", 1))
    shown = row.old_value is not None or row.new_value is not None
    if step.access is FieldAccess.FULL:
        if step.audited and shown:
            ctx.audit.note("read", step.group or "", coordinate, row.customer_id)
        return from_row(CustomerChange, row)
    if step.access is FieldAccess.MASKED and coordinate in MASKERS:
        if step.audited and shown:
            ctx.audit.note("read", step.group or "", coordinate, row.customer_id)
        mask = MASKERS[coordinate]
        return from_row(CustomerChange, row, old_value=mask(row.old_value), new_value=mask(row.new_value))
    return from_row(CustomerChange, row, old_value=None, new_value=None)
