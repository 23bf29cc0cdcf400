"""The audit log (R-I4, R-I5): reads of confidential groups, denials, disclosures and writes,
readable by compliance only, and append-only down to the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy.exc
from sqlalchemy import text

import factories as f
from conftest import token

AUDREY = f.as_("audrey", "compliance_auditor")
ACME = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)

AUDIT_LOG = """query($where: AuditWhere, $first: Int! = 50, $after: String) {
  auditLog(where: $where, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { at principal roles action customerId object fields requestId clientRequestId detail } }
  } }"""
RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
RECORD_CONSENT = """mutation($input: RecordConsentInput!) { recordConsent(input: $input) {
  __typename ... on ConsentPayload { consent { id } } } }"""
REVOKE_CONSENT = """mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) {
  __typename ... on ConsentPayload { consent { id } } } }"""
UPDATE = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename
  ... on CustomerPayload { customer { version name } }
  ... on ConflictError { code currentVersion }
  ... on InvalidInputError { problems { field } }
} }"""
CONFIDENTIAL_READ = """query($id: ID!) { customer(id: $id) {
  name
  financialStatements { revenue }
  basicInformation { legalRepresentativeIdNumber }
  creditStatusAssessment { basis }
} }"""
NAME_ONLY = """query($id: ID!) { customer(id: $id) { name creditCode branch { code } } }"""


async def _post(api, query, variables=None, *, bearer=None, request_id):
    """Send a request with an X-Request-ID of our choosing; return the JSON body."""
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {bearer or api.bearer}", "X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Client-Request-ID"] == request_id  # the service names the request itself
    return response.json()


async def _log(api, bearer=AUDREY, first=50, after=None, **where):
    data = await api.ok(AUDIT_LOG, {"where": where, "first": first, "after": after}, bearer=bearer)
    return data["auditLog"]


async def _entries(api, **where):
    log = await _log(api, first=100, **where)
    assert log["totalCount"] == len(log["edges"]) < 100
    return [edge["node"] for edge in log["edges"]]


def _by_object(entries):
    found = {}
    for entry in entries:
        assert (entry["action"], entry["object"]) not in found, entries
        found[(entry["action"], entry["object"])] = entry
    return found


async def _customer_with_details(api, writer=None, **overrides):
    """A customer with a financial statement and basic information (recorded by ``writer``)."""
    c = await f.customer(api, bearer=writer, **overrides)
    bearer = writer or f.as_(overrides.get("relationshipManagerUsername", "alice"))
    after = await f.statement(api, c["id"], c["version"], bearer=bearer)
    data = await api.ok(RECORD_BASIC, {"input": {
        "customerId": c["id"], "version": after["version"], "legalRepresentativeName": "Wang Wei",
        "legalRepresentativeIdType": "RESIDENT_ID_CARD", "legalRepresentativeIdNumber": "11010519491231002X",
    }}, bearer=bearer)
    assert data["recordBasicInformation"]["__typename"] == "CustomerPayload", data
    return {**c, "version": data["recordBasicInformation"]["customer"]["version"]}


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


# ----------------------------------------------------------------------------------------- reads


async def test_confidential_reads_are_logged_per_customer_with_groups_fields_principal_and_request_id(api):
    await f.organisation(api)
    c = await _customer_with_details(api)
    body = await _post(api, CONFIDENTIAL_READ, {"id": c["id"]}, request_id="req-123")
    assert "errors" not in body, body
    # Identity is masked for every role by default; a masked read is a read, and on record.
    assert body["data"]["customer"]["basicInformation"]["legalRepresentativeIdNumber"] == "1101**********002X"
    entries = await _entries(api, clientRequestId="req-123")
    assert {e["action"] for e in entries} == {"READ"}
    # One entry for the customer: the groups read, and every confidential coordinate read.
    assert len(entries) == 1
    assert entries[0]["object"] == "group:credit group:financial group:identity"
    assert entries[0]["fields"] == [
        "BasicInformation.legalRepresentativeIdNumber", "CreditStatusAssessment.basis",
        "Customer.creditStatusAssessment", "Customer.financialStatements", "FinancialStatement.revenue",
    ]
    for entry in entries:
        assert entry["principal"] == "alice"
        assert entry["roles"] == "relationship_manager"
        assert entry["customerId"] == c["id"]
        assert entry["clientRequestId"] == "req-123" and entry["requestId"] != "req-123"
        at = datetime.fromisoformat(entry["at"])
        assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)


async def test_reads_of_several_customers_are_logged_per_customer(api):
    await f.organisation(api)
    a = await _customer_with_details(api, name="Alpha Co., Ltd.")
    b = await _customer_with_details(api, name="Beta Co., Ltd.")
    query = "{ customers { edges { node { financialStatements { revenue } } } } }"
    await _post(api, query, request_id="req-many")
    entries = await _entries(api, clientRequestId="req-many")
    assert sorted((e["customerId"], e["object"]) for e in entries) == sorted(
        [(a["id"], "group:financial"), (b["id"], "group:financial")])


async def test_reading_only_non_confidential_fields_logs_no_read(api):
    await f.organisation(api)
    c = await _customer_with_details(api)
    body = await _post(api, NAME_ONLY, {"id": c["id"]}, request_id="req-name")
    assert body["data"]["customer"]["name"] == c["name"]
    body = await _post(
        api, """query($id: ID!) { customer(id: $id) { basicInformation { legalRepresentativeName } } }""",
        {"id": c["id"]}, request_id="req-basic",
    )
    assert body["data"]["customer"]["basicInformation"] == {"legalRepresentativeName": "Wang Wei"}
    assert (await _log(api, clientRequestId="req-name"))["totalCount"] == 0
    assert (await _log(api, clientRequestId="req-basic"))["totalCount"] == 0


async def test_masked_identity_read_is_logged_as_a_read(api):
    await f.organisation(api)
    c = await _customer_with_details(api)
    carl = f.as_("carl", "credit_approver")
    body = await _post(
        api, """query($id: ID!) { customer(id: $id) { basicInformation { legalRepresentativeIdNumber } } }""",
        {"id": c["id"]}, bearer=carl, request_id="req-masked",
    )
    assert body["data"]["customer"]["basicInformation"]["legalRepresentativeIdNumber"] != "11010519491231002X"
    [entry] = await _entries(api, clientRequestId="req-masked")
    assert (entry["action"], entry["principal"], entry["object"], entry["customerId"]) == (
        "READ", "carl", "group:identity", c["id"])
    assert entry["fields"] == ["BasicInformation.legalRepresentativeIdNumber"]


# -------------------------------------------------------------------------------------- denials


async def test_denied_field_is_logged_as_deny_naming_the_coordinate(api):
    await f.organisation(api)
    c = await _customer_with_details(api, writer=f.as_("hank", "branch_manager"), relationshipManagerUsername="nina")
    # nina's token claims an agreement, but her staff record shows none.
    body = await _post(api, """query($id: ID!) { customer(id: $id) { name financialStatements { revenue } } }""",
                       {"id": c["id"]}, bearer=f.as_("nina"), request_id="req-nina")
    assert body["data"]["customer"]["name"] == c["name"]
    assert body["data"]["customer"]["financialStatements"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    [entry] = await _entries(api, clientRequestId="req-nina")
    assert entry["action"] == "DENY"
    assert entry["principal"] == "nina"
    assert entry["object"] == "group:financial"
    assert entry["fields"] == ["Customer.financialStatements"]
    assert entry["customerId"] == c["id"]


async def test_forbidden_mutation_is_logged_as_deny(api):
    await f.organisation(api)
    body = await _post(api, """mutation { createBranch(input: {code: "GZ01", name: "Guangzhou"}) { __typename } }""",
                       request_id="req-forbidden")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    [entry] = await _entries(api, clientRequestId="req-forbidden")
    assert entry["action"] == "DENY"
    assert entry["principal"] == "alice"
    assert entry["fields"] == ["Mutation.createBranch"]
    assert entry["object"] == "group:organisation_admin"
    assert entry["customerId"] is None
    assert [b["code"] for b in (await api.ok("{ branches { code } }"))["branches"]] == ["BJ01", "HZ01", "SH01"]


# ---------------------------------------------------------------------------------- disclosures


async def test_third_party_read_under_consent_is_logged_as_disclosure(api):
    await f.organisation(api)
    c = await _customer_with_details(api)
    data = await api.ok(RECORD_CONSENT, {"input": {
        "customerId": c["id"], "thirdParty": "acme-bank", "groups": ["FINANCIAL"],
        "documentReference": "DOC-1", "validFrom": _at(timedelta(days=-1))}})
    assert data["recordConsent"]["__typename"] == "ConsentPayload"
    body = await _post(api, """query($id: ID!) { customer(id: $id) {
        name financialStatements { revenue netProfit } basicInformation { legalRepresentativeName } } }""",
                       {"id": c["id"]}, bearer=ACME, request_id="req-acme")
    assert body["data"]["customer"]["financialStatements"] == [{"revenue": "120000000.00", "netProfit": "8000000.00"}]
    found = _by_object(await _entries(api, clientRequestId="req-acme"))
    disclosed = found["DISCLOSE", "group:financial"]
    assert disclosed["principal"] == "acme-bank"
    assert disclosed["roles"] == "third_party"
    assert disclosed["customerId"] == c["id"]
    assert disclosed["fields"] == ["Customer.financialStatements", "FinancialStatement.netProfit",
                                   "FinancialStatement.revenue"]
    assert found["DENY", "group:basic"]["fields"] == ["Customer.basicInformation"]
    assert set(found) == {("DISCLOSE", "group:financial"), ("DENY", "group:basic")}


# --------------------------------------------------------------------------------------- writes


async def test_every_successful_mutation_is_logged_as_a_write(api):
    await f.organisation(api)
    c = await f.customer(api)
    await f.statement(api, c["id"], c["version"])
    writes = await _entries(api, principal="alice", action="WRITE")
    assert [(e["object"], e["customerId"]) for e in writes] == [
        ("Mutation.recordFinancialStatement", c["id"]), ("Mutation.createCustomer", c["id"])]
    assert all(e["roles"] == "relationship_manager" and e["requestId"] for e in writes)
    admin_writes = await _entries(api, principal="root", action="WRITE")
    assert {e["object"] for e in admin_writes} == {
        "Mutation.createBranch", "Mutation.createStaffMember", "Mutation.recordConfidentialityAgreement"}
    assert len(admin_writes) == 3 + len(f.STAFF) + sum(signed for _, signed in f.STAFF.values())
    assert all(e["customerId"] is None for e in admin_writes)


async def test_consent_writes_are_logged_with_the_customer(api):
    await f.organisation(api)
    c = await f.customer(api)
    consent = (await api.ok(RECORD_CONSENT, {"input": {
        "customerId": c["id"], "thirdParty": "acme-bank", "groups": ["BASIC"],
        "documentReference": "DOC-2", "validFrom": _at(timedelta(days=-1))}}))["recordConsent"]["consent"]
    await api.ok(REVOKE_CONSENT, {"input": {"id": consent["id"]}})
    writes = await _entries(api, principal="alice", action="WRITE")
    assert [(e["object"], e["customerId"]) for e in writes] == [
        ("Mutation.revokeConsent", c["id"]), ("Mutation.recordConsent", c["id"]), ("Mutation.createCustomer", c["id"])]


async def test_mutation_failing_with_a_typed_error_writes_nothing_not_even_its_audit_entry(api):
    await f.organisation(api)
    c = await f.customer(api)
    body = await _post(api, UPDATE, {"input": {"id": c["id"], "version": 7, "name": "Late Co., Ltd."}},
                       request_id="req-conflict")
    assert body["data"]["updateCustomer"] == {"__typename": "ConflictError", "code": "CONFLICT", "currentVersion": 1}
    body = await _post(api, UPDATE, {"input": {"id": c["id"], "version": 1, "name": ""}}, request_id="req-invalid")
    assert body["data"]["updateCustomer"]["__typename"] == "InvalidInputError"
    assert (await _log(api, clientRequestId="req-conflict"))["totalCount"] == 0
    assert (await _log(api, clientRequestId="req-invalid"))["totalCount"] == 0
    assert (await api.ok(NAME_ONLY, {"id": c["id"]}))["customer"]["name"] == c["name"]
    assert (await _log(api, action="WRITE", customerId=c["id"]))["totalCount"] == 1  # createCustomer only


# -------------------------------------------------------------------------------------- reading


async def test_audit_log_filters_by_principal_customer_action_and_time(api):
    await f.organisation(api)
    a = await _customer_with_details(api, name="Alpha Co., Ltd.")
    b = await _customer_with_details(api, name="Beta Co., Ltd.", relationshipManagerUsername="amy")
    await asyncio.sleep(0.02)
    mark = datetime.now(UTC)
    await asyncio.sleep(0.02)
    await _post(api, CONFIDENTIAL_READ, {"id": a["id"]}, request_id="r-alice")
    await _post(api, CONFIDENTIAL_READ, {"id": b["id"]}, bearer=f.as_("amy"), request_id="r-amy")
    await _post(api, CONFIDENTIAL_READ, {"id": b["id"]}, bearer=f.as_("hank", "branch_manager"), request_id="r-hank")

    everything = await _entries(api)
    assert everything, "the setup alone writes entries"
    by_alice = await _entries(api, principal="alice")
    assert by_alice and all(e["principal"] == "alice" for e in by_alice)
    assert len(by_alice) == sum(e["principal"] == "alice" for e in everything)

    about_b = await _entries(api, customerId=b["id"])
    assert about_b and all(e["customerId"] == b["id"] for e in about_b)
    assert {e["principal"] for e in about_b} == {"amy", "hank"}

    reads = await _entries(api, action="READ", since=mark.isoformat())
    assert {e["clientRequestId"] for e in reads} == {"r-alice", "r-amy", "r-hank"}
    assert len(reads) == 3  # one per request: each read one customer's three confidential groups

    since = await _entries(api, since=mark.isoformat())
    assert {e["clientRequestId"] for e in since} == {"r-alice", "r-amy", "r-hank"}
    until = await _entries(api, until=mark.isoformat())
    assert len(since) + len(until) == len(everything)
    assert not {e["clientRequestId"] for e in until} & {"r-alice", "r-amy", "r-hank"}
    assert {e["action"] for e in until} == {"WRITE", "READ"}  # recording statements reads sizeAssessment
    setup_reads = await _entries(api, action="READ", until=mark.isoformat())
    assert setup_reads and all(e["object"] == "group:financial" for e in setup_reads)

    combined = await _entries(api, principal="hank", customerId=b["id"], action="READ", since=mark.isoformat(),
                              until=(datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    assert [e["object"] for e in combined] == ["group:credit group:financial group:identity"]
    assert await _entries(api, principal="hank", customerId=a["id"]) == []


async def test_audit_log_is_newest_first_and_pages_with_first_and_after(api):
    await f.organisation(api)
    log = await _log(api, first=100)
    everything = [e["node"] for e in log["edges"]]
    ats = [e["at"] for e in everything]
    assert [datetime.fromisoformat(a) for a in ats] == sorted((datetime.fromisoformat(a) for a in ats), reverse=True)
    assert everything[0]["object"] == "Mutation.recordConfidentialityAgreement"  # the last thing done
    assert everything[-1]["object"] == "Mutation.createBranch"  # the first

    seen, after, pages = [], None, 0
    while True:
        page = await _log(api, first=7, after=after)
        assert page["totalCount"] == log["totalCount"]
        assert len(page["edges"]) <= 7
        seen += [e["node"] for e in page["edges"]]
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everything
    assert pages == -(-len(everything) // 7)

    filtered = await _log(api, first=2, principal="root", action="WRITE")
    rest = await _log(api, first=100, after=filtered["pageInfo"]["endCursor"], principal="root", action="WRITE")
    assert filtered["totalCount"] == rest["totalCount"] == len(everything)
    assert len(filtered["edges"]) + len(rest["edges"]) == len(everything)


async def test_only_compliance_auditors_read_the_audit_log(api):
    await f.organisation(api)
    for bearer in (f.as_("alice"), f.as_("hank", "branch_manager"), ACME, f.ADMIN):
        body = await api(AUDIT_LOG, {"first": 5}, bearer=bearer)
        assert body["data"] == {"auditLog": None}  # nullable: a denial nulls only this root field
        assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["auditLog"], "FORBIDDEN")]
    denials = await _entries(api, action="DENY")
    assert {(e["principal"], e["object"]) for e in denials} == {
        ("alice", "group:audit"), ("hank", "group:audit"), ("acme-bank", "group:audit"), ("root", "group:audit")}
    assert all(e["fields"] == ["Query.auditLog"] for e in denials)


# --------------------------------------------------------------------------------- append-only


async def test_api_offers_no_mutation_that_changes_audit_entries(api):
    data = await api.ok('{ __type(name: "Mutation") { fields { name } } }', bearer=f.ADMIN)
    names = [field["name"] for field in data["__type"]["fields"]]
    assert "createCustomer" in names
    assert not [name for name in names if "audit" in name.lower()]


async def test_database_refuses_update_and_delete_of_audit_entries(api, app):
    await f.organisation(api)
    engine = app.state.runtime.engine

    async def rows():
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT id, principal, action, object FROM audit_entry ORDER BY id"))).all()

    before = await rows()
    assert before
    for statement in ("UPDATE audit_entry SET principal = 'x'", "DELETE FROM audit_entry",
                      f"DELETE FROM audit_entry WHERE id = {before[-1][0]}"):
        with pytest.raises(sqlalchemy.exc.DBAPIError):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    assert await rows() == before
    # Appending still works.
    await _post(api, "{ branches { code } }", request_id="after-attempts")
    await _post(api, """mutation { createBranch(input: {code: "GZ01", name: "Guangzhou"}) { __typename } }""",
                request_id="after-attempts")
    assert (await _log(api, clientRequestId="after-attempts"))["totalCount"] == 1
