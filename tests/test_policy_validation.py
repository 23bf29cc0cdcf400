"""Checking a candidate policy before it comes into force: each kind of problem is found and named
with its line, a sound policy passes, and ``creditcare policy test`` reports a malformed policy
line by line instead of crashing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.authz.decision_table import DecisionRow, read_decision_table
from api.authz.policy import Policy, Subject, load_file_enforcer
from api.authz.validation import (
    Expectation,
    Problem,
    RuleLine,
    build_policy,
    check_candidate,
    digest_of,
    expectation_problems,
    problems_in,
    read_decisions,
    read_rule_lines,
    with_changes,
)
from api.authz.vocabulary import Vocabulary
from api.cli import main

POLICIES = Path(__file__).resolve().parents[1] / "policies"
MODEL = POLICIES / "model.conf"
VOCABULARY = Vocabulary(
    coordinates=frozenset({"Query.policy", "Customer.name", "Customer.financialStatements",
                           "FinancialStatement.revenue", "FinancialStatement.periodEnd"}),
    classes={"FinancialStatement.revenue": ("financial",), "FinancialStatement.periodEnd": ("financial",)},
)
SOUND = [
    "g, risk_expert, staff",
    "g2, Customer.financialStatements, group:statements",
    "g2, FinancialStatement.*, group:statements",
    "p, authenticated, Customer.name, read, allow",
    "p, staff, Query.policy, read, allow",
    "p, risk_expert, group:statements, read, allow",
    "p, risk_expert, group:financial, read*, allow",
    "p, nda:none, group:financial, read*, deny",
    "p, risk_expert, rows:Customer, all, allow",
    "p, risk_expert, schema:introspection:development, read, allow",
]


def lines(*texts: str, first: int = 1) -> list[RuleLine]:
    return [RuleLine(tuple(v.strip() for v in text.split(",")), number, "policy.csv")
            for number, text in enumerate(texts, start=first)]


def only_problem(*texts: str) -> Problem:
    """The single problem of ``SOUND`` plus ``texts`` (numbered after it)."""
    found = problems_in(lines(*SOUND, *texts), VOCABULARY)
    assert len(found) == 1, found
    return found[0]


def test_a_sound_policy_has_no_problems():
    assert problems_in(lines(*SOUND), VOCABULARY) == []


def test_the_shipped_policy_passes_every_check():
    from schema.root import build_schema
    from schema.vocabulary import vocabulary_of

    expectations, unreadable = read_decisions(POLICIES / "decisions.csv")
    assert unreadable == []
    checked = check_candidate(read_rule_lines(POLICIES / "policy.csv"), vocabulary_of(build_schema()), MODEL,
                              expectations, "test")
    assert [str(problem) for problem in checked.problems] == []
    assert checked.policy is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p, risk_expert, Customer.name, read", "a p line has 4 values (role, object, action, allow|deny); "
                                                "this one has 3"),
        ("p, risk_expert, Customer.name, read, allow, extra", "this one has 5"),
        ("p, risk_expert, Customer.name, read, allow,", "this one has 5"),
        ("g, risk_expert", "a g line has 2 values"),
        ("g2, Customer.name, group:x, group:y", "a g2 line has 2 values; this one has 3"),
        ("x, risk_expert, staff", "unknown line type 'x'"),
        ("p, risk_expert, , read, allow", "value 2 is empty"),
        ("p, risk_expert, Customer.name, read, maybe", "the effect is 'maybe': allow or deny"),
        ("p, risk expert, Customer.name, read, allow", "contains a space or a comma"),
        ("g2, Customer.name, public", "'public' is not group:<name>"),
        ("p, risk_expert, Customer." + "n" * 200 + ", read, allow", "longer than 200 characters"),
    ],
    ids=["three-values", "five-values", "trailing-comma", "g-one-value", "g2-three-values", "unknown-ptype",
         "empty-value", "unknown-effect", "space-in-name", "g2-without-group", "too-long"],
)
def test_syntax_problems_name_the_line_and_the_reason(text, reason):
    problem = only_problem(text)
    assert (problem.location, problem.line) == ("policy.csv", len(SOUND) + 1)
    assert reason in problem.message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p, risk_exprt, Customer.name, read, allow", "unknown role 'risk_exprt'"),
        ("p, risk_expert, Customer.nmae, read, allow", "unknown coordinate 'Customer.nmae'"),
        ("p, risk_expert, Custmer.*, read, allow", "the pattern 'Custmer.*' matches no field"),
        ("g2, Customer.financialStatments, group:statements", "unknown coordinate 'Customer.financialStatments'"),
        ("p, risk_expert, group:statemnts, read, allow", "unknown group 'group:statemnts'"),
        ("p, risk_expert, group:financal, read, allow", "unknown group 'group:financal'"),
        ("p, risk_expert, Customer.name, raed, allow", "unknown action 'raed'"),
        ("p, risk_expert, Customer.name, own, allow", "unknown action 'own'"),
        ("p, risk_expert, rows:Customer, read, allow", "unknown action 'read' for rows:Customer"),
        ("p, risk_expert, rows:Customer, everything, allow", "one of all, branch, own, consented"),
        ("p, risk_expert, rows:Branch, all, allow", "unknown row set 'rows:Branch'"),
    ],
    ids=["role", "coordinate", "pattern", "g2-coordinate", "group", "data-class", "action", "row-kind-on-field",
         "read-on-rows", "row-kind", "row-set"],
)
def test_unknown_names_are_problems(text, reason):
    problem = only_problem(text)
    assert problem.line == len(SOUND) + 1
    assert reason in problem.message, problem.message


def test_a_near_miss_suggests_the_name_meant():
    assert "(did you mean risk_expert?)" in only_problem("p, risk_exprt, Customer.name, read, allow").message
    assert "(did you mean Customer.name?)" in only_problem("p, risk_expert, Customer.nmae, read, allow").message


def test_roles_are_those_of_g_lines_and_attributes():
    # `staff` is known as the parent in a g line; `authenticated` and `nda:none` are attributes.
    assert problems_in(lines("g, risk_expert, staff", "p, staff, Customer.name, read, allow",
                             "p, nda:none, Customer.name, read, deny"), VOCABULARY) == []
    [problem] = problems_in(lines("p, risk_expert, Customer.name, read, allow"), VOCABULARY)
    assert "unknown role 'risk_expert'" in problem.message and "g line" in problem.message


def test_data_classes_of_the_schema_are_groups_without_g2_lines():
    assert problems_in(lines("g, risk_expert, staff", "p, risk_expert, group:financial, read, allow"),
                       VOCABULARY) == []


def test_without_a_vocabulary_coordinates_are_not_checked_but_everything_else_is():
    assert problems_in(lines("g, a, b", "p, a, Anything.atAll, read, allow"), None) == []
    assert len(problems_in(lines("g, a, b", "p, c, Anything.atAll, read, allow"), None)) == 1


def test_an_empty_policy_is_refused():
    [problem] = problems_in([], VOCABULARY)
    assert (problem.location, problem.line) == ("policy", None)
    assert "no rules" in problem.message


def test_a_file_of_comments_only_is_empty(tmp_path):
    policy_csv = tmp_path / "policy.csv"
    policy_csv.write_text("# nothing\n\n   # still nothing\n", encoding="utf-8")
    assert read_rule_lines(policy_csv) == []
    assert [p.message for p in problems_in(read_rule_lines(policy_csv), VOCABULARY)] == [
        "the policy has no rules: it would deny everyone, administrators too"
    ]


def test_file_lines_keep_their_numbers(tmp_path):
    policy_csv = tmp_path / "policy.csv"
    policy_csv.write_text("# header\n\ng, a, b\n  # indented comment\np, a, Customer.name, read\n", encoding="utf-8")
    found = read_rule_lines(policy_csv)
    assert [(line.line, line.values) for line in found] == [
        (3, ("g", "a", "b")), (5, ("p", "a", "Customer.name", "read")),
    ]
    [problem] = problems_in(found, VOCABULARY)
    assert str(problem) == "policy.csv line 5: a p line has 4 values (role, object, action, allow|deny); this one has 3"


def test_every_problem_is_reported_not_only_the_first():
    found = problems_in(lines("g, a, b", "p, c, Customer.name, read, allow", "p, a, Nope.nope, read, allow",
                              "p, a, Customer.name, look, allow", "q, a, b"), VOCABULARY)
    assert [problem.line for problem in found] == [5, 2, 3, 4]


def test_input_problems_name_the_index():
    problem = Problem("input.add", 2, "unknown role 'x'")
    assert str(problem) == "input.add.2: unknown role 'x'"
    assert str(Problem("policy", None, "no rules")) == "policy: no rules"


def _row(line: int, roles: str, obj: str, action: str, expected: str, agreement: bool = True) -> DecisionRow:
    return DecisionRow(line=line, roles=frozenset(roles.split()), agreement=agreement, object=obj, action=action,
                       expected=expected, why="")


def test_a_decision_the_candidate_no_longer_makes_is_a_problem_at_its_table_line():
    table = [Expectation(_row(4, "risk_expert", "FinancialStatement.revenue", "read", "allow")),
             Expectation(_row(5, "risk_expert", "Customer.name", "read", "allow"))]
    revoked = [text for text in SOUND if text != "p, risk_expert, group:statements, read, allow"
               and text != "p, risk_expert, group:financial, read*, allow"]
    assert check_candidate(lines(*SOUND), VOCABULARY, MODEL, table, "test").problems == []
    checked = check_candidate(lines(*revoked), VOCABULARY, MODEL, table, "test")
    assert checked.policy is None
    [problem] = checked.problems
    assert (problem.location, problem.line) == ("decisions.csv", 4)
    assert "risk_expert with agreement, read FinancialStatement.revenue: expected allow, the policy decides deny" \
        in problem.message


def test_a_declared_change_of_decision_lets_the_candidate_pass():
    table = [Expectation(_row(4, "risk_expert", "FinancialStatement.revenue", "read", "allow"))]
    declared = [Expectation(_row(0, "risk_expert", "FinancialStatement.revenue", "read", "deny"), "input.decisions")]
    revoked = [text for text in SOUND if "risk_expert, group:" not in text]
    checked = check_candidate(lines(*revoked), VOCABULARY, MODEL, with_changes(table, declared), "test")
    assert checked.problems == [] and checked.policy is not None
    # Declaring the wrong outcome is itself a problem, named by the input's index.
    wrong = [Expectation(_row(0, "risk_expert", "FinancialStatement.revenue", "read", "masked"), "input.decisions")]
    [problem] = check_candidate(lines(*revoked), VOCABULARY, MODEL, with_changes(table, wrong), "test").problems
    assert (problem.location, problem.line) == ("input.decisions", 0)


def test_declared_decisions_replace_the_same_question_or_are_added():
    table = [Expectation(_row(4, "a", "X.y", "read", "allow")), Expectation(_row(5, "a", "X.z", "read", "allow"))]
    changes = [Expectation(_row(0, "a", "X.z", "read", "deny"), "input.decisions"),
               Expectation(_row(1, "b", "X.y", "read", "deny"), "input.decisions")]
    merged = with_changes(table, changes)
    assert [(e.location, e.row.object, e.row.expected) for e in merged] == [
        ("decisions.csv", "X.y", "allow"), ("input.decisions", "X.z", "deny"), ("input.decisions", "X.y", "deny"),
    ]


def test_a_declared_decision_with_an_impossible_outcome_is_a_problem():
    found = expectation_problems([Expectation(_row(0, "a", "X.y", "write", "masked"), "input.decisions"),
                                  Expectation(_row(1, "a", "", "read", "allow"), "input.decisions")])
    assert [(p.line, p.message) for p in found] == [
        (0, "expected 'masked': for write one of allow, deny"), (1, "a decision names an object and an action"),
    ]


def test_a_broken_model_is_a_problem_not_an_exception(tmp_path):
    model = tmp_path / "model.conf"
    model.write_text("[request_definition]\nr = sub, obj, act\n", encoding="utf-8")
    checked = check_candidate(lines(*SOUND), VOCABULARY, model, None, "test")
    assert checked.policy is None
    assert [(p.location, p.line) for p in checked.problems] == [("model.conf", None)]


def test_a_malformed_decision_table_is_a_problem_at_its_line(tmp_path):
    table = tmp_path / "decisions.csv"
    table.write_text("roles,agreement,object,action,expected,why\nadmin,maybe,Customer.name,read,allow,\n")
    rows, problems = read_decisions(table)
    assert rows == [] and [(p.location, p.line) for p in problems] == [("decisions.csv", 2)]
    assert read_decisions(tmp_path / "missing.csv")[1][0].message == "the decision table is missing"


def test_the_digest_of_lines_is_the_policy_digest():
    built = build_policy(MODEL, read_rule_lines(POLICIES / "policy.csv"), "test", None)
    loaded = Policy(load_file_enforcer(POLICIES), "test")
    rules = [line.values for line in read_rule_lines(POLICIES / "policy.csv")]
    assert digest_of(rules) == built.digest == loaded.digest
    assert digest_of(reversed(rules)) == built.digest, "order does not matter"
    assert digest_of([*rules, rules[0]]) == built.digest, "nor does a repeated line"


def test_a_built_policy_holds_exactly_its_lines():
    built = build_policy(MODEL, lines(*SOUND, "g, risk_expert, staff"), "test", VOCABULARY)
    assert len(built.rules()["g"]) == 1 and len(built.rules()["p"]) == 7
    assert built.allows(Subject(frozenset({"risk_expert"}), agreement=True), "FinancialStatement.revenue", "read")


# --- creditcare policy test --------------------------------------------------------------------


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def test_policy_test_reports_each_problem_of_a_malformed_policy_with_its_line(policy_copy):
    policy_csv = policy_copy / "policy.csv"
    text = policy_csv.read_text(encoding="utf-8").rstrip("\n").split("\n")
    text += ["p, relationship_manager, group:financial", "p, relationship_manger, Customer.name, read, allow"]
    policy_csv.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "test", "--policy-dir", str(policy_copy)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert f"policy.csv line {len(text) - 1}: a p line has 4 values" in result.output
    assert f"policy.csv line {len(text)}: unknown role 'relationship_manger'" in result.output
    assert "2 problem(s)" in result.output


def test_policy_test_refuses_an_empty_policy(policy_copy):
    (policy_copy / "policy.csv").write_text("# everything removed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "test", "--policy-dir", str(policy_copy)])
    assert result.exit_code == 1
    assert "the policy has no rules" in result.output and "Traceback" not in result.output


def test_policy_test_still_passes_on_the_shipped_policy():
    result = CliRunner().invoke(main, ["policy", "test", "--policy-dir", str(POLICIES)])
    assert result.exit_code == 0, result.output
    assert f"{len(read_decision_table(POLICIES / 'decisions.csv'))} decisions hold" in result.output
