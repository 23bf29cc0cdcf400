"""Service contacts as the customer's page shows them (R-S1 … R-S3)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.db.enums import ServiceKind, ServiceStage
from schema.data_classes import classified

# strawberry.enum() registers the GraphQL enum on the class itself and returns it: the aliases are
# those same classes, spelled so that type checkers accept them as types.
strawberry.enum(
    ServiceStage, name="ServiceStage", description="When the contact happened: before, during or after the loan."
)
strawberry.enum(ServiceKind, name="ServiceKind", description="What the contact was (R-S1 … R-S3).")
ServiceStageEnum = ServiceStage
ServiceKindEnum = ServiceKind


@classified("servicing")
@strawberry.type(description="One contact with the customer: stage, kind, who, when, what, and the follow-up.")
class ServiceRecord:
    customer_id: strawberry.Private[int]
    stage: ServiceStageEnum = strawberry.field(description="Pre-loan, in-loan or post-loan.")
    kind: ServiceKindEnum = strawberry.field(description="What kind of contact it was.")
    occurred_at: datetime = strawberry.field(description="When the contact happened.")
    recorded_by: str = strawberry.field(description="Who recorded it (token `sub`).")
    summary: str = strawberry.field(description="What was discussed or done.")
    follow_up: str | None = strawberry.field(description="What was agreed to follow up, if anything.")
