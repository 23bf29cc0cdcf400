"""Edge cases found in review: each test names the hole it keeps closed."""

from __future__ import annotations

from decimal import Decimal

from strawberry.relay import GlobalID

import factories as f
from api.services.grading import GradingFailed, check_decision
from plugins.manager import PluginHost, builtin_plugins
from plugins.spec import Decision, FactorResult, Grade, hookimpl

AUDIT = """query($w: AuditWhere) {
  auditLog(where: $w, first: 100) { edges { node { action object fields detail } } } }"""
AUDITOR = f.as_("audrey", "compliance_auditor")


async def test_node_with_a_foreign_id_is_null_and_with_garbage_bad_input_not_a_server_error(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    for foreign in (str(GlobalID("GradeAssessment", "1")), str(GlobalID("NoSuchType", "HZ01"))):
        body = await api("query($id: ID!) { node(id: $id) { id } }", {"id": foreign})
        assert body == {"data": {"node": None}}
    for garbage in ("garbage", "", str(GlobalID("Customer", "x"))):
        body = await api("query($id: ID!) { node(id: $id) { id } }", {"id": garbage})
        assert body["data"] == {"node": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_naive_times_in_filters_are_bad_user_input(api):
    await f.organisation(api)  # alice, the default caller, has a staff record
    body = await api('{ customers(where: {createdAt: {_gt: "2020-01-01T00:00:00"}}) { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "offset" in body["errors"][0]["message"]
    # The DateTime scalar refuses it (schema/scalars.py); sent as a variable, the error names where.
    body = await api("query($w: CustomerWhere) { customers(where: $w) { totalCount } }",
                     {"w": {"createdAt": {"_gt": "2020-01-01T00:00:00"}}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "w.createdAt._gt"


async def test_confidential_values_shown_in_history_are_audited(api, client):
    await f.organisation(api)
    c = await f.customer(api)
    await api.ok(
        """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) { __typename } }""",
        {"input": {"customerId": c["id"], "version": 1, "legalRepresentativeIdType": "RESIDENT_ID_CARD",
                   "legalRepresentativeIdNumber": "11010519491231002X"}},
    )
    history = "query($id: ID!) { customer(id: $id) { history { edges { node { field newValue } } } } }"
    await client.post("/graphql", json={"query": history, "variables": {"id": c["id"]}},
                      headers={"Authorization": f"Bearer {api.bearer}", "X-Request-ID": "hist-1"})
    entries = (await api.ok("""query { auditLog(where: {clientRequestId: "hist-1"}) {
                                   edges { node { action fields } } } }""",
                            bearer=AUDITOR))["auditLog"]["edges"]
    assert [(e["node"]["action"], e["node"]["fields"]) for e in entries] == [
        ("READ", ["BasicInformation.legalRepresentativeIdNumber", "BasicInformation.legalRepresentativeIdType"])]


async def test_a_customer_cannot_be_handed_to_where_the_editor_loses_sight_of_it(api):
    await f.organisation(api)
    c = await f.customer(api)
    result = (await api.ok("""mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
        __typename ... on InvalidInputError { problems { field } } } }""",
                           {"input": {"id": c["id"], "version": 1, "branchCode": "SH01",
                                      "relationshipManagerUsername": "bob"}}))["updateCustomer"]
    assert result == {"__typename": "InvalidInputError", "problems": [{"field": "input.branchCode"}]}
    assert (await api.ok("{ customers { totalCount } }"))["customers"]["totalCount"] == 1


async def test_policy_reload_is_audited(api):
    await api.ok("mutation { reloadPolicies { ... on PolicyPayload { policy { version } } } }", bearer=f.ADMIN)
    await f.organisation(api)  # the auditor needs a staff record
    entries = (await api.ok(AUDIT, {"w": {"principal": "root"}}, bearer=AUDITOR))["auditLog"]["edges"]
    reloads = [e["node"] for e in entries if e["node"]["object"] == "Mutation.reloadPolicies"]
    assert len(reloads) == 1 and reloads[0]["action"] == "WRITE" and "version" in reloads[0]["detail"]


def test_a_malformed_decision_is_a_grading_failure_not_a_crash():
    info = PluginHost(extra=builtin_plugins(), entry_points=False).strategy_for("C34")
    bad_factor = FactorResult("X", "x", None, "b", None, Decimal(10), "r")  # type: ignore[arg-type]
    for decision in (
        Decision(Grade.A, Decimal("NaN"), (), ()),
        Decision(Grade.A, Decimal(50), (bad_factor,), ()),
        Decision(Grade.A, Decimal(50), ({"code": "X"},), ()),  # type: ignore[arg-type]
        "A",
    ):
        try:
            check_decision(info, decision)
        except GradingFailed as exc:
            assert exc.strategy_id == info.id
        else:
            raise AssertionError(f"accepted {decision!r}")


def test_one_failing_grade_changed_hook_does_not_silence_the_others():
    heard = []

    class Loud:
        @hookimpl
        def creditcare_grade_changed(self, customer_ref, previous_grade, new_grade, strategy_id, assessed_at):
            raise RuntimeError("boom")

    class Listener:
        @hookimpl
        def creditcare_grade_changed(self, customer_ref, previous_grade, new_grade, strategy_id, assessed_at):
            heard.append((customer_ref, new_grade))

    host = PluginHost(extra=[*builtin_plugins(), ("loud", Loud()), ("listener", Listener())], entry_points=False)
    from datetime import UTC, datetime

    host.grade_changed(customer_ref="C1", previous_grade=None, new_grade="B", strategy_id="generic",
                       assessed_at=datetime.now(UTC))
    assert heard == [("C1", "B")]


async def test_retired_answers_do_not_block_recording_new_figures(app, api):
    await f.organisation(api)
    c = await f.customer(api)
    graded = await api.ok("""mutation($input: AssessGradeInput!) { assessGrade(input: $input) { __typename } }""",
                          {"input": {"customerId": c["id"], "answers": []}})
    assert graded["assessGrade"]["__typename"] == "GradePayload"
    from sqlalchemy import update

    from api.db.models import GradeAssessment

    async with app.state.runtime.sessions.begin() as session:  # as if a question had been retired
        await session.execute(update(GradeAssessment).values(answers={"retired_question": "yes"}))
    version = (
        await api.ok("query($id: ID!) { customer(id: $id) { version } }", {"id": c["id"]})
    )["customer"]["version"]
    after = await f.statement(api, c["id"], version)
    history = await api.ok(
        "query($id: ID!) { customer(id: $id) { gradeHistory { edges { node { trigger answers } } } } }", {"id": c["id"]}
    )
    assert after["version"] == version + 1
    assert history["customer"]["gradeHistory"]["edges"][0]["node"] == {"trigger": "financial_statement", "answers": {}}


def test_masking_never_shows_more_than_half_of_a_short_identifier():
    from api.authz.masking import MASKERS

    mask = MASKERS["BasicInformation.legalRepresentativeIdNumber"]
    assert mask("11010519491231002X") == "1101**********002X"
    assert mask("E12345678") == "E1*****78"


def test_business_dates_are_the_lenders_not_utc():
    from datetime import UTC, date, datetime

    from api.clock import business_date

    late_evening_utc = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)  # already 1 April in Hangzhou
    assert business_date(late_evening_utc, "Asia/Shanghai") == date(2026, 4, 1)
    assert business_date(late_evening_utc, "UTC") == date(2026, 3, 31)


def test_an_unknown_time_zone_is_refused_at_start():
    import pytest
    from pydantic import ValidationError

    from api.settings import Settings

    with pytest.raises(ValidationError):
        Settings(timezone="Mars/Olympus_Mons")
