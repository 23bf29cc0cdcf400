"""Service contacts as the customer's page shows them (R-S1 … R-S3)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.db.enums import ServiceKind, ServiceStage
from schema.data_classes import classified
from schema.reference import described_enum

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
        "REVISIT": "A scheduled visit after the loan, as the grade's treatment requires.",
        "RISK_WARNING": "Warning the customer of a risk seen in its business or repayments.",
        "VALUE_ADDED_SERVICE": "A service beyond credit, such as settlement or advisory services.",
    },
)
ServiceStageEnum = ServiceStage
ServiceKindEnum = ServiceKind


@classified("servicing")
@strawberry.type(description="One contact with the customer: stage, kind, who, when, what, and the follow-up.")
class ServiceRecord(relay.Node):
    id: relay.NodeID[int]
    customer_id: strawberry.Private[int]
    stage: ServiceStageEnum = strawberry.field(description="Pre-loan, in-loan or post-loan.")
    kind: ServiceKindEnum = strawberry.field(description="What kind of contact it was.")
    occurred_at: datetime = strawberry.field(description="When the contact happened.")
    recorded_by: str = strawberry.field(description="Who recorded it (token `sub`).")
    summary: str = strawberry.field(description="What was discussed or done.")
    follow_up: str | None = strawberry.field(description="What was agreed to follow up, if anything.")
