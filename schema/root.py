"""The whole schema, assembled from each domain's queries and mutations."""

from __future__ import annotations

from functools import cache

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from schema.customer.mutations import CustomerMutation
from schema.customer.queries import CustomerQuery
from schema.organisation import OrganisationMutation, OrganisationQuery
from schema.reference import ReferenceQuery


@strawberry.type(description="Everything a client can read.")
class Query(CustomerQuery, OrganisationQuery, ReferenceQuery):
    pass


@strawberry.type(description="Everything a client can change. Each returns a payload or a typed error.")
class Mutation(CustomerMutation, OrganisationMutation):
    pass


@cache
def build_schema() -> strawberry.Schema:
    """The schema with its extensions (passed as classes/factories: never shared instances).

    Built once per process: strawberry's relay fields are finalised on the first build.
    """
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )
