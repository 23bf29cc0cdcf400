"""The shipped policy: it covers the whole schema, its decision table holds, and the tools work."""

from __future__ import annotations

import shutil

import pytest
from casbin.util import key_match
from click.testing import CliRunner
from graphql import GraphQLObjectType

from api.authz.decision_table import check, read_decision_table
from api.authz.policy import CUSTOMER_ROWS, Policy, Subject, class_group
from api.cli import main
from schema.root import build_schema
from shipped_policy import POLICIES, schema_vocabulary, shipped_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return shipped_policy()


def schema_coordinates() -> set[str]:
    """Every field of every object type (root types included), as `Type.field`."""
    graphql_schema = build_schema()._schema
    return {
        f"{name}.{field}"
        for name, graphql_type in graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not name.startswith("__")
        for field in graphql_type.fields
    }


def test_every_schema_field_has_a_data_class_or_a_rule(policy):
    patterns = policy.object_patterns()
    classes = schema_vocabulary().classes
    ungoverned = sorted(
        coordinate for coordinate in schema_coordinates()
        if coordinate not in classes and not any(key_match(coordinate, pattern) for pattern in patterns)
    )
    assert ungoverned == [], f"fields with no data class and no rule (add them to policies/policy.csv): {ungoverned}"


def test_every_data_class_is_granted_to_some_role(policy):
    granted = {obj for _sub, obj, *_ in policy.rules()["p"]}
    unused = sorted(class_group(name) for name in schema_vocabulary().data_classes if class_group(name) not in granted)
    assert unused == [], f"data classes no rule names (nobody could read them): {unused}"


def test_a_data_class_moved_into_the_schema_is_not_also_listed_in_the_policy(policy):
    classes = schema_vocabulary().classes
    listed = sorted(f"g2, {coordinate}" for coordinate, _group in policy.rules()["g2"] if coordinate in classes)
    assert listed == [], f"these fields declare their data class in the schema; drop their g2 lines: {listed}"


def test_every_rule_names_a_field_of_the_schema(policy):
    coordinates = schema_coordinates()
    rules = policy.rules()
    groups = {line[1] for line in rules["g2"]} | {class_group(name) for name in schema_vocabulary().data_classes}
    dangling = []
    for coordinate, _group in rules["g2"]:
        if not any(key_match(c, coordinate) for c in coordinates):
            dangling.append(f"g2, {coordinate}")
    for sub, obj, *_ in rules["p"]:
        if obj == CUSTOMER_ROWS or obj in groups or obj.startswith("schema:"):  # schema: the schema itself
            continue
        if not any(key_match(c, obj) for c in coordinates):
            dangling.append(f"p, {sub}, {obj}")
    assert dangling == [], f"rules naming nothing in the schema (typo, or a removed field?): {dangling}"


def test_every_group_a_rule_grants_exists(policy):
    rules = policy.rules()
    groups = {line[1] for line in rules["g2"]} | {class_group(name) for name in schema_vocabulary().data_classes}
    unknown = sorted({obj for _sub, obj, *_ in rules["p"] if obj.startswith("group:") and obj not in groups})
    assert unknown == [], f"rules granting groups that have no members: {unknown}"


def test_shipped_decision_table_holds(policy):
    rows = read_decision_table(POLICIES / "decisions.csv")
    assert len(rows) >= 50
    assert [str(f) for f in check(policy, rows)] == []


def test_decision_table_covers_every_role_of_the_policy(policy):
    roles_in_policy = {sub for sub, *_ in policy.rules()["p"]} - {"authenticated", "staff", "nda:none"}
    roles_in_table = set().union(*(row.roles for row in read_decision_table(POLICIES / "decisions.csv")))
    assert roles_in_policy <= roles_in_table


def test_policy_test_command_passes_on_the_shipped_table():
    result = CliRunner().invoke(main, ["policy", "test", "--policy-dir", str(POLICIES)])
    assert result.exit_code == 0, result.output
    assert "decisions hold" in result.output


def test_a_wrong_row_makes_policy_test_fail_naming_the_row(tmp_path):
    table = tmp_path / "decisions.csv"
    shutil.copyfile(POLICIES / "decisions.csv", table)
    lines = table.read_text().splitlines()
    lines.append("admin,yes,Customer.financialStatements,read,allow,deliberately wrong")
    table.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["policy", "test", str(table), "--policy-dir", str(POLICIES)])
    assert result.exit_code == 1
    assert f"line {len(lines)}" in result.output
    assert "admin with agreement, read Customer.financialStatements: expected allow, got deny" in result.output


def test_a_malformed_row_is_reported_with_its_line(tmp_path):
    table = tmp_path / "decisions.csv"
    table.write_text("roles,agreement,object,action,expected,why\nadmin,maybe,Customer.name,read,allow,\n")
    result = CliRunner().invoke(main, ["policy", "test", str(table), "--policy-dir", str(POLICIES)])
    assert result.exit_code != 0
    assert "line 2" in result.output


def test_policy_explain_prints_the_decision_and_the_rule_that_made_it():
    result = CliRunner().invoke(main, [
        "policy", "explain", "--role", "relationship_manager", "--no-agreement",
        "--object", "Customer.financialStatements", "--action", "read", "--policy-dir", str(POLICIES),
    ])
    assert result.exit_code == 0, result.output
    assert "decision: deny" in result.output
    assert "p, nda:none, group:financial, read*, deny" in result.output
    allowed = CliRunner().invoke(main, [
        "policy", "explain", "--role", "credit_approver", "--object", "BasicInformation.legalRepresentativeIdNumber",
        "--action", "read_masked", "--policy-dir", str(POLICIES),
    ])
    assert "decision: allow" in allowed.output
    assert "p, credit_approver, group:identity, read_masked, allow" in allowed.output


def test_decisions_are_cached_per_subject_not_recomputed(policy, monkeypatch):
    subject = Subject(roles=frozenset({"risk_expert"}), agreement=True)
    decisions = policy.decisions(subject)
    decisions.field("Customer.name")
    calls = []
    original = policy.enforcer.enforce
    monkeypatch.setattr(policy.enforcer, "enforce", lambda *a: calls.append(a) or original(*a))
    for _ in range(100):
        assert policy.decisions(subject).field("Customer.name").value == "allow"
    assert calls == []


def test_no_agreement_attribute_is_for_staff_not_third_parties():
    assert "nda:none" in Subject(frozenset({"relationship_manager"}), agreement=False).casbin_sub
    assert "nda:none" not in Subject(frozenset({"relationship_manager"}), agreement=True).casbin_sub
    assert "nda:none" not in Subject(frozenset({"third_party"}), agreement=False).casbin_sub


def test_every_masked_coordinate_has_a_masker():
    from api.authz.masking import MASKERS
    from api.authz.policy import MASKED_COORDINATES

    assert set(MASKERS) == MASKED_COORDINATES
