"""Types of the access domain: written consents and audit entries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from api.services.access import ConsentGroup
from schema.data_classes import classified
from schema.reference import described_enum

# strawberry.enum() registers the GraphQL enum on the class itself and returns it: the alias is that
# same class, spelled so that type checkers accept it as a type.
described_enum(
    ConsentGroup, name="ConsentGroup", description="An information group a consent can disclose.",
    values={
        "BASIC": "Basic information: licence, articles, legal representative, capital and scope.",
        "IDENTITY": "Identity documents, such as the legal representative's identity number.",
        "FINANCIAL": "Financial statements and the figures derived from them.",
        "OPERATING": "Operating information and major investments.",
        "CREDIT": "Credit information: report, rating, credit events and guarantees.",
    },
)
ConsentGroupEnum = ConsentGroup


@classified("consents")
@strawberry.type(description="A customer's written consent to disclose information groups to a third party.")
class Consent(relay.Node):
    id: relay.NodeID[int]
    third_party: str = strawberry.field(description="The third party (its principal name).")
    groups: list[ConsentGroupEnum] = strawberry.field(description="The information groups it discloses.")
    document_reference: str = strawberry.field(description="Reference of the signed consent document.")
    valid_from: datetime = strawberry.field(description="From when it counts.")
    valid_until: datetime | None = strawberry.field(description="Until when it counts; null for no end date.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    recorded_by: str = strawberry.field(description="Who recorded it.")
    customer_id: strawberry.Private[int]


def consent_of(row: Any) -> Consent:
    return Consent(
        id=row.id,
        third_party=row.third_party,
        groups=[ConsentGroup(g) for g in row.groups],
        document_reference=row.document_reference,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        recorded_by=row.recorded_by,
        customer_id=row.customer_id,
    )


@strawberry.enum(description="What an audit entry records.")
class AuditAction(Enum):
    READ = strawberry.enum_value("read", description="Confidential information was read.")
    DENY = strawberry.enum_value("deny", description="A request for information or a change was refused.")
    DISCLOSE = strawberry.enum_value(
        "disclose", description="Information was disclosed to a third party under a written consent."
    )
    WRITE = strawberry.enum_value("write", description="Something was changed.")


@strawberry.type(description="One entry of the append-only audit log.")
class AuditEntry(relay.Node):
    id: relay.NodeID[int]
    at: datetime = strawberry.field(description="When.")
    principal: str = strawberry.field(description="Who (token `sub`).")
    roles: str = strawberry.field(description="The roles they held, space-separated.")
    action: AuditAction = strawberry.field(description="Read, denial, disclosure to a third party, or write.")
    customer_id: strawberry.ID | None = strawberry.field(description="Global ID of the customer concerned, if any.")
    object: str = strawberry.field(description="The information group, schema coordinate or mutation.")
    fields: list[str] = strawberry.field(description="The schema coordinates read, disclosed or refused.")
    request_id: str = strawberry.field(
        description="The request it happened in: the id the service gave it (the response's `X-Request-ID`)."
    )
    client_request_id: str | None = strawberry.field(
        description="The `X-Request-ID` the client sent with that request, if any (returned as `X-Client-Request-ID`)."
    )
    detail: str | None = strawberry.field(description="Anything else worth keeping.")


def audit_entry_of(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id, at=row.at, principal=row.principal, roles=row.roles, action=AuditAction(row.action),
        customer_id=(
            strawberry.ID(str(relay.GlobalID("Customer", str(row.customer_id))))
            if row.customer_id is not None else None
        ),
        object=row.object, fields=list(row.fields or []), request_id=row.request_id,
        client_request_id=row.client_request_id, detail=row.detail,
    )
