"""Consents, confidentiality agreements, the audit log and policy administration in the schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from api.authz.policy import FieldAccess
from api.errors import InvalidInput
from api.services import access, audit
from schema.access_types import AuditAction, AuditEntry, Consent, ConsentGroupEnum, audit_entry_of, consent_of
from schema.authz import forbidden
from schema.context import Info
from schema.convert import from_row, input_dict
from schema.data_classes import classes
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id, page_info
from schema.mutation_runner import run_mutation
from schema.organisation import StaffMember, StaffMemberPayload


@strawberry.input(description="A customer's written consent.")
class RecordConsentInput:
    customer_id: strawberry.ID = strawberry.field(description="The consenting customer.")
    third_party: str = strawberry.field(description="The third party's principal name (its token `sub`).")
    groups: list[ConsentGroupEnum] = strawberry.field(description="The information groups it discloses.")
    document_reference: str = strawberry.field(description="Reference of the signed document.")
    valid_from: datetime = strawberry.field(description="From when it counts (with time zone).")
    valid_until: datetime | None = strawberry.field(default=None, description="Until when; null for no end date.")


@strawberry.input(description="The consent to revoke.")
class RevokeConsentInput:
    id: strawberry.ID = strawberry.field(description="Global ID of the consent.")


@strawberry.input(
    description="A signed confidentiality agreement: without one in force, staff see no confidential information."
)
class RecordAgreementInput:
    username: str = strawberry.field(description="The staff member.")
    signed_on: date = strawberry.field(description="When it was signed.")
    expires_on: date | None = strawberry.field(default=None, description="When it ends; null if it does not.")
    reference: str = strawberry.field(description="Reference of the signed agreement.")


@strawberry.type(description="The consent after the change.")
class ConsentPayload:
    consent: Consent | None = strawberry.field(
        description="The consent as it is now; null (with an error) for a caller who may not read consents.",
        metadata=classes("consents"),
    )


ConsentResult = Annotated[
    ConsentPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("ConsentResult", description="The consent after the change, or why nothing changed."),
]
AgreementResult = Annotated[
    StaffMemberPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union(
        "AgreementResult", description="The staff member with the agreement on file, or why nothing changed."
    ),
]


@strawberry.input(description="Which audit entries; every given condition must hold.")
class AuditWhere:
    principal: str | None = strawberry.field(default=None, description="Whose acts: a token `sub`, exactly.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="About this customer (its global ID)."
    )
    action: AuditAction | None = strawberry.field(default=None, description="Only this kind of entry.")
    request_id: str | None = strawberry.field(default=None, description="In this request, by the service's id.")
    client_request_id: str | None = strawberry.field(
        default=None, description="In the request the client sent with this `X-Request-ID`."
    )
    since: datetime | None = strawberry.field(default=None, description="At or after.")
    until: datetime | None = strawberry.field(default=None, description="Before.")


@strawberry.type(description="An audit entry and its cursor.")
class AuditEntryEdge:
    cursor: str = strawberry.field(description="Where this entry is: pass it as `after` for the entries after it.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the audit log, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the whole log.")
    where: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="How many entries match, over all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.reading() as session:
            return await audit.count_entries(session, where=self.where)


AUDIT_LOG = "Query.auditLog"


async def audit_entry_node(info: Info, key: int) -> AuditEntry | None:
    """``node(id:)`` of an audit entry: as readable as the audit log (``Query.auditLog``)."""
    ctx = info.context
    if ctx.decisions.field(AUDIT_LOG) is FieldAccess.DENIED:
        raise forbidden(ctx, AUDIT_LOG, None)
    async with ctx.reading() as session:
        row = await audit.find_entry(session, key)
    return None if row is None else audit_entry_of(row)


@strawberry.type
class AccessQuery:
    @strawberry.field(description="The audit log, newest first (compliance).")
    async def audit_log(
        self,
        info: Info,
        where: Annotated[
            AuditWhere | None, strawberry.argument(description="Which entries; all when null.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="How many entries, from 0 to the page size limit (default 100).")
        ] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="The `cursor` of the entry to continue after.")
        ] = None,
    ) -> AuditEntryConnection | None:
        limit = info.context.settings.max_page_size
        if not 0 <= first <= limit:
            raise InvalidInput.one("first", f"must be between 0 and {limit}")
        conditions = input_dict(where) if where else {}
        if conditions.get("customer_id"):
            conditions["customer_id"] = decode_global_id(conditions["customer_id"], "Customer", "where.customerId")
        async with info.context.reading() as session:
            page = await audit.find_entries(session, where=conditions, first=first, after=after)
        return AuditEntryConnection(
            edges=[
                AuditEntryEdge(cursor=c, node=audit_entry_of(r))
                for r, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
            where=conditions,
        )


@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="Record a customer's written consent to disclose information to a third party.")
    async def record_consent(
        self, info: Info, input: Annotated[RecordConsentInput, strawberry.argument(description="The consent.")]
    ) -> ConsentResult:
        data = input_dict(input)
        raw_id = data.pop("customer_id")

        async def act(session: AsyncSession) -> ConsentPayload:
            row = await access.record_consent(
                session, principal=info.context.principal, scope=info.context.scope,
                customer_id=decode_global_id(raw_id, "Customer", "input.customerId"), data=data,
            )
            return ConsentPayload(consent=consent_of(row))

        return await run_mutation(info, act)

    @strawberry.mutation(description="Revoke a consent; it stops counting from the next request.")
    async def revoke_consent(
        self, info: Info, input: Annotated[RevokeConsentInput, strawberry.argument(description="Which consent.")]
    ) -> ConsentResult:
        async def act(session: AsyncSession) -> ConsentPayload:
            row = await access.revoke_consent(
                session, principal=info.context.principal, scope=info.context.scope,
                consent_id=decode_global_id(input.id, "Consent", "input.id"),
            )
            return ConsentPayload(consent=consent_of(row))

        return await run_mutation(info, act)

    @strawberry.mutation(
        description="Record that a staff member signed a confidentiality agreement; without one in force, "
        "staff see no confidential information."
    )
    async def record_confidentiality_agreement(
        self, info: Info, input: Annotated[RecordAgreementInput, strawberry.argument(description="The agreement.")]
    ) -> AgreementResult:
        async def act(session: AsyncSession) -> StaffMemberPayload:
            row = await access.record_agreement(session, principal=info.context.principal, data=input_dict(input))
            return StaffMemberPayload(staff_member=from_row(StaffMember, row))

        return await run_mutation(info, act)
