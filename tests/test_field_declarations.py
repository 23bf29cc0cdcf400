"""Each field is declared once, and everything derived from the declarations agrees with the schema.

A declaration (``schema.reads``) says how a field reads, which information group (data class)
its value comes from, and which ``where``/``orderBy`` fields it answers. These tests hold the
declarations to the schema and the policy: every field of a type the planned path serves can be
planned, every data class is the field's policy group, and every filter or sort field reveals a
real coordinate.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType

from schema.customer.filters import FIELD_COORDINATES, CustomerOrderBy, CustomerWhere
from schema.customer.types import CUSTOMER_READS
from schema.planned.catalogue import DeclaredCatalogue
from schema.planned.shape import NotPlannable
from schema.reads import METADATA_KEY, Declared
from schema.root import build_schema
from shipped_policy import shipped_policy

# The types a front end reaches from customers(), customer(id) and node(id).
PLANNED_TYPES = (
    "Customer", "Industry", "CustomerGrade", "Treatment", "GradeAssessment", "GradeFactor", "GradeOverride",
    "SizeAssessment", "CreditStatusAssessment", "Branch", "StaffMember", "BasicInformation", "Money",
    "FinancialStatement", "OperatingInformation", "MajorInvestment", "CreditInformation", "CreditEvent",
    "Guarantee", "CustomerChange", "ServiceRecord", "Consent", "CustomerConnection", "CustomerEdge", "PageInfo",
    "CustomerChangeConnection", "CustomerChangeEdge", "GradeAssessmentConnection", "GradeAssessmentEdge",
)


@pytest.fixture(scope="module")
def graphql_schema():  # type: ignore[no-untyped-def]
    return build_schema()._schema


def _declarations(graphql_schema) -> dict[str, Declared]:  # type: ignore[no-untyped-def]
    found: dict[str, Declared] = {}
    for name, graphql_type in graphql_schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            declared = (definition.metadata or {}).get(METADATA_KEY) if definition is not None else None
            if declared is not None:
                found[f"{name}.{field_name}"] = declared
    return found


def test_every_field_a_front_end_reaches_from_a_customer_can_be_planned(graphql_schema) -> None:  # type: ignore[no-untyped-def]
    catalogue = DeclaredCatalogue(graphql_schema)
    unplannable = []
    for name in PLANNED_TYPES:
        graphql_type = graphql_schema.get_type(name)
        assert isinstance(graphql_type, GraphQLObjectType), name
        for field_name, field in graphql_type.fields.items():
            try:
                catalogue.reading(graphql_type, field_name, field)
            except NotPlannable:
                unplannable.append(f"{name}.{field_name}")
    assert unplannable == []


def test_a_resolver_without_a_declaration_is_not_planned(graphql_schema) -> None:  # type: ignore[no-untyped-def]
    catalogue = DeclaredCatalogue(graphql_schema)
    query = graphql_schema.query_type
    with pytest.raises(NotPlannable, match="no declaration"):
        catalogue.reading(query, "auditLog", query.fields["auditLog"])


def test_the_policy_reads_each_fields_data_classes_from_its_declaration(graphql_schema) -> None:  # type: ignore[no-untyped-def]
    policy = shipped_policy()
    declarations = _declarations(graphql_schema)
    assert len(declarations) > 20
    wrong = {
        coordinate: (declared.data_classes, policy.classes_of(coordinate))
        for coordinate, declared in declarations.items()
        if policy.classes_of(coordinate) != tuple(f"group:{name}" for name in declared.data_classes)
    }
    assert wrong == {}
    assert policy.classes_of("GradeAssessment.facts") == ("group:financial", "group:credit")
    assert policy.classes_of("BasicInformation.legalRepresentativeIdNumber") == ("group:identity",)
    assert policy.classes_of("Customer.id") == ("group:registry",)


def test_every_filter_and_sort_field_reveals_a_field_of_the_schema(graphql_schema) -> None:  # type: ignore[no-untyped-def]
    customer = graphql_schema.get_type("Customer")
    where = graphql_schema.get_type("CustomerWhere")
    order = graphql_schema.get_type("CustomerOrderBy")
    for name, coordinate in FIELD_COORDINATES.items():
        type_name, field_name = coordinate.split(".")
        assert type_name == "Customer" and field_name in customer.fields, (name, coordinate)
    camel = {
        name: "".join([p if i == 0 else p.title() for i, p in enumerate(name.split("_"))])
        for name in FIELD_COORDINATES
    }
    assert set(where.fields) - {"_and", "_or", "_not"} | set(order.fields) == set(camel.values())


def test_the_where_and_order_inputs_are_derived_from_the_declarations() -> None:
    filters = [f.name for _, f in CUSTOMER_READS.filters()]
    sorts = [name for name, _, _, _ in CUSTOMER_READS.sorts()]
    assert [f for f in CustomerWhere.__annotations__ if not f.endswith("_")] == filters  # type: ignore[attr-defined]
    assert list(CustomerOrderBy.__annotations__) == sorts  # type: ignore[attr-defined]
    assert sorts[0] == "id" and {"name", "industry_code", "branch_code"} <= set(sorts)
