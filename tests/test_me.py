"""The service says who it thinks the caller is (`me`) and refuses callers it cannot place, saying why."""

from __future__ import annotations

from typing import Any

import factories as f
from conftest import token

ME = """{ me {
  subject
  staffMember { username name branchCode }
  roles { name known inherits }
  agreement { required claimed onFile signedOn expiresOn validToday recognised }
  rowScope { kinds everyCustomer branchCode portfolioOf consentsTo summary }
  policy { version digest }
  mayIntrospect
} }"""
LIST = "{ customers(first: 10) { totalCount edges { node { name } } } }"
ACME = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)


async def _refusal(api: Any, bearer: str) -> tuple[str, str]:
    """The code and message of a request refused before any query ran."""
    response = await api.post(LIST, bearer=bearer)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


# ------------------------------------------------------------------------------------ refusals


async def test_a_token_whose_subject_has_no_staff_record_is_refused_saying_so(api):
    await f.organisation(api)
    await f.customer(api)  # a customer the stranger's branch holds: they were shown an empty list
    stranger = token(sub="nobody", roles=("branch_manager",), branch=None)
    code, message = await _refusal(api, stranger)
    assert code == "UNKNOWN_PRINCIPAL"
    assert "No staff record for 'nobody'" in message and "createStaffMember" in message


async def test_third_parties_and_administrators_are_served_without_a_staff_record(api):
    await f.organisation(api)
    assert (await api.ok(LIST, bearer=ACME))["customers"]["totalCount"] == 0
    assert (await api.ok("{ branches { code } }", bearer=f.ADMIN))["branches"]


async def test_a_staff_role_beside_third_party_still_needs_a_staff_record(api):
    both = token(sub="acme-bank", roles=("third_party", "risk_expert"), branch=None, nda=False)
    code, _ = await _refusal(api, both)
    assert code == "UNKNOWN_PRINCIPAL"


async def test_a_token_naming_a_role_the_policy_does_not_know_is_refused_naming_it(api):
    await f.organisation(api)
    code, message = await _refusal(api, f.as_("alice", "relationship_manger"))
    assert code == "UNKNOWN_ROLE"
    assert "'relationship_manger'" in message


async def test_a_token_cannot_claim_the_attributes_the_service_adds(api):
    await f.organisation(api)
    for attribute in ("authenticated", "nda:none"):
        code, message = await _refusal(api, f.as_("alice", "relationship_manager", attribute))
        assert code == "UNKNOWN_ROLE" and repr(attribute) in message


async def test_a_token_naming_another_branch_than_the_staff_record_is_refused(api):
    await f.organisation(api)
    lying = token(sub="hank", roles=("branch_manager",), branch="SH01")  # hank works at HZ01
    code, message = await _refusal(api, lying)
    assert code == "BRANCH_MISMATCH"
    assert "'SH01'" in message and "'HZ01'" in message


async def test_a_branch_on_a_token_without_a_staff_record_is_refused(api):
    code, message = await _refusal(api, token(sub="acme-bank", roles=("third_party",), branch="HZ01", nda=False))
    assert code == "BRANCH_MISMATCH"
    assert "no staff record" in message


async def test_a_token_without_a_branch_takes_the_staff_records(api):
    await f.organisation(api)
    data = await api.ok(ME, bearer=token(sub="hank", roles=("branch_manager",), branch=None))
    assert data["me"]["rowScope"]["branchCode"] == "HZ01"


async def test_a_refusal_carries_the_request_id(api):
    response = await api.client.post(
        "/graphql", json={"query": LIST},
        headers={"Authorization": f"Bearer {token(sub='nobody')}", "X-Request-ID": "who-1"},
    )
    assert response.status_code == 403
    assert response.headers["X-Request-ID"] != "who-1"  # the service's own id, even on a refusal
    assert response.headers["X-Client-Request-ID"] == "who-1"


# ------------------------------------------------------------------------------------------ me


async def test_me_shows_a_relationship_managers_staff_record_agreement_scope_and_policy(api, app):
    await f.organisation(api)
    me = (await api.ok(ME, bearer=f.as_("alice")))["me"]
    policy = app.state.runtime.policies.current
    assert me == {
        "subject": "alice",
        "staffMember": {"username": "alice", "name": "Alice", "branchCode": "HZ01"},
        "roles": [{"name": "relationship_manager", "known": True, "inherits": ["staff"]}],
        "agreement": {"required": True, "claimed": True, "onFile": True, "signedOn": "2024-01-01",
                      "expiresOn": None, "validToday": True, "recognised": True},
        "rowScope": {"kinds": ["OWN"], "everyCustomer": False, "branchCode": None, "portfolioOf": "alice",
                     "consentsTo": None, "summary": "the portfolio of alice"},
        "policy": {"version": policy.version, "digest": policy.digest},
        "mayIntrospect": False,
    }


async def test_me_shows_a_third_party_without_staff_record_or_agreement(api):
    me = (await api.ok(ME, bearer=ACME))["me"]
    assert me["subject"] == "acme-bank"
    assert me["staffMember"] is None
    assert me["roles"] == [{"name": "third_party", "known": True, "inherits": ["external"]}]
    assert me["agreement"] == {"required": False, "claimed": False, "onFile": False, "signedOn": None,
                               "expiresOn": None, "validToday": False, "recognised": False}
    assert me["rowScope"] == {"kinds": ["CONSENTED"], "everyCustomer": False, "branchCode": None,
                              "portfolioOf": None, "consentsTo": "acme-bank",
                              "summary": "customers with a consent in force to acme-bank"}


async def test_me_shows_a_member_claiming_an_agreement_none_is_on_file_for_with_a_warning(api):
    await f.organisation(api)
    body = await api(ME, bearer=f.as_("nina", "branch_manager"))  # the token claims an agreement
    me = body["data"]["me"]
    assert me["staffMember"] == {"username": "nina", "name": "Nina", "branchCode": "HZ01"}
    assert me["agreement"] == {"required": True, "claimed": True, "onFile": False, "signedOn": None,
                               "expiresOn": None, "validToday": False, "recognised": False}
    assert me["rowScope"]["kinds"] == ["BRANCH"] and me["rowScope"]["branchCode"] == "HZ01"
    [warning] = body["extensions"]["warnings"]
    assert warning["code"] == "NO_VALID_AGREEMENT"
    # Served, not refused: the rules for staff without an agreement decide what they see.
    assert (await api(LIST, bearer=f.as_("nina", "branch_manager")))["data"]["customers"] is not None


async def test_me_shows_an_expired_agreement_as_on_file_but_not_valid(api):
    await f.organisation(api)
    await api.ok(f.RECORD_AGREEMENT, {"input": {"username": "hank", "signedOn": "2020-01-01",
                                                "expiresOn": "2021-01-01", "reference": "NDA-old"}}, bearer=f.ADMIN)
    me = (await api.ok(ME, bearer=f.as_("hank", "branch_manager")))["me"]
    assert me["agreement"]["onFile"] is True and me["agreement"]["expiresOn"] == "2021-01-01"
    assert me["agreement"]["validToday"] is False and me["agreement"]["recognised"] is False


async def test_no_warning_when_the_token_does_not_claim_an_agreement(api):
    await f.organisation(api)
    body = await api(ME, bearer=token(sub="nina", roles=("branch_manager",), branch="HZ01", nda=False))
    assert "extensions" not in body
    assert body["data"]["me"]["agreement"]["claimed"] is False


async def test_me_shows_an_administrator_without_staff_record_sees_no_customer(api):
    me = (await api.ok(ME, bearer=token(sub="root", roles=("admin",), branch=None, nda=False)))["me"]
    assert me["staffMember"] is None
    assert me["rowScope"]["kinds"] == [] and me["rowScope"]["summary"] == "no customer"
    assert me["mayIntrospect"] is True


async def test_me_shows_every_customer_for_an_auditor(api):
    await f.organisation(api)
    me = (await api.ok(ME, bearer=f.as_("audrey", "compliance_auditor")))["me"]
    assert me["rowScope"]["kinds"] == ["ALL"] and me["rowScope"]["everyCustomer"] is True
    assert me["rowScope"]["summary"] == "every customer"

