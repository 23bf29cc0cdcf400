"""The whole schema, assembled from each domain's queries and mutations."""

from __future__ import annotations

from functools import cache

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.db.session import outage_kind
from api.errors import DomainError
from schema.access import AccessMutation, AccessQuery
from schema.authz import Authorization
from schema.complaints.mutations import ComplaintMutation
from schema.complaints.queries import ComplaintQuery
from schema.complaints.review import ComplaintReviewQuery
from schema.credit.application_mutations import ApplicationMutation
from schema.credit.applications import ApplicationQuery
from schema.credit.imports import RepaymentImportMutation
from schema.credit.mutations import CreditMutation
from schema.credit.queries import CreditQuery
from schema.credit.treatment import TreatmentQuery
from schema.credit.treatment_mutations import TreatmentMutation
from schema.customer.mutations import CustomerMutation
from schema.customer.queries import CustomerQuery
from schema.exchange_rates import ExchangeRateMutation, ExchangeRateQuery
from schema.grading import GradingMutation, GradingQuery
from schema.me import MeQuery
from schema.organisation import OrganisationMutation, OrganisationQuery
from schema.policy_admin import PolicyMutation, PolicyQuery
from schema.reference import ReferenceQuery
from schema.scalars import SCALARS
from schema.servicing.external import ExternalMutation, ExternalQuery
from schema.servicing.mutations import ServicingMutation
from schema.servicing.queries import ServicingQuery
from schema.servicing.subscriptions import ServicingSubscription
from schema.servicing.warning_mutations import WarningMutation
from schema.servicing.warnings import WarningQuery


@strawberry.type(description="Everything a client can read.")
class Query(
    CustomerQuery, OrganisationQuery, ReferenceQuery, ExchangeRateQuery, AccessQuery, PolicyQuery, GradingQuery,
    MeQuery, ServicingQuery, WarningQuery, ExternalQuery, ComplaintQuery, ComplaintReviewQuery, CreditQuery,
    ApplicationQuery, TreatmentQuery,
):
    pass


@strawberry.type(description="Everything a client can change. Each returns a payload or a typed error.")
class Mutation(
    CustomerMutation, OrganisationMutation, ExchangeRateMutation, AccessMutation, PolicyMutation, GradingMutation,
    ServicingMutation, WarningMutation, ExternalMutation, ComplaintMutation, CreditMutation,
    RepaymentImportMutation, ApplicationMutation, TreatmentMutation,
):
    pass


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws at /graphql; send the token as "
                 "`{\"authorization\": \"Bearer …\"}` in connection_init).")
class Subscription(ServicingSubscription):
    pass


class Schema(strawberry.Schema):
    """Logs only unexpected errors: expected business failures and bad requests are not faults."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            # What a subscription sends over the socket carries its code as the HTTP answers do.
            if isinstance(error.original_error, DomainError):
                error.extensions = {**(error.extensions or {}), "code": error.original_error.code}
        unexpected = [
            error for error in errors
            if error.path is not None
            and error.original_error is not None
            and not isinstance(error.original_error, (DomainError, GraphQLError))
            and not (error.extensions or {}).get("code")
            and outage_kind(error.original_error) is None  # reported once per outage (api.asgi.outage)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


@cache
def build_schema() -> Schema:
    """The schema with its extensions (passed as classes/factories: never shared instances).

    Built once per process: strawberry's relay fields are finalised on the first build.
    """
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            Authorization,
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )
