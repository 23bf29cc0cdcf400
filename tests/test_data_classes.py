"""Data classes: a policy that withholds a class withholds it wherever its data surfaces.

Every field declares the data classes its value comes from (``schema.data_classes``). These tests
seed one customer with a recognisable value in each class, then read *every* field a front end
can reach from that customer — grades with their fact snapshots and factors, the size
assessment's inputs, the change history — under a policy that denies one class, and look for
that class's values anywhere in the response. A field that shows data of a class it does not
declare (a JSON snapshot, a history value, a plugin's reasons) fails here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLSchema, get_named_type

import factories as f
from api.asgi import create_app
from api.authz.policy import FieldAccess, Subject
from api.settings import Settings
from conftest import Api
from schema.root import build_schema
from shipped_policy import POLICIES, shipped_policy

AUDITOR = f.as_("audrey", "compliance_auditor")  # every customer, every class (identity masked)
HANK = f.as_("hank", "branch_manager")
# One recognisable value per class, as it would appear in any field or JSON snapshot.
MARKERS = {
    "financial": ["987654321"],  # the statement's revenue, in facts, size inputs and history
    "credit": ["4321987", "CREDITMARK"],  # a credit event's amount and description
    "identity": ["11010519491231002X", "13912345678"],  # the legal representative's id number, phone
    "basic": ["BASICMARK"],  # the business scope
    "operating": ["OPERATINGMARK"],  # a main product
}
ANSWERS = [{"questionId": q, "answerId": a} for q, a in {
    "management_quality": "adequate", "market_position": "established",
    "customer_concentration": "moderate", "technology_and_equipment": "mainstream"}.items()]


def every_field(schema: GraphQLSchema, type_name: str, depth: int = 5, seen: tuple[str, ...] = ()) -> str:
    """A selection of every field of ``type_name`` and below (arguments left at their defaults),
    each object type entered once per path."""
    graphql_type = schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    parts = []
    for name, field in graphql_type.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) and arg.default_value is None for arg in field.args.values()):
            continue
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType):
            if named.name in seen or depth == 0:
                continue
            # A nested connection asks for a few entries: its default page would cost too much.
            size = "(first: 5)" if "first" in field.args else ""
            parts.append(f"{name}{size} {{ {every_field(schema, named.name, depth - 1, (*seen, type_name))} }}")
        else:
            parts.append(name)
    return " ".join(parts)


async def _seed(api: Api) -> str:
    """A customer of alice's with a value of each class, graded after its figures and credit events."""
    await f.organisation(api)
    c = await f.customer(api, bearer=HANK)
    version = (await api.ok("""mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
      ... on CustomerPayload { customer { version } } } }""", {"input": {
        "customerId": c["id"], "version": c["version"], "businessScope": "BASICMARK scope",
        "legalRepresentativeName": "Wang Wei", "legalRepresentativeIdType": "RESIDENT_ID_CARD",
        "legalRepresentativeIdNumber": MARKERS["identity"][0], "legalRepresentativePhone": MARKERS["identity"][1],
    }}, bearer=HANK))["recordBasicInformation"]["customer"]["version"]
    version = (await api.ok("""mutation($input: OperatingInformationInput!) {
      recordOperatingInformation(input: $input) { ... on CustomerPayload { customer { version } } } }""", {"input": {
        "customerId": c["id"], "version": version, "mainProducts": ["OPERATINGMARK"],
    }}, bearer=HANK))["recordOperatingInformation"]["customer"]["version"]
    await f.statement(api, c["id"], version, bearer=HANK, revenue="987654321.12")
    version = (await api.ok("query($id: ID!) { customer(id: $id) { version } }", {"id": c["id"]},
                            bearer=HANK))["customer"]["version"]
    result = (await api.ok("""mutation($input: CreditInformationInput!) { recordCreditInformation(input: $input) {
      __typename ... on CustomerPayload { customer { version } } } }""", {"input": {
        "customerId": c["id"], "version": version, "externalRating": "AA",
        "addEvents": [{"occurredOn": "2025-05-01", "kind": "OVERDUE", "description": "CREDITMARK late",
                       "daysPastDue": 12, "amount": {"amount": "4321987.00", "currency": "CNY"}}],
    }}, bearer=HANK))["recordCreditInformation"]
    assert result["__typename"] == "CustomerPayload", result
    graded = (await api.ok("""mutation($input: AssessGradeInput!) { assessGrade(input: $input) { __typename } }""",
                           {"input": {"customerId": c["id"], "answers": ANSWERS}}, bearer=HANK))["assessGrade"]
    assert graded["__typename"] == "GradePayload", graded
    return str(c["id"])


@asynccontextmanager
async def _serving(settings: Settings, tmp_path: Path, extra: str | None) -> AsyncIterator[Api]:
    """The app on the same database, under the shipped policy plus ``extra`` (a rule line)."""
    policy_dir = tmp_path / f"policy-{abs(hash(extra))}"
    shutil.copytree(POLICIES, policy_dir)
    if extra is not None:
        with (policy_dir / "policy.csv").open("a", encoding="utf-8") as policy_csv:
            policy_csv.write(f"\n{extra}\n")
        # The shipped decision table expects the auditor to read every class: this change differs.
        table = policy_dir / "decisions.csv"
        table.write_text(table.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    app = create_app(settings.model_copy(update={"policy_dir": policy_dir, "max_selections": 10_000}))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Api(client)


def _found(body: dict[str, Any], data_class: str) -> list[str]:
    text = json.dumps(body.get("data"))
    return [marker for marker in MARKERS[data_class] if marker in text]


@pytest.mark.parametrize("data_class", sorted(MARKERS))
async def test_denying_a_data_class_withholds_it_wherever_it_surfaces(api, settings, tmp_path, data_class):
    customer_id = await _seed(api)
    document = f"query($id: ID!) {{ customer(id: $id) {{ {every_field(build_schema()._schema, 'Customer')} }} }}"
    async with _serving(settings, tmp_path, None) as shipped:
        body = await shipped(document, {"id": customer_id}, bearer=AUDITOR)
    # The document reaches the class's values (masked, for identity): the check below can fail.
    visible = _found(body, data_class)
    assert visible == ([] if data_class == "identity" else MARKERS[data_class])
    if data_class == "identity":
        assert "1101**********002X" in json.dumps(body["data"])
    async with _serving(settings, tmp_path, f"p, compliance_auditor, group:{data_class}, read*, deny") as denying:
        body = await denying(document, {"id": customer_id}, bearer=AUDITOR)
    assert body["data"]["customer"]["name"]  # the rest of the customer still reads
    assert _found(body, data_class) == []
    if data_class == "identity":
        assert "1101**********002X" not in json.dumps(body["data"])


def test_a_value_of_several_classes_is_withheld_when_any_one_of_them_is():
    # A risk expert may read financial but not credit information: a grade's fact snapshot holds
    # both (statement figures, arrears and defaults), so it is withheld; the statements are not.
    policy_dir_rules = (POLICIES / "policy.csv").read_text(encoding="utf-8")
    assert "p, risk_expert, group:credit, read, allow" in policy_dir_rules
    policy = shipped_policy()
    policy.enforcer.add_policy("risk_expert", "group:credit", "read*", "deny")
    decisions = policy.decisions(Subject(frozenset({"risk_expert"}), agreement=True))
    assert decisions.field("FinancialStatement.revenue") is FieldAccess.FULL
    for coordinate in ("GradeAssessment.facts", "GradeAssessment.factors", "GradeAssessment.reasons",
                       "GradeAssessment.knockOuts", "GradeFactor.value", "CreditEvent.amount"):
        assert decisions.field(coordinate) is FieldAccess.DENIED, coordinate


def test_a_grant_on_one_class_does_not_open_a_value_of_several():
    policy = shipped_policy()
    policy.enforcer.add_policy("complaint_handler", "group:financial", "read", "allow")
    decisions = policy.decisions(Subject(frozenset({"complaint_handler"}), agreement=True))
    assert decisions.field("FinancialStatement.revenue") is FieldAccess.FULL
    assert decisions.field("GradeAssessment.facts") is FieldAccess.DENIED  # credit is not granted

