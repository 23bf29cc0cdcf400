"""Policy test suites (policies/tests/*.yaml): they pass, cover the whole policy, catch a lost grant,
refuse what does not exist, run against the database store; time-bound grants; explain for a customer."""

from __future__ import annotations

import base64
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete

import factories as f
from api.authz.policy import Action, Policy, Subject
from api.authz.policy_suite import (
    CONSENT_GROUPS,
    Actor,
    Agreement,
    ConsentFact,
    CustomerFacts,
    Evaluator,
    Kind,
    Outcome,
)
from api.authz.store import DatabasePolicyStore
from api.authz.suite_file import read_suite, suite_files
from api.authz.validation import check_candidate, read_rule_lines
from api.cli import main
from api.db.models import CasbinRule
from api.db.session import create_engine
from api.settings import Settings, to_async_url
from conftest import TEST_SECRET, token
from schema.authz import CONSENT_GROUPS as SCHEMA_CONSENT_GROUPS
from shipped_policy import POLICIES, schema_vocabulary, shipped_policy

SUITES = POLICIES / "tests"
ZONE = "Asia/Shanghai"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def shipped_suites() -> list[Path]:
    return suite_files(SUITES)


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def without_line(policy_csv: Path, line: str) -> None:
    text = policy_csv.read_text(encoding="utf-8")
    assert f"\n{line}\n" in text, line
    policy_csv.write_text(text.replace(f"\n{line}\n", "\n"), encoding="utf-8")


def totals(output: str) -> dict[str, float]:
    """The coverage totals printed by `policy test --coverage`, by label."""
    found = re.findall(r"^  ([a-z ]+?)(?: \(.*?\))?: \d+ of \d+ \(([\d.]+) %\)", output, flags=re.MULTILINE)
    return {label: float(percent) for label, percent in found}


# --- the shipped suites ----------------------------------------------------------------------------


def test_the_shipped_suites_are_there_and_lint_clean():
    policy = shipped_policy()
    assert {path.name for path in shipped_suites()} >= {
        "staff_roles.yaml", "agreements.yaml", "third_parties.yaml", "administration.yaml", "time_bound.yaml",
    }
    for path in shipped_suites():
        suite, problems = read_suite(path, policy, ZONE)
        assert problems == [], [str(problem) for problem in problems]
        assert suite is not None and suite.cases


def test_the_shipped_suites_pass():
    result = invoke("policy", "test", *map(str, shipped_suites()), "--policy-dir", str(POLICIES))
    assert result.exit_code == 0, result.output
    for path in shipped_suites():
        assert re.search(rf"\d+ checks hold \({re.escape(str(path))}: ", result.output), result.output
    assert "FAIL" not in result.output


def test_policy_test_without_arguments_runs_the_table_and_the_suites_beside_the_policy():
    result = invoke("policy", "test", "--policy-dir", str(POLICIES))
    assert result.exit_code == 0, result.output
    assert "decisions hold" in result.output  # `policy test [DECISIONS_CSV]` output other tools read
    assert result.output.count("checks hold") == len(shipped_suites())


def test_suites_of_another_folder_run_beside_a_given_table(tmp_path):
    folder = tmp_path / "suites"
    folder.mkdir()
    shutil.copyfile(SUITES / "time_bound.yaml", folder / "time_bound.yaml")
    (folder / "notes.txt").write_text("not a suite", encoding="utf-8")
    result = invoke("policy", "test", str(POLICIES / "decisions.csv"), "--suites", str(folder),
                    "--policy-dir", str(POLICIES))
    assert result.exit_code == 0, result.output
    assert "decisions hold" in result.output
    assert result.output.count("checks hold") == 1


def test_the_shipped_suites_alone_cover_every_rule_and_every_confidential_class():
    result = invoke("policy", "test", *map(str, shipped_suites()), "--policy-dir", str(POLICIES),
                    "--coverage", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    found = totals(result.output)
    assert found["rules"] == 100.0, result.output
    assert found["confidential data classes"] == 100.0, result.output
    assert found["data classes"] == 100.0, result.output
    assert "not touched: rules" not in result.output
    assert "not touched: confidential" not in result.output


def test_coverage_lists_what_no_test_touches_and_min_coverage_fails_below_it():
    one = str(SUITES / "time_bound.yaml")
    result = invoke("policy", "test", one, "--policy-dir", str(POLICIES), "--coverage", "--min-coverage", "90")
    assert result.exit_code == 1, result.output
    assert "checks hold" in result.output  # the checks themselves pass: only the coverage falls short
    assert re.search(r"not touched: rules: p, risk_expert, group:financial, read, allow  \(policy\.csv line \d+\)",
                     result.output), result.output
    assert re.search(r"COVERAGE rules .*: [\d.]+ % is below the minimum of 90 %", result.output), result.output
    rules = totals(result.output)["rules"]
    assert 0 < rules < 90
    passing = invoke("policy", "test", one, "--policy-dir", str(POLICIES), "--min-coverage", str(int(rules)))
    assert passing.exit_code == 0, passing.output


def test_a_rule_counts_as_touched_only_when_it_decides_a_test():
    """A grant that only some other role's test reaches is not covered by that test."""
    result = invoke("policy", "test", str(SUITES / "third_parties.yaml"), "--policy-dir", str(POLICIES), "--coverage")
    assert "not touched: rules: p, third_party, group:basic, read_with_consent, allow" not in result.output
    assert "not touched: rules: p, credit_approver, group:financial, read, allow" in result.output


# --- a change the suites catch ---------------------------------------------------------------------


def test_a_deleted_grant_makes_a_suite_fail_naming_the_case(policy_copy):
    # decisions.csv has no row on major investments: only the suite notices.
    without_line(policy_copy / "policy.csv", "p, post_loan_officer, Mutation.recordMajorInvestment, write, allow")
    result = invoke("policy", "test", "--policy-dir", str(policy_copy))
    assert result.exit_code == 1, result.output
    assert "decisions hold" in result.output
    assert re.search(
        r"FAIL .*staff_roles\.yaml line \d+: a post-loan officer sees their branch's customers .*: paul "
        r"\(post_loan_officer\) on hugo_customer .*: write Mutation\.recordMajorInvestment: expected allow, got deny",
        result.output,
    ), result.output


def test_a_deleted_deny_makes_a_suite_fail(policy_copy):
    without_line(policy_copy / "policy.csv", "p, nda:none, group:servicing, read*, deny")
    result = invoke("policy", "test", str(policy_copy / "tests" / "agreements.yaml"), "--policy-dir", str(policy_copy))
    assert result.exit_code == 1
    assert "read group:servicing: expected deny, got allow" in result.output


# --- lint ------------------------------------------------------------------------------------------

SUITE = """\
suite: lint
now: 2026-12-01
branches: [HZ01]
principals:
  hana: {roles: [relationship_manager], branch: HZ01, agreement: signed}
resources:
  own: {branch: HZ01, owner: hana}
cases:
  - principal: hana
    resource: own
    read:
      Customer.financialStatements: allow
      Customer.creditInformation: allow
"""


@pytest.mark.parametrize(("wrong", "right", "message"), [
    ("roles: [relationship_manager]", "roles: [relationship_manger]",
     "unknown role 'relationship_manger': the policy's roles are those its g lines name "
     "(did you mean relationship_manager?)"),
    ("Customer.creditInformation: allow", "Customer.creditInfo: deny",
     "unknown coordinate 'Customer.creditInfo': no such field in the schema"),
    ("    read:\n", "    raed:\n", "unknown key 'raed' in a case"),
    ("Customer.creditInformation: allow", "Customer.creditInformation: denied",
     "unknown outcome 'denied' for read: one of allow, masked, deny, not_found, consent"),
    ("Customer.creditInformation: allow", "group:finance: deny", "unknown data class or group 'finance'"),
    ("    resource: own\n", "    resource: owned\n", "unknown resource 'owned'"),
    ("  - principal: hana\n", "  - principal: hanna\n", "unknown principal 'hanna'"),
    ("Customer.creditInformation: allow", "Mutation.updateCustomer: deny", "a mutation is written, not read"),
])
def test_a_misspelling_in_a_suite_is_a_lint_error_with_its_line(tmp_path, wrong, right, message):
    path = tmp_path / "lint.yaml"
    text = SUITE.replace(wrong, right)
    assert text != SUITE
    path.write_text(text, encoding="utf-8")
    line = next(number for number, content in enumerate(text.splitlines(), start=1) if right.strip() in content)
    result = invoke("policy", "test", str(path), "--policy-dir", str(POLICIES))
    assert result.exit_code == 1, result.output
    assert f"INVALID {path} line {line}: {message}" in result.output, result.output
    assert f"{path} was not run" in result.output and "Traceback" not in result.output


def test_the_unchanged_lint_suite_passes(tmp_path):
    path = tmp_path / "lint.yaml"
    path.write_text(SUITE, encoding="utf-8")
    result = invoke("policy", "test", str(path), "--policy-dir", str(POLICIES))
    assert result.exit_code == 0, result.output


def test_malformed_yaml_is_reported_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("suite: broken\ncases:\n  - principal: [a\n", encoding="utf-8")
    result = invoke("policy", "test", str(path), "--policy-dir", str(POLICIES))
    assert result.exit_code == 1
    assert re.search(rf"INVALID {re.escape(str(path))} line \d+: not valid YAML", result.output), result.output


def test_consents_name_known_groups_and_third_parties(tmp_path):
    path = tmp_path / "consents.yaml"
    path.write_text(SUITE.replace(
        "  own: {branch: HZ01, owner: hana}",
        "  own:\n    branch: HZ01\n    consents:\n      - {third_party: hana, groups: [financal], from: 2026-01-01}",
    ), encoding="utf-8")
    result = invoke("policy", "test", str(path), "--policy-dir", str(POLICIES))
    assert result.exit_code == 1
    assert "consents are given to third parties: hana does not hold the third_party role" in result.output
    assert "unknown consent group 'financal'" in result.output


# --- the evaluator decides as the service does -----------------------------------------------------


def test_consent_groups_are_the_schema_extension_s():
    assert CONSENT_GROUPS == SCHEMA_CONSENT_GROUPS


@pytest.mark.parametrize("roles", [
    {"relationship_manager"}, {"complaint_handler"}, {"third_party"}, {"admin"}, {"risk_expert"}, set(),
])
@pytest.mark.parametrize("agreement", [True, False])
def test_the_evaluator_reads_each_field_as_the_authorization_extension_does(roles, agreement):
    policy = shipped_policy()
    evaluator = Evaluator(policy, ZONE)
    actor = Actor("someone", frozenset(roles), "HZ01", Agreement(date(2020, 1, 1)) if agreement else Agreement())
    situation = evaluator.situation(actor, datetime(2026, 12, 1, tzinfo=UTC))
    decisions = policy.decisions(Subject(frozenset(roles), agreement))
    expected = {Action.PASS: Outcome.ALLOW, Action.AUDIT: Outcome.ALLOW, Action.MASK: Outcome.MASKED,
                Action.CONSENT: Outcome.CONSENT, Action.TEAM: Outcome.TEAM, Action.DENY: Outcome.DENY}
    for coordinate in sorted(schema_vocabulary().coordinates):
        parent, name = coordinate.split(".", 1)
        step = decisions.step(parent, name)
        kind = Kind.WRITE if parent == "Mutation" else Kind.READ
        assert evaluator.decide(situation, None, kind, coordinate).outcome is expected[step.action], coordinate


def test_a_third_party_needs_a_consent_covering_every_class_of_a_field():
    policy = shipped_policy()
    evaluator = Evaluator(policy, ZONE)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    bureau = evaluator.situation(Actor("bureau", frozenset({"third_party"})), at)
    def customer(*groups: str) -> CustomerFacts:
        consent = ConsentFact("bureau", frozenset(groups), at - timedelta(days=1))
        return CustomerFacts("c", "HZ01", consents=(consent,))

    assert evaluator.decide(bureau, customer("financial"), Kind.READ, "GradeFactor.value").outcome is Outcome.DENY
    assert evaluator.decide(bureau, customer("financial", "credit"), Kind.READ,
                            "GradeFactor.value").outcome is Outcome.ALLOW


# --- time-bound grants -----------------------------------------------------------------------------


def _policy_with(policy_dir: Path, *lines: str) -> tuple[Policy | None, list[str]]:
    policy_csv = policy_dir / "policy.csv"
    policy_csv.write_text(policy_csv.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    checked = check_candidate(read_rule_lines(policy_csv), schema_vocabulary(), policy_dir / "model.conf", None, "t")
    return checked.policy, [str(problem) for problem in checked.problems]


def test_a_time_bound_grant_holds_only_within_its_window():
    policy = shipped_policy()
    roles = frozenset({"external_auditor"})
    inside, before, after = date(2027, 1, 4), date(2027, 1, 3), date(2027, 4, 1)
    assert policy.subject(roles, True, inside).acting == {"compliance_auditor"}
    assert policy.decisions(policy.subject(roles, True, inside)).row_kinds == {"all"}
    for day in (before, after):
        subject = policy.subject(roles, True, day)
        assert subject.acting == frozenset()
        assert policy.decisions(subject).row_kinds == frozenset()
    # Without a day, as the decision table asks, the link is not held: it is never permanent.
    assert not policy.allows(Subject(roles, True), "Query.auditLog", "read")


def test_time_bound_links_chain_and_open_ends(policy_copy):
    policy, problems = _policy_with(
        policy_copy, "g, deputy, acting_manager, _, 2027-06-01", "g, acting_manager, branch_manager, 2027-01-01, _",
    )
    assert policy is not None, problems
    deputy = frozenset({"deputy"})
    assert policy.subject(deputy, True, date(2026, 12, 31)).acting == {"acting_manager"}
    assert policy.subject(deputy, True, date(2027, 3, 1)).acting == {"acting_manager", "branch_manager"}
    assert policy.subject(deputy, True, date(2027, 6, 1)).acting == frozenset()


@pytest.mark.parametrize(("line", "message"), [
    ("g, deputy, branch_manager, 2027-04-01, 2027-01-01", "the window ends (2027-01-01) before it starts"),
    ("g, deputy, branch_manager, 1.4.2027, _", "a time-bound g line ends with two dates"),
    ("g, deputy, branch_manager, 2027-04-01", "a g line has 2 values (or 4 for a time-bound link"),
])
def test_a_malformed_time_bound_link_is_refused_with_its_line(policy_copy, line, message):
    policy, problems = _policy_with(policy_copy, line)
    number = len((policy_copy / "policy.csv").read_text(encoding="utf-8").splitlines())
    assert policy is None
    assert any(problem.startswith(f"policy.csv line {number}: {message}") for problem in problems), problems


async def test_the_service_honours_a_time_bound_grant_in_force_today(database_url, tmp_path):
    policy_dir = tmp_path / "policies"
    shutil.copytree(POLICIES, policy_dir)
    today = datetime.now(UTC).date()
    window = f"{(today - timedelta(days=2)).isoformat()}, {(today + timedelta(days=2)).isoformat()}"
    ended = f"{(today - timedelta(days=9)).isoformat()}, {(today - timedelta(days=2)).isoformat()}"
    with (policy_dir / "policy.csv").open("a", encoding="utf-8") as policy_csv:
        policy_csv.write(f"g, acting_auditor, compliance_auditor, {window}\n")
        policy_csv.write(f"g, former_auditor, compliance_auditor, {ended}\n")
    from httpx import ASGITransport, AsyncClient

    from api.asgi import create_app
    from conftest import Api

    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, policy_dir=policy_dir)
    application = create_app(settings)
    async with application.router.lifespan_context(application), AsyncClient(
        transport=ASGITransport(app=application), base_url="http://test"
    ) as client:
        api = Api(client)
        await f.organisation(api)
        await f.customer(api, name="Audited Co., Ltd.")
        customers, audit_log = "{ customers { totalCount } }", "{ auditLog(first: 1) { edges { cursor } } }"
        acting, former = token(sub="audrey", roles=("acting_auditor",)), token(sub="audrey", roles=("former_auditor",))
        assert (await api.ok(customers, bearer=acting))["customers"]["totalCount"] == 1
        assert "errors" not in await api(audit_log, bearer=acting)
        assert (await api.ok(customers, bearer=former))["customers"]["totalCount"] == 0
        refused = await api(audit_log, bearer=former)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


# --- the database store ----------------------------------------------------------------------------


async def _seed_database_store(database_url: str) -> None:
    engine = create_engine(to_async_url(database_url))
    try:
        await DatabasePolicyStore(POLICIES, engine, schema_vocabulary()).load()  # seeds casbin_rule from policy.csv
    finally:
        await engine.dispose()


async def _delete_rule(database_url: str, *values: str) -> None:
    engine = create_engine(to_async_url(database_url))
    try:
        async with engine.begin() as conn:
            names = (CasbinRule.ptype, CasbinRule.v0, CasbinRule.v1, CasbinRule.v2, CasbinRule.v3)
            matching = (name == value for name, value in zip(names, values, strict=True))
            deleted = await conn.execute(delete(CasbinRule).where(*matching))
            assert deleted.rowcount == 1
    finally:
        await engine.dispose()


async def test_policy_test_runs_against_the_rules_held_in_the_database(database_url):
    await _seed_database_store(database_url)
    args = ["policy", "test", *map(str, shipped_suites()), "--database-url", database_url, "--min-coverage", "100"]
    result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(main, args))
    assert result.exit_code == 0, result.output
    assert "coverage of the policy (database)" in result.output
    assert re.search(r"not touched|FAIL", result.output) is None, result.output

    await _delete_rule(database_url, "p", "risk_expert", "group:financial", "read", "allow")
    result = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(main, args))
    assert result.exit_code == 1
    assert re.search(r"FAIL .*staff_roles\.yaml line \d+: a risk expert sees every branch's customers.*"
                     r"read group:financial: expected allow, got deny", result.output), result.output


async def test_an_empty_rule_table_is_said_not_tested(database_url):
    result = await anyio.to_thread.run_sync(
        lambda: CliRunner().invoke(main, ["policy", "test", "--database-url", database_url])
    )
    assert result.exit_code == 1
    assert "holds no rules" in result.output and "Traceback" not in result.output


# --- explain for a concrete customer ---------------------------------------------------------------


async def _explain(*args: str) -> Result:
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(main, ["policy", "explain", *args]))


async def test_explain_says_why_for_an_own_branch_and_another_branch_customer(api, database_url):
    await f.organisation(api)
    at_hz = await f.customer(api, name="Hangzhou Co., Ltd.")  # alice's, HZ01
    at_sh = await f.customer(api, name="Shanghai Co., Ltd.", branchCode="SH01", relationshipManagerUsername="bob")
    common = ["--sub", "carl", "--role", "credit_approver", "--object", "Customer.financialStatements",
              "--database-url", database_url]

    own_branch = await _explain("--customer", at_hz["id"], *common)
    assert own_branch.exit_code == 0, own_branch.output
    output = own_branch.output
    assert "principal carl: roles credit_approver; branch HZ01" in output
    assert "agreement signed 2024-01-01, no expiry: in force on" in output
    assert "branch HZ01: the customer is at HZ01 (the same branch)" in output
    assert re.search(r"because: p, credit_approver, rows:Customer, branch, allow  \(policy\.csv line \d+\)", output)
    assert re.search(r"because: p, credit_approver, group:financial, read, allow  \(policy\.csv line \d+\)", output)
    assert output.rstrip().endswith("decision: allow")

    other_branch = await _explain("--customer", at_sh["id"], *common)
    assert other_branch.exit_code == 0, other_branch.output
    output = other_branch.output
    assert "branch HZ01: the customer is at SH01 (another branch)" in output
    assert "not visible: to this principal the customer does not exist (not_found)" in output
    assert output.rstrip().endswith("decision: not_found")

    risk = await _explain("--customer", at_sh["id"], "--sub", "rex", "--role", "risk_expert",
                          "--object", "Customer.financialStatements", "--database-url", database_url)
    assert "rows: the policy gives rex the row kinds: all" in risk.output
    assert risk.output.rstrip().endswith("decision: allow"), risk.output


async def test_explain_names_the_missing_agreement_and_a_third_party_s_consents(api, database_url):
    await f.organisation(api)
    customer = await f.customer(api)
    numeric = base64.b64decode(customer["id"]).decode().split(":")[1]
    nina = await _explain("--customer", numeric, "--sub", "nina", "--role", "branch_manager",
                          "--object", "Customer.financialStatements", "--database-url", database_url)
    assert "no agreement on file: NOT in force" in nina.output, nina.output
    assert re.search(r"because: p, nda:none, group:financial, read\*, deny", nina.output)
    assert nina.output.rstrip().endswith("decision: deny")

    bureau = await _explain("--customer", numeric, "--sub", "acme-bank", "--role", "third_party",
                            "--object", "Customer.financialStatements", "--database-url", database_url)
    assert "no consents on file" in bureau.output, bureau.output
    assert bureau.output.rstrip().endswith("decision: not_found")


def test_explain_refuses_an_unknown_customer_in_words(tmp_path):
    database = tmp_path / "empty.db"
    from api.db import migrations

    migrations.upgrade(f"sqlite:///{database}")
    result = invoke("policy", "explain", "--customer", "999", "--sub", "carl", "--role", "credit_approver",
                    "--object", "Customer.name", "--database-url", f"sqlite:///{database}")
    assert result.exit_code == 1
    assert "no customer 999 in the database" in result.output and "Traceback" not in result.output
