"""Reference data in the schema: the GB/T 4754 industry code list and enumerations."""

from __future__ import annotations

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
from api.reference.industries import IndustryCategory, all_industries, get_industry

# strawberry.enum() registers the GraphQL enum on the Python enum itself and returns that same class;
# the `...Enum` names below are plain aliases of those classes, which type checkers accept as types.
strawberry.enum(
    CreditStatus, name="CreditStatus",
    description="Credit status by rating and repayment record (R-C3).",
)
strawberry.enum(
    EnterpriseSize, name="EnterpriseSize",
    description="Enterprise size by China's 2011 SME size standard (R-C2).",
)
strawberry.enum(
    IndustryCategory, name="IndustryCategory",
    description="The lender's coarse industry classes, which decide maintenance measures (R-C1).",
)
strawberry.enum(IdDocumentType, name="IdDocumentType", description="Kind of identity document.")
strawberry.enum(PeriodKind, name="PeriodKind", description="Length of a reporting period.")
strawberry.enum(AuditOpinion, name="AuditOpinion", description="The auditor's opinion on a statement.")
strawberry.enum(IndustryPosition, name="IndustryPosition", description="The customer's standing in its industry.")
strawberry.enum(CreditEventKind, name="CreditEventKind", description="Kind of credit-history event.")
strawberry.enum(GuaranteeStatus, name="GuaranteeStatus", description="State of a guarantee given to a third party.")
strawberry.enum(InfoGroup, name="InfoGroup", description="Which part of a customer's record a change touched.")

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


@strawberry.type(description="An entry of the GB/T 4754-2017 industry classification.")
class Industry:
    code: str = strawberry.field(description="The code, e.g. `C13` (division) or `K701` (group).")
    section: str = strawberry.field(description="The section letter, e.g. `C` for manufacturing.")
    name: str = strawberry.field(description="English name.")
    name_zh: str = strawberry.field(description="Chinese name as published.")
    category: IndustryCategoryEnum = strawberry.field(description="The lender's coarse class.")
    assignable: bool = strawberry.field(description="Whether a customer may be classified with this code.")


def industry_of(code: str) -> Industry:
    entry = get_industry(code)
    if entry is None:  # only a code removed from the list after it was stored gets here
        return Industry(code=code, section=code[:1], name=code, name_zh=code,
                        category=IndustryCategory.OTHER, assignable=False)
    return Industry(
        code=entry.code, section=entry.section, name=entry.name, name_zh=entry.name_zh,
        category=entry.category, assignable=entry.level != "section",
    )


@strawberry.type
class ReferenceQuery:
    @strawberry.field(description="The industry code list (GB/T 4754-2017), optionally one section.")
    def industries(self, section: str | None = None) -> list[Industry]:
        return [
            industry_of(entry.code)
            for entry in all_industries()
            if section is None or entry.section == section
        ]
