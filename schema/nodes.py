"""``node(id:)``: every object with an identity, by its global ID, as its usual path would show it.

Each type that implements ``Node`` is resolved here under the same row scope and policy as the
field a client would otherwise read it through (its *usual path*): a financial statement as
``Customer.financialStatements``, a credit event as ``Customer.creditInformation`` then
``CreditInformation.events``. An object whose customer is out of the caller's scope, or that does
not exist, is null, exactly as a customer out of scope is; one whose usual path the policy denies
is null with a FORBIDDEN error naming that path's coordinate. The fields of the object are then
decided one by one, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strawberry import relay

from api.authz.policy import Action
from api.db import models
from api.services import nodes
from schema.access import audit_entry_node
from schema.authz import CONSENT_GROUPS, forbidden
from schema.complaints.queries import compensation_node, complaint_node
from schema.context import Context, Info
from schema.customer.information_types import EVENTS, GUARANTEES, INVESTMENTS
from schema.customer.types import (
    APPLICATIONS,
    CONSENTS,
    EARLY_WARNINGS,
    EXTERNAL_REVIEWS,
    FACILITIES,
    GRADE_HISTORY,
    GRADING_FAILURES,
    HISTORY,
    SERVICE_RECORDS,
    STATEMENTS,
    TREATMENT_ACTIONS,
    Customer,
)
from schema.grading import OVERRIDES
from schema.ids import decode_global_id, parse_global_id
from schema.organisation import branch_node, staff_member_node
from schema.servicing.external import external_event_node
from schema.servicing.types import FOLLOW_UPS


@dataclass(frozen=True, slots=True)
class OwnedNode:
    """A type whose objects belong to one customer: its table, how a row is built, its usual paths."""

    model: Any
    build: Callable[[Any, Context], Any]
    # Each path is the coordinates a client reads it through, from a customer down; one readable
    # path in full is enough (a grade assessment is reached by its history or the grade in force).
    paths: tuple[tuple[str, ...], ...]


OWNED: dict[str, OwnedNode] = {
    "FinancialStatement": OwnedNode(
        models.FinancialStatement, STATEMENTS.build, (("Customer.financialStatements",),)
    ),
    "MajorInvestment": OwnedNode(
        models.MajorInvestment, INVESTMENTS.build,
        (("Customer.operatingInformation", "OperatingInformation.majorInvestments"),),
    ),
    "CreditEvent": OwnedNode(
        models.CreditEvent, EVENTS.build, (("Customer.creditInformation", "CreditInformation.events"),)
    ),
    "Guarantee": OwnedNode(
        models.Guarantee, GUARANTEES.build, (("Customer.creditInformation", "CreditInformation.guarantees"),)
    ),
    "ServiceRecord": OwnedNode(
        models.ServiceRecord, SERVICE_RECORDS.build, (("Customer.serviceRecords",), ("Query.serviceRecords",))
    ),
    "EarlyWarning": OwnedNode(
        models.EarlyWarning, EARLY_WARNINGS.build, (("Customer.earlyWarnings",), ("Query.earlyWarnings",))
    ),
    "ExternalReview": OwnedNode(
        models.ExternalReview, EXTERNAL_REVIEWS.build, (("Customer.externalReviews",), ("Query.externalReviews",))
    ),
    "ServiceFollowUp": OwnedNode(
        models.ServiceFollowUp, FOLLOW_UPS.build,
        (("Customer.serviceRecords", "ServiceRecord.followUps"), ("Query.serviceFollowUps",)),
    ),
    "Consent": OwnedNode(models.Consent, CONSENTS.build, (("Customer.consents",),)),
    "CreditApplication": OwnedNode(
        models.CreditApplication, APPLICATIONS.build,
        (("Customer.creditApplications",), ("Query.creditApplications",)),
    ),
    "CreditFacility": OwnedNode(
        models.CreditFacility, FACILITIES.build, (("Customer.facilities",), ("Query.creditFacilities",))
    ),
    "TreatmentAction": OwnedNode(
        models.TreatmentAction, TREATMENT_ACTIONS.build,
        (("Customer.treatmentActions",), ("Query.treatmentActions",)),
    ),
    # Redacted field by field as in the history list (``redacted_change``).
    "CustomerChange": OwnedNode(models.CustomerChange, HISTORY.build, (("Customer.history",),)),
    "GradeAssessment": OwnedNode(
        models.GradeAssessment, GRADE_HISTORY.build,
        (("Customer.gradeHistory",), ("Customer.grade", "CustomerGrade.assessment")),
    ),
    "GradingFailure": OwnedNode(
        models.GradingFailure, GRADING_FAILURES.build,
        (("Customer.gradingFailures",),),
    ),
    "GradeOverride": OwnedNode(
        models.GradeOverride, OVERRIDES.build,
        (("Query.gradeOverrides",), ("Customer.gradeHistory", "GradeAssessment.overrides")),
    ),
}
# Every type ``node(id:)`` resolves (the tests check each ``Node`` type of the schema is here).
# Types that belong to no customer: each resolved under its own list's rule (value: the global ID).
UNOWNED: dict[str, Callable[[Info, str], Awaitable[relay.Node | None]]] = {
    "Branch": lambda info, value: branch_node(info, parse_global_id(value, "id").node_id),
    "StaffMember": lambda info, value: staff_member_node(info, str(decode_global_id(value, "StaffMember", "id"))),
    "AuditEntry": lambda info, value: audit_entry_node(info, decode_global_id(value, "AuditEntry", "id")),
    "ExternalEvent": lambda info, value: external_event_node(info, decode_global_id(value, "ExternalEvent", "id")),
    # A complaint may belong to no customer (a party not yet one): reached in the complaints' own scope.
    "Complaint": lambda info, value: complaint_node(info, decode_global_id(value, "Complaint", "id")),
    "ComplaintCompensation": lambda info, value: compensation_node(
        info, decode_global_id(value, "ComplaintCompensation", "id")),
}
NODE_TYPES = frozenset({"Customer", *UNOWNED, *OWNED})


def _denied(ctx: Context, coordinate: str) -> bool:
    return ctx.decisions.step(*coordinate.split(".", 1)).action is Action.DENY


async def _readable(ctx: Context, coordinate: str, customer_id: int) -> bool:
    """Whether the caller reads ``coordinate`` of this customer's objects (a consent counts per customer)."""
    step = ctx.decisions.step(*coordinate.split(".", 1))
    if step.action is Action.DENY:
        return False
    if step.action is Action.CONSENT:
        needed = {CONSENT_GROUPS.get(name) for name in step.classes}
        granted = await ctx.loaders.consents.load(customer_id)
        return bool(needed) and None not in needed and needed <= granted
    return True


async def _owned(info: Info, kind: OwnedNode, key: int) -> Any:
    ctx = info.context
    # Refused whoever the customer is: no need to look (and a missing row is refused alike).
    if all(any(_denied(ctx, coordinate) for coordinate in path) for path in kind.paths):
        raise forbidden(ctx, next(c for c in kind.paths[0] if _denied(ctx, c)), None)
    async with ctx.reading() as session:
        row = (await nodes.owned_rows(session, kind.model, [key], ctx.scope)).get(key)
    if row is None:  # missing, or its customer out of scope: nothing to this caller
        return None
    refused: str | None = None
    for path in kind.paths:
        for coordinate in path:
            if not await _readable(ctx, coordinate, row.customer_id):
                refused = refused or coordinate
                break
        else:
            return kind.build(row, ctx)
    assert refused is not None
    raise forbidden(ctx, refused, row.customer_id)


async def resolve_node(info: Info, value: str) -> relay.Node | None:
    """The object a global ID names, as the caller may see it; null when there is none for them.

    A value that is no global ID is BAD_USER_INPUT; an ID of a type without identity, null.
    """
    type_name = parse_global_id(value, "id").type_name
    if type_name == "Customer":
        key = decode_global_id(value, type_name, "id")
        return (await Customer.resolve_nodes(info=info, node_ids=[str(key)]))[0]
    if type_name in UNOWNED:
        return await UNOWNED[type_name](info, value)
    kind = OWNED.get(type_name)
    if kind is None:
        return None
    return await _owned(info, kind, decode_global_id(value, type_name, "id"))  # type: ignore[no-any-return]
