"""The customer as a Relay node, with its classification, information groups and history."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from pydantic.alias_generators import to_camel
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from api.authz.masking import MASKERS
from api.authz.policy import FieldAccess
from api.db.enums import InfoGroup
from api.db.models import BasicInformation as BasicRow
from api.db.models import CreditInformation as CreditRow
from api.db.models import Customer as CustomerRow
from api.db.models import CustomerChange as ChangeRow
from api.db.models import GradeAssessment as AssessmentRow
from api.db.models import OperatingInformation as OperatingRow
from api.db.models import ServiceRecord as ServiceRecordRow
from api.db.models import StaffMember as StaffRow
from api.errors import NotFound
from api.reference.industries import all_industries
from api.services import (
    access,
    application_reads,
    customers,
    external,
    facility_reads,
    grading_reads,
    organisation,
    servicing_reads,
    treatment_reads,
    warning_reads,
)
from api.services import information_reads as reads
from api.services.customer_query import (
    MANAGER_USERNAME_FILTER,
    REVISIT_OVERDUE_FILTER,
    STALE_FILTER,
    is_stale,
    revisit_overdue,
)
from api.services.filtering import FilterSql, SortSql
from api.services.history import HISTORY_KEYS, history_counts, history_pages
from api.services.pagination import ParentPage
from schema.access_types import Consent, consent_of
from schema.comparisons import (
    BooleanComparison,
    CreditStatusComparison,
    DateComparison,
    DateTimeComparison,
    DecimalComparison,
    EnterpriseSizeComparison,
    GradeLevelComparison,
    StringComparison,
)
from schema.context import Context, Info
from schema.convert import EnumNames, from_row
from schema.credit.applications import CreditApplication, application_of
from schema.credit.treatment import TreatmentAction, action_of
from schema.credit.types import BorrowerClassification, CreditFacility, facility_of
from schema.customer.information_types import (
    BasicInformation,
    CreditInformation,
    FinancialStatement,
    OperatingInformation,
    basic_information,
)
from schema.data_classes import classified
from schema.grading import (
    CustomerGrade,
    GradeAssessmentConnection,
    GradingFailure,
    assessment_connection,
    assessment_of,
    failure_of,
    grade_of,
)
from schema.ids import page_info
from schema.nested_pages import Paged, PagedSql, RedactedBy, page_arguments, page_fetch, paged
from schema.organisation import BRANCH, Branch, StaffMember
from schema.reads import (
    METADATA_KEY,
    Computed,
    Count,
    Declarer,
    Lookup,
    Projection,
    Related,
    TypeReads,
    declare,
)
from schema.reference import CreditStatusEnum, EnterpriseSizeEnum, Industry, InfoGroupEnum, industry_of
from schema.resolve import counted, looked_up, related
from schema.servicing.external import ExternalReview, review_of
from schema.servicing.types import CustomerServiceRecordConnection, service_record_connection, service_record_of
from schema.servicing.warnings import EarlyWarning, warning_of

MAX_NESTED = 100


@classified("servicing")
@strawberry.type(
    description="The days each information group was last confirmed as current by a revisit or site visit."
)
class InformationVerification:
    basic: date | None = strawberry.field(description="Basic information; null if never.")
    financial: date | None = strawberry.field(description="Financial information; null if never.")
    operating: date | None = strawberry.field(description="Operating information; null if never.")
    credit: date | None = strawberry.field(description="Credit information; null if never.")


@classified("financial")
@strawberry.type(description="How the customer's size was derived: the rule version and the figures used.")
class SizeAssessment:
    customer_id: strawberry.Private[int]
    size: EnterpriseSizeEnum | None = strawberry.field(description="The size; null when it cannot be derived.")
    rule_version: str | None = strawberry.field(
        description="Version of the size rules applied, e.g. `MIIT-2011-300+PBOC-2015-309`."
    )
    rule_id: str | None = strawberry.field(description="Which rule of that version (by industry) applied.")
    inputs: JSON | None = strawberry.field(
        description="The figures the rule used (employees, revenue, total assets, in yuan); for a statement in "
        "another currency also `currency`, `cnyPerUnit` and `rateEffectiveOn`, the rate it was converted at."
    )
    determined_at: datetime | None = strawberry.field(description="When the size was last derived.")


@classified("credit")
@strawberry.type(description="The credit status with the basis it was set on.")
class CreditStatusAssessment:
    customer_id: strawberry.Private[int]
    status: CreditStatusEnum = strawberry.field(description="Premium, general, watch or non-performing.")
    basis: str = strawberry.field(description="Why: the rating and repayment record it rests on.")
    set_at: datetime = strawberry.field(description="When it was set.")
    set_by: str = strawberry.field(description="Who (or which process) set it.")


@classified("history")
@strawberry.type(description="One change to a customer's record: who, when, which field, old → new.")
class CustomerChange(relay.Node):
    id: relay.NodeID[int]
    changed_at: datetime = strawberry.field(description="When.")
    changed_by: str = strawberry.field(description="Who (token `sub`).")
    info_group: InfoGroupEnum = strawberry.field(description="Which information group.")
    field: str = strawberry.field(description="Which field (as named in this schema).")
    old_value: str | None = strawberry.field(description="Value before, as text.")
    new_value: str | None = strawberry.field(description="Value after, as text.")
    major: bool = strawberry.field(
        description="A major change: of the legal representative, of the business scope, or a major investment."
    )


# The page arguments of a nested connection (history, grade history).
_FIRST = f"The first this many entries (0–{MAX_NESTED}), after `after` if given."
_AFTER = "A cursor of this list: the entries after it."
_LAST = f"The last this many entries (0–{MAX_NESTED}), before `before` if given."
_BEFORE = "A cursor of this list: the entries before it."

HISTORY_COUNT = Count("count_key", history_counts, lambda: None)  # fetched, never built in SQL


@classified("history")
@strawberry.type(description="A change in a customer's history, with its cursor.")
class CustomerChangeEdge:
    cursor: str = strawberry.field(description="Opaque position of this change: pass it as `after` or `before`.")
    node: CustomerChange = strawberry.field(description="The change.")
    customer_id: strawberry.Private[int]


@classified("history")
@strawberry.type(description="A customer's changes, newest first (Relay connection, keyset-paginated).")
class CustomerChangeConnection:
    edges: list[CustomerChangeEdge] = strawberry.field(description="The changes of this page, newest first.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the whole list.")
    customer_id: strawberry.Private[int]
    count_key: strawberry.Private[tuple[int, bool]]  # (customer, major only): what totalCount counts

    @strawberry.field(
        description="How many changes (major ones, with `majorOnly`) the customer has, over all pages.",
        metadata=declare(HISTORY_COUNT, "history"),
    )
    async def total_count(self, info: Info) -> int:
        return await counted(info, HISTORY_COUNT, self)


def history_connection(
    parent: ParentPage[Any], changes: list[CustomerChange], *, major_only: bool
) -> CustomerChangeConnection:
    """A customer's page of changes (each redacted for the caller) as its connection."""
    page = parent.page
    return CustomerChangeConnection(
        edges=[
            CustomerChangeEdge(cursor=cursor, node=node, customer_id=parent.parent)
            for node, cursor in zip(changes, page.cursors, strict=True)
        ],
        page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
        customer_id=parent.parent, count_key=(parent.parent, major_only),
    )


_customer = Declarer(CustomerRow.__table__)

# Readings of Customer's fields that other rows or Python compute: each is declared here once,
# attached to its field below, and used by both read paths (``schema.reads``).
INDUSTRY = Projection(
    ("industry_code",), lambda row: industry_of(row.industry_code), sql={"code": "industry_code"},
    cases=("industry_code", lambda: {entry.code: industry_of(entry.code) for entry in all_industries()}),
)
GRADE = Projection(
    ("id", "grade", "grade_score", "graded_at"), grade_of,
    sql={"level": "grade", "score": "grade_score", "gradedAt": "graded_at"}, null_if=("grade",),
)
SIZE_ASSESSMENT = Projection(
    ("id", "size", "size_rule_version", "size_rule_id", "size_inputs", "size_determined_at"),
    lambda r: SizeAssessment(
        customer_id=r.id, size=r.size, rule_version=r.size_rule_version, rule_id=r.size_rule_id,
        inputs=r.size_inputs, determined_at=r.size_determined_at,
    ),
    sql={"size": "size", "ruleVersion": "size_rule_version", "ruleId": "size_rule_id", "inputs": "size_inputs",
         "determinedAt": "size_determined_at"},
)
CREDIT_STATUS_ASSESSMENT = Projection(
    ("id", "credit_status", "credit_status_basis", "credit_status_set_at", "credit_status_set_by"),
    lambda r: CreditStatusAssessment(
        customer_id=r.id, status=r.credit_status, basis=r.credit_status_basis,
        set_at=r.credit_status_set_at, set_by=r.credit_status_set_by,
    ),
    sql={"status": "credit_status", "basis": "credit_status_basis", "setAt": "credit_status_set_at",
         "setBy": "credit_status_set_by"},
)
REVISIT_OVERDUE = Computed(("next_revisit_on",), lambda row, ctx: revisit_overdue(row, ctx.today))
VERIFICATION = Projection(
    ("basic_verified_on", "financial_verified_on", "operating_verified_on", "credit_verified_on"),
    lambda r: InformationVerification(
        basic=r.basic_verified_on, financial=r.financial_verified_on, operating=r.operating_verified_on,
        credit=r.credit_verified_on,
    ),
    sql={"basic": "basic_verified_on", "financial": "financial_verified_on", "operating": "operating_verified_on",
         "credit": "credit_verified_on"},
)
FINANCIALS_STALE = Computed(
    ("latest_statement_period_end", "financial_verified_on"), lambda row, ctx: is_stale(row, ctx.stale_cutoff)
)
RELATIONSHIP_MANAGER = Lookup(
    "relationship_manager_id", organisation.staff_by_id, lambda row: from_row(StaffMember, row),
    sql_table=StaffRow.__table__, sql_key="id",
)
BASIC = Related(
    "id", lambda s, ids, _: reads.basic_information(s, ids), lambda row, _: basic_information(row), single=True,
    sql_rows=reads.basic_information_sql,
)
OPERATING = Related(
    "id", lambda s, ids, _: reads.operating_information(s, ids), lambda row, _: from_row(OperatingInformation, row),
    single=True, sql_rows=reads.operating_information_sql,
)
CREDIT = Related(
    "id", lambda s, ids, _: reads.credit_information(s, ids), lambda row, _: from_row(CreditInformation, row),
    single=True, sql_rows=reads.credit_information_sql,
)
STATEMENTS = Related(
    "id", lambda s, ids, limit: reads.financial_statements(s, ids, last=limit),
    lambda row, _: from_row(FinancialStatement, row), argument="last", default=12, bounds=(1, MAX_NESTED),
    sql_rows=reads.statements_sql, order=("period_end", "id"),
)
# On PostgreSQL the database pages a customer's history and redacts each value (redacted_change_sql).
_HISTORY_SQL = PagedSql(ChangeRow.__table__, "customer_id", redact=lambda: HISTORY_REDACTION)
HISTORY: Paged = Paged(
    "id", page_fetch(lambda s, ids, request: history_pages(s, ids, request, major_only=False)),
    lambda row, ctx: redacted_change(ctx, row), default=50, bounds=(0, MAX_NESTED),
    variant=lambda args: MAJOR_HISTORY if args.get("majorOnly") else HISTORY, keys=HISTORY_KEYS,
    connection=lambda page, changes: history_connection(page, changes, major_only=False),
    sql=_HISTORY_SQL,
)
MAJOR_HISTORY: Paged = dataclasses.replace(
    HISTORY, fetch=page_fetch(lambda s, ids, request: history_pages(s, ids, request, major_only=True)), variant=None,
    connection=lambda page, changes: history_connection(page, changes, major_only=True),
    sql=dataclasses.replace(_HISTORY_SQL, condition=lambda c: c.major.is_(True)),
)
GRADE_HISTORY = Paged(
    "id", page_fetch(grading_reads.assessment_pages), lambda row, _: assessment_of(row), default=20,
    bounds=(0, MAX_NESTED), keys=grading_reads.ASSESSMENT_KEYS, connection=assessment_connection,
    sql=PagedSql(AssessmentRow.__table__, "customer_id"),
)
SERVICE_RECORDS = Paged(
    "id", page_fetch(servicing_reads.service_record_pages), lambda row, _: service_record_of(row), default=10,
    bounds=(0, MAX_NESTED), keys=servicing_reads.SERVICE_RECORD_KEYS, connection=service_record_connection,
    sql=PagedSql(ServiceRecordRow.__table__, "customer_id"),
)
GRADING_FAILURES = Related(
    "id", grading_reads.latest_failures, lambda row, _: failure_of(row), argument="last", default=10,
    bounds=(1, MAX_NESTED), sql_rows=grading_reads.newest_failures_sql, order=("id",),
)
EARLY_WARNINGS = Related(
    "id", warning_reads.latest_warnings, lambda row, _: warning_of(row), argument="last", default=10,
    bounds=(1, MAX_NESTED), sql_rows=warning_reads.newest_warnings_sql, order=("raised_at", "id"),
)
EXTERNAL_REVIEWS = Related(
    "id", external.reviews_of, lambda row, _: review_of(row), argument="last", default=10, bounds=(1, MAX_NESTED),
)
OPEN_WARNINGS = Count("id", warning_reads.OPEN_WARNINGS.fetch, warning_reads.OPEN_WARNINGS.subquery)
FACILITIES = Related(
    "id", facility_reads.facilities_of, lambda row, _: facility_of(row), argument="last", default=10,
    bounds=(1, MAX_NESTED), sql_rows=facility_reads.newest_facilities_sql, order=("id",),
)
APPLICATIONS = Related(
    "id", application_reads.applications_of, lambda row, _: application_of(row), argument="last", default=10,
    bounds=(1, MAX_NESTED), sql_rows=application_reads.newest_applications_sql, order=("id",),
)
TREATMENT_ACTIONS = Related(
    "id", treatment_reads.actions_of, lambda row, _: action_of(row), argument="last", default=10,
    bounds=(1, MAX_NESTED), sql_rows=treatment_reads.newest_actions_sql, order=("id",),
)
RISK_CLASSIFICATION = Related(
    "id", facility_reads.borrower_classification_in_force,
    lambda row, _: from_row(BorrowerClassification, row), single=True,
)
CLASSIFICATION_HISTORY = Related(
    "id", facility_reads.borrower_classifications, lambda row, _: from_row(BorrowerClassification, row),
    argument="last", default=10, bounds=(1, MAX_NESTED), sql_rows=facility_reads.newest_borrower_classifications_sql,
    order=("effective_on", "id"),
)
OPEN_COMPLAINTS = Count("id", servicing_reads.OPEN_COMPLAINTS.fetch, servicing_reads.OPEN_COMPLAINTS.subquery)
CONSENTS = Related("id", lambda s, ids, _: access.consents_of(s, ids), lambda row, _: consent_of(row))


# Every field declares its own class; the id (from relay.Node) is registry information.
@classified("registry")
@strawberry.type(
    description="A credit customer of the lender. Fields the caller may not read are null, with a "
    "FORBIDDEN error at their path."
)
class Customer(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(
        description="Registered name.",
        metadata=_customer.column("name", "registry", where=(StringComparison, "Registered name."), sort=True),
    )
    credit_code: str = strawberry.field(
        description="18-character Unified Social Credit Code (GB 32100-2015).",
        metadata=_customer.column(
            "credit_code", "registry", where=(StringComparison, "Unified Social Credit Code."), sort=True
        ),
    )
    version: int | None = strawberry.field(
        description="Changes with every update; send it back to update (optimistic concurrency).",
        metadata=_customer.column("version", "profile"),
    )
    created_at: datetime | None = strawberry.field(
        description="When it was registered.",
        metadata=_customer.column("created_at", "profile", where=(DateTimeComparison, "Registration time."), sort=True),
    )
    updated_at: datetime | None = strawberry.field(
        description="When anything about it last changed.",
        metadata=_customer.column("updated_at", "profile", where=(DateTimeComparison, "Last change time."), sort=True),
    )
    last_major_change_at: datetime | None = strawberry.field(
        description="When the last major change was recorded.",
        metadata=_customer.column(
            "last_major_change_at", "profile", where=(DateTimeComparison, "When the last major change was recorded.")
        ),
    )
    latest_statement_period_end: date | None = strawberry.field(
        description="Period end of the newest financial statement.",
        metadata=_customer.column(
            "latest_statement_period_end", "profile", where=(DateComparison, "Period end of the newest statement.")
        ),
    )
    size: EnterpriseSizeEnum | None = strawberry.field(
        description="Enterprise size, derived from industry, employees, revenue and total assets.",
        metadata=_customer.column("size", "profile", where=(EnterpriseSizeComparison, "Enterprise size.")),
    )
    credit_status: CreditStatusEnum | None = strawberry.field(
        description="Credit status, from the grade and the repayment record.",
        metadata=_customer.column("credit_status", "profile", where=(CreditStatusComparison, "Credit status.")),
    )
    next_revisit_on: date | None = strawberry.field(
        description="When the next revisit is due: the grade's revisit interval (A 180 days, B 90, C 30, D 14 as "
        "shipped) from the last revisit; earlier when the grade worsens. Null until graded.",
        metadata=_customer.column(
            "next_revisit_on", "servicing", where=(DateComparison, "When the next revisit is due."), sort=True,
            sort_description="Sort by the next revisit's day; customers without one come last either way.",
        ),
    )
    last_revisit_on: date | None = strawberry.field(
        description="The day of the last revisit (`ServiceKind.REVISIT`), the lender's calendar.",
        metadata=_customer.column("last_revisit_on", "servicing", where=(DateComparison, "The last revisit's day.")),
    )
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        """The regular path's customer: every ``Column`` field copied from the row, as declared."""
        return cls(id=row.id, row=row, **CUSTOMER_READS.row_values(row))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Customer | None]:
        node_ids = list(node_ids)
        ids = [int(i) for i in node_ids if i.isdigit()]
        async with info.context.reading() as session:
            found = await customers.customers_by_id(session, ids, scope=info.context.scope)
        result = [cls.from_row(found[int(i)]) if i.isdigit() and int(i) in found else None for i in node_ids]
        if required and any(r is None for r in result):
            raise NotFound("Customer")
        return result

    @strawberry.field(
        description="Industry by GB/T 4754-2017.",
        metadata=declare(
            INDUSTRY, "registry", sort=_customer.sort("industry_code"), sort_description="Sort by industry code.",
            filters=[_customer.filter(
                "industry_code", StringComparison, "GB/T 4754 code; `_startsWith: \"C\"` selects a section."
            )],
        ),
    )
    def industry(self) -> Industry | None:
        return INDUSTRY.value(self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="How the size was derived (its inputs are financial figures).",
        metadata=declare(SIZE_ASSESSMENT, "financial"),
    )
    def size_assessment(self) -> SizeAssessment | None:
        return SIZE_ASSESSMENT.value(self.row)  # type: ignore[no-any-return]

    @strawberry.field(description="Credit status with its basis.", metadata=declare(CREDIT_STATUS_ASSESSMENT, "credit"))
    def credit_status_assessment(self) -> CreditStatusAssessment | None:
        return CREDIT_STATUS_ASSESSMENT.value(self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="True when the newest financial statement is older than the configured age "
        "(default 15 months) or there is none.",
        metadata=declare(
            FINANCIALS_STALE, "profile",
            filters=[_customer.filter("stale", BooleanComparison, "Financial information stale.", STALE_FILTER)],
        ),
    )
    def financials_stale(self, info: Info) -> bool | None:
        return FINANCIALS_STALE.value(self.row, info.context)  # type: ignore[no-any-return]

    @strawberry.field(
        description="True when the next revisit's day has passed (the lender's today) and none was recorded since.",
        metadata=declare(
            REVISIT_OVERDUE, "servicing",
            filters=[
                _customer.filter("revisit_overdue", BooleanComparison, "Revisit overdue.", REVISIT_OVERDUE_FILTER)
            ],
        ),
    )
    def revisit_overdue(self, info: Info) -> bool | None:
        return REVISIT_OVERDUE.value(self.row, info.context)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The days revisits and site visits last confirmed each information group as current.",
        metadata=declare(VERIFICATION, "servicing"),
    )
    def information_verified(self) -> InformationVerification | None:
        return VERIFICATION.value(self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The branch the customer belongs to.",
        metadata=declare(
            BRANCH, "registry", filters=[_customer.filter("branch_code", StringComparison, "Branch code.")],
            sort=_customer.sort("branch_code"), sort_description="Sort by branch code.",
        ),
    )
    async def branch(self, info: Info) -> Branch | None:
        return await looked_up(info, BRANCH, self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The relationship manager who looks after the customer.",
        metadata=declare(
            RELATIONSHIP_MANAGER, "profile",
            filters=[_customer.filter(
                "relationship_manager_username", StringComparison, "Username of the relationship manager.",
                MANAGER_USERNAME_FILTER,
            )],
        ),
    )
    async def relationship_manager(self, info: Info) -> StaffMember | None:
        return await looked_up(info, RELATIONSHIP_MANAGER, self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Basic information (licence, articles, legal representative, capital, scope).",
        metadata=declare(BASIC, "basic"),
    )
    async def basic_information(self, info: Info) -> BasicInformation | None:
        return await related(info, BASIC, self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Financial statements, newest period first.", metadata=declare(STATEMENTS, "financial")
    )
    async def financial_statements(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest periods (1–100).")] = 12,
    ) -> list[FinancialStatement] | None:
        return await related(info, STATEMENTS, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(description="Operating information.", metadata=declare(OPERATING, "operating"))
    async def operating_information(self, info: Info) -> OperatingInformation | None:
        return await related(info, OPERATING, self.row)  # type: ignore[no-any-return]

    @strawberry.field(description="Credit information.", metadata=declare(CREDIT, "credit"))
    async def credit_information(self, info: Info) -> CreditInformation | None:
        return await related(info, CREDIT, self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Changes to this customer, newest first, page by page (50 unless `first` or `last` "
        "says). Old and new values of fields the caller may not read are null (masked where the caller "
        "reads them masked).",
        metadata=declare(HISTORY, "history"),
    )
    async def history(
        self, info: Info,
        major_only: Annotated[
            bool,
            strawberry.argument(
                description="Only major changes: legal representative, business scope, major investments."
            ),
        ] = False,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=_LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=_BEFORE)] = None,
    ) -> CustomerChangeConnection | None:
        arguments = {"majorOnly": major_only, **page_arguments(first, after, last, before)}
        return await paged(info, HISTORY, self.row, arguments)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The grade in force (A to D) with what it means in practice; null until first graded.",
        metadata=declare(
            GRADE, "grading",
            filters=[
                _customer.filter("grade", GradeLevelComparison, "The grade in force (`grade.level`)."),
                _customer.filter(
                    "score", DecimalComparison, "The latest assessment's score, 0–100 (`grade.score`).",
                    FilterSql(column=CustomerRow.__table__.c.grade_score),
                ),
            ],
            sort=_customer.sort("grade"),
            sort_description="Sort by the grade in force, A first when ascending; customers not yet graded "
            "come last either way.",
            more_sorts=[(
                "score", SortSql(CustomerRow.__table__.c.grade_score),
                "Sort by the latest assessment's score, lowest first when ascending; customers not yet "
                "graded come last either way.",
            )],
        ),
    )
    def grade(self) -> CustomerGrade | None:
        return GRADE.value(self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Every assessment of this customer, newest first, page by page (20 unless `first` or "
        "`last` says).",
        metadata=declare(GRADE_HISTORY, "grading"),
    )
    async def grade_history(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=_LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=_BEFORE)] = None,
    ) -> GradeAssessmentConnection | None:
        arguments = page_arguments(first, after, last, before)
        return await paged(info, GRADE_HISTORY, self.row, arguments)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Service contacts with this customer, before, during and after loans, newest first, page "
        "by page (10 unless `first` or `last` says; `first` takes the newest).",
        metadata=declare(SERVICE_RECORDS, "servicing"),
    )
    async def service_records(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=_LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=_BEFORE)] = None,
    ) -> CustomerServiceRecordConnection | None:
        arguments = page_arguments(first, after, last, before)
        return await paged(info, SERVICE_RECORDS, self.row, arguments)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Automatic re-grades of this customer that failed, newest first: the grade in force is "
        "older than the information recorded since.",
        metadata=declare(GRADING_FAILURES, "grading_runs"),
    )
    async def grading_failures(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest failures (1–100).")] = 10,
    ) -> list[GradingFailure] | None:
        return await related(info, GRADING_FAILURES, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Early warnings raised for this customer, newest first.",
        metadata=declare(EARLY_WARNINGS, "servicing"),
    )
    async def early_warnings(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest warnings (1–100).")] = 10,
    ) -> list[EarlyWarning] | None:
        return await related(info, EARLY_WARNINGS, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Reviews of external events that touch this customer, open ones first, then the newest.",
        metadata=declare(EXTERNAL_REVIEWS, "servicing"),
    )
    async def external_reviews(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many reviews (1–100).")] = 10,
    ) -> list[ExternalReview] | None:
        return await related(info, EXTERNAL_REVIEWS, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customer's credit facilities here, newest first.", metadata=declare(FACILITIES, "credit")
    )
    async def facilities(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest facilities (1–100).")] = 10,
    ) -> list[CreditFacility] | None:
        return await related(info, FACILITIES, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customer's credit applications, newest first.", metadata=declare(APPLICATIONS, "credit")
    )
    async def credit_applications(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest applications (1–100).")] = 10,
    ) -> list[CreditApplication] | None:
        return await related(info, APPLICATIONS, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The tasks its grades' treatments raised (a D grade: an exposure reduction plan and early "
        "recall decisions), newest first.",
        metadata=declare(TREATMENT_ACTIONS, "credit"),
    )
    async def treatment_actions(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest tasks (1–100).")] = 10,
    ) -> list[TreatmentAction] | None:
        return await related(info, TREATMENT_ACTIONS, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The customer's five-category classification here (its worst facility's, after the "
        "borrower-level rules); null while no facility is on record.",
        metadata=declare(RISK_CLASSIFICATION, "credit"),
    )
    async def risk_classification(self, info: Info) -> BorrowerClassification | None:
        return await related(info, RISK_CLASSIFICATION, self.row)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Every change of the customer's classification, newest first.",
        metadata=declare(CLASSIFICATION_HISTORY, "credit"),
    )
    async def classification_history(
        self,
        info: Info,
        last: Annotated[int, strawberry.argument(description="How many of the newest changes (1–100).")] = 10,
    ) -> list[BorrowerClassification] | None:
        return await related(info, CLASSIFICATION_HISTORY, self.row, last)  # type: ignore[no-any-return]

    @strawberry.field(
        description="How many of this customer's early warnings are not yet closed.",
        metadata=declare(OPEN_WARNINGS, "servicing"),
    )
    async def open_warning_count(self, info: Info) -> int | None:
        return await counted(info, OPEN_WARNINGS, self.row)

    @strawberry.field(
        description="How many of this customer's complaints are not yet closed.",
        metadata=declare(OPEN_COMPLAINTS, "complaints"),
    )
    async def open_complaint_count(self, info: Info) -> int | None:
        return await counted(info, OPEN_COMPLAINTS, self.row)

    @strawberry.field(
        description="Written consents to disclose information to third parties, newest first.",
        metadata=declare(CONSENTS, "consents"),
    )
    async def consents(self, info: Info) -> list[Consent] | None:
        return await related(info, CONSENTS, self.row)  # type: ignore[no-any-return]


CUSTOMER_READS = TypeReads.of(Customer, node_id=_customer.column("id", "registry", sort=True)[METADATA_KEY])


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


_AS_NAMED = EnumNames(Customer, BasicInformation, OperatingInformation, CreditInformation)


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
        # An enum's value reads as the schema names it (MEDIUM), as on the field itself.
        return from_row(CustomerChange, row, old_value=_AS_NAMED(coordinate, row.old_value),
                        new_value=_AS_NAMED(coordinate, row.new_value))
    if step.access is FieldAccess.MASKED and coordinate in MASKERS:
        if step.audited and shown:
            ctx.audit.note("read", step.group or "", coordinate, row.customer_id)
        mask = MASKERS[coordinate]
        return from_row(CustomerChange, row, old_value=mask(row.old_value), new_value=mask(row.new_value))
    return from_row(CustomerChange, row, old_value=None, new_value=None)


# --- the same redaction as the database does it (schema.planned.sql_json), for the planned path ---

_GROUP_ROWS = {
    InfoGroup.CUSTOMER: CustomerRow, InfoGroup.BASIC: BasicRow,
    InfoGroup.OPERATING: OperatingRow, InfoGroup.CREDIT: CreditRow,
}


@functools.cache
def _history_coordinates() -> frozenset[str]:
    """Every coordinate ``history_coordinate`` gives for a field a history entry can name: the
    group type's schema fields and its table's columns (as ``apply_changes`` names them)."""
    types = {"Customer": Customer, "BasicInformation": BasicInformation,
             "OperatingInformation": OperatingInformation, "CreditInformation": CreditInformation}
    found = {history_coordinate(InfoGroup.FINANCIAL, "")}
    for group, type_name in _GROUP_TYPES.items():
        definition = types[type_name].__strawberry_definition__  # type: ignore[attr-defined]
        names = {f.graphql_name or to_camel_case(f.python_name) for f in definition.fields}
        names |= {to_camel(column.key) for column in _GROUP_ROWS[group].__table__.c}
        found |= {history_coordinate(group, name) for name in names}
    return frozenset(found)


HISTORY_REDACTION: RedactedBy = RedactedBy(
    ("old_value", "new_value"), "info_group", "field",
    whole_groups={InfoGroup.FINANCIAL.value: history_coordinate(InfoGroup.FINANCIAL, "")},
    special={(group.value, name): coordinate for (group, name), coordinate in _HISTORY_COORDINATES.items()},
    group_types={group.value: type_name for group, type_name in _GROUP_TYPES.items()},
    known=_history_coordinates, enum_names=lambda coordinate: _AS_NAMED._names.get(coordinate),
)
