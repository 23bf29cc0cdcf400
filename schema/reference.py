"""Reference data in the schema: the GB/T 4754 industry code list and enumerations."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, TypeVar, cast

import strawberry

from api.db.enums import (
    AuditOpinion,
    CreditEventKind,
    CreditStatus,
    EnterpriseSize,
    GuaranteeStatus,
    IdDocumentType,
    IndustryPosition,
    InfoGroup,
    PeriodKind,
)
from api.reference.industries import LEVELS, IndustryCategory, all_industries, get_industry

E = TypeVar("E", bound=Enum)


def described_enum(enum: type[E], *, name: str, description: str, values: Mapping[str, str]) -> type[E]:
    """Register ``enum`` as the GraphQL enum ``name`` with a description of every value.

    For enums declared below the schema (``api.db``), whose members cannot carry strawberry's
    ``enum_value``. Every member must be described, and nothing else: a new member fails here
    at import until it is.
    """
    strawberry.enum(enum, name=name, description=description)
    definition = cast(Any, enum).__strawberry_definition__
    names = {value.name for value in definition.values}
    if names != set(values):
        raise ValueError(f"{name}: describe exactly {sorted(names)}, not {sorted(values)}")
    for value in definition.values:
        value.description = values[value.name]
    return enum


# strawberry.enum() registers the GraphQL enum on the Python enum itself and returns that same class;
# the `...Enum` names below are plain aliases of those classes, which type checkers accept as types.
described_enum(
    CreditStatus, name="CreditStatus",
    description="Credit status, set from the customer's grade and repayment record.",
    values={
        "PREMIUM": "Grade A and no late payment or default in the last two years.",
        "GENERAL": "In good standing: neither premium nor under watch.",
        "WATCH": "Grade C or D, days past due now, or a late payment in the last year.",
        "NON_PERFORMING": "Over 90 days past due, or a default in the last year.",
    },
)
described_enum(
    EnterpriseSize, name="EnterpriseSize",
    description="Enterprise size class of China's 2011 SME classification standard, derived from "
    "industry, employees, revenue and total assets.",
    values={
        "LARGE": "Large enterprise.",
        "MEDIUM": "Medium-sized enterprise.",
        "SMALL": "Small enterprise.",
        "MICRO": "Micro enterprise.",
        "NOT_APPLICABLE": "Not sized: the standard does not apply to the customer's industry (public "
        "administration and social organisations, section S; international organisations, section T).",
    },
)
described_enum(
    IndustryCategory, name="IndustryCategory",
    description="The lender's coarse industry classes, which decide the grading scorecard and the "
    "maintenance measures.",
    values={
        "MANUFACTURING": "Manufacturing (GB/T 4754 section C).",
        "SERVICES": "Services (sections G, H, I, L, M, N, O, P, Q and R).",
        "WHOLESALE_RETAIL": "Wholesale and retail trade (section F).",
        "REAL_ESTATE": "Real estate (section K).",
        "OTHER": "Any other section, e.g. agriculture, mining, utilities, construction or finance.",
    },
)
described_enum(
    IdDocumentType, name="IdDocumentType", description="Kind of identity document.",
    values={
        "RESIDENT_ID_CARD": "PRC resident identity card (18 characters, check character verified).",
        "PASSPORT": "Passport.",
        "OTHER": "Any other identity document.",
    },
)
described_enum(
    PeriodKind, name="PeriodKind", description="Length of a reporting period.",
    values={
        "ANNUAL": "A financial year.",
        "SEMIANNUAL": "Half a year.",
        "QUARTERLY": "A quarter.",
    },
)
described_enum(
    AuditOpinion, name="AuditOpinion", description="The auditor's opinion on a statement.",
    values={
        "UNQUALIFIED": "Clean opinion: the statements are fairly presented.",
        "QUALIFIED": "Fairly presented except for the matters the auditor names.",
        "ADVERSE": "The statements are materially misstated.",
        "DISCLAIMER": "The auditor could not form an opinion.",
        "UNAUDITED": "The statements were not audited.",
    },
)
described_enum(
    IndustryPosition, name="IndustryPosition", description="The customer's standing in its industry.",
    values={
        "LEADER": "Leads its industry or market segment.",
        "MAJOR": "One of the major players.",
        "AVERAGE": "An average player.",
        "MINOR": "A minor player.",
    },
)
described_enum(
    CreditEventKind, name="CreditEventKind", description="Kind of credit-history event.",
    values={
        "LOAN_REPAID": "A loan was repaid in full.",
        "OVERDUE": "A payment was overdue (see `daysPastDue`).",
        "DEFAULT": "The customer defaulted on a loan.",
        "RESTRUCTURING": "A loan was restructured.",
        "LITIGATION": "A lawsuit about a debt.",
        "ENFORCEMENT": "Enforcement of a judgment or collateral.",
        "OTHER": "Anything else worth keeping in the credit history.",
    },
)
described_enum(
    GuaranteeStatus, name="GuaranteeStatus", description="State of a guarantee given to a third party.",
    values={
        "ACTIVE": "In force: the customer may have to pay.",
        "RELEASED": "Released: the customer no longer answers for the debt.",
        "CALLED": "Called: the beneficiary's creditor demanded payment from the customer.",
    },
)
described_enum(
    InfoGroup, name="InfoGroup", description="Which part of a customer's record a change touched.",
    values={
        "CUSTOMER": "The customer itself: registration, classification, assignment, status and grade.",
        "BASIC": "Basic information: licence, articles, legal representative, capital and scope.",
        "FINANCIAL": "Financial statements.",
        "OPERATING": "Operating information and major investments.",
        "CREDIT": "Credit information: report, rating, credit events and guarantees.",
    },
)

CreditStatusEnum = CreditStatus
EnterpriseSizeEnum = EnterpriseSize
IndustryCategoryEnum = IndustryCategory
IdDocumentTypeEnum = IdDocumentType
PeriodKindEnum = PeriodKind
AuditOpinionEnum = AuditOpinion
IndustryPositionEnum = IndustryPosition
CreditEventKindEnum = CreditEventKind
GuaranteeStatusEnum = GuaranteeStatus
InfoGroupEnum = InfoGroup


@strawberry.enum(description="How deep in GB/T 4754-2017 a code sits.")
class IndustryLevel(Enum):
    SECTION = strawberry.enum_value("section", description="A letter, e.g. `C` (manufacturing).")
    DIVISION = strawberry.enum_value("division", description="Two digits, e.g. `C34`.")
    GROUP = strawberry.enum_value("group", description="Three digits, e.g. `C341`.")
    CLASS = strawberry.enum_value("class", description="Four digits, e.g. `C3411`.")


@strawberry.type(description="An entry of the GB/T 4754-2017 industry classification.")
class Industry:
    code: str = strawberry.field(
        description="The code, e.g. `C34` (division), `K701` (group) or `K7010` (class)."
    )
    section: str = strawberry.field(description="The section letter, e.g. `C` for manufacturing.")
    level: IndustryLevel = strawberry.field(description="Section, division, group or class.")
    parent_code: str | None = strawberry.field(
        description="The code one level up (a class's group, a group's division…); null for a section."
    )
    name: str = strawberry.field(description="English name.")
    name_zh: str = strawberry.field(description="Chinese name as published.")
    category: IndustryCategoryEnum = strawberry.field(description="The lender's coarse class.")
    assignable: bool = strawberry.field(description="Whether a customer may be classified with this code.")


def industry_of(code: str) -> Industry:
    entry = get_industry(code)
    if entry is None:  # only a code removed from the list after it was stored gets here
        return Industry(code=code, section=code[:1], level=IndustryLevel(LEVELS.get(len(code), "section")),
                        parent_code=None, name=code, name_zh=code, category=IndustryCategory.OTHER, assignable=False)
    return Industry(
        code=entry.code, section=entry.section, level=IndustryLevel(entry.level), parent_code=entry.parent,
        name=entry.name, name_zh=entry.name_zh, category=entry.category, assignable=entry.level != "section",
    )


@strawberry.type
class ReferenceQuery:
    @strawberry.field(
        description="The industry code list (GB/T 4754-2017) in code order: every code, one section's, or the "
        "codes one level under a code (for a picker that opens level by level)."
    )
    def industries(
        self,
        section: Annotated[
            str | None, strawberry.argument(description="Only this section's codes, e.g. `C`; all when null.")
        ] = None,
        parent_code: Annotated[
            str | None, strawberry.argument(description="Only the codes directly under this one, e.g. `C34`.")
        ] = None,
    ) -> list[Industry]:
        return [
            industry_of(entry.code)
            for entry in all_industries()
            if (section is None or entry.section == section) and (parent_code is None or entry.parent == parent_code)
        ]
