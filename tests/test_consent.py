"""Customers' written consents (R-I4): a third party sees exactly what a valid consent discloses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from strawberry import relay

import factories as f
from conftest import token

ACME = token(sub="acme-bank", roles=("third_party",), branch=None, nda=False)
OTHER_BANK = token(sub="other-bank", roles=("third_party",), branch=None, nda=False)

RECORD_CONSENT = """mutation($input: RecordConsentInput!) { recordConsent(input: $input) {
  __typename
  ... on ConsentPayload { consent { id thirdParty groups documentReference validFrom validUntil revokedAt recordedBy } }
  ... on InvalidInputError { code problems { field message } }
  ... on NotFoundError { code field }
} }"""
REVOKE_CONSENT = """mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) {
  __typename
  ... on ConsentPayload { consent { id revokedAt } }
  ... on InvalidInputError { code problems { field message } }
  ... on NotFoundError { code field }
} }"""
RECORD_BASIC = """mutation($input: BasicInformationInput!) { recordBasicInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""

CUSTOMERS = """{ customers { totalCount edges { node { id name } } } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { id name } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Customer { name } } }"""
EVERYTHING = """query($id: ID!) { customer(id: $id) {
  id name
  financialStatements { periodEnd revenue netProfit totalAssets }
  basicInformation { legalRepresentativeName }
  creditInformation { externalRating }
  operatingInformation { mainProducts }
  history { edges { node { field } } }
  relationshipManager { username }
} }"""
BASIC = """query($id: ID!) { customer(id: $id) {
  name basicInformation { legalRepresentativeName legalRepresentativeIdNumber businessScope }
} }"""
CONSENTS = """query($id: ID!) { customer(id: $id) {
  consents { id thirdParty groups documentReference validFrom validUntil revokedAt recordedBy } } }"""


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def _consent_input(customer_id: str, **overrides):
    return {
        "customerId": customer_id, "thirdParty": "acme-bank", "groups": ["FINANCIAL"],
        "documentReference": "CONSENT-2026-001", "validFrom": _at(timedelta(days=-1)), **overrides,
    }


async def _consent(api, customer_id: str, bearer: str | None = None, **overrides):
    data = await api.ok(RECORD_CONSENT, {"input": _consent_input(customer_id, **overrides)}, bearer=bearer)
    result = data["recordConsent"]
    assert result["__typename"] == "ConsentPayload", result
    return result["consent"]


async def _visible_names(api, bearer=ACME):
    data = (await api.ok(CUSTOMERS, bearer=bearer))["customers"]
    names = [e["node"]["name"] for e in data["edges"]]
    assert data["totalCount"] == len(names)
    return names


async def _setup(api):
    """Three of alice's customers; the first has a financial statement."""
    await f.organisation(api)
    first = await f.customer(api, name="Consenting Co., Ltd.")
    first = {**first, **await f.statement(api, first["id"], first["version"])}
    second = await f.customer(api, name="Silent Co., Ltd.")
    third = await f.customer(api, name="Other Co., Ltd.")
    return first, second, third


def _without_location(errors):
    return [{k: v for k, v in e.items() if k not in ("path", "locations")} for e in errors]


# ------------------------------------------------------------------------------ before consent


async def test_third_party_without_consent_sees_no_customers(api):
    await _setup(api)
    data = (await api.ok(CUSTOMERS, bearer=ACME))["customers"]
    assert data == {"totalCount": 0, "edges": []}


async def test_unconsented_customer_is_not_found_exactly_like_a_missing_one(api):
    first, _, _ = await _setup(api)
    # A well-formed global ID of a customer that does not exist.
    missing = str(relay.GlobalID("Customer", "999999"))
    existing = await api(CUSTOMER, {"id": first["id"]}, bearer=ACME)
    absent = await api(CUSTOMER, {"id": missing}, bearer=ACME)
    assert existing["data"] == absent["data"]
    assert existing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert _without_location(existing["errors"]) == _without_location(absent["errors"])
    existing = await api(NODE, {"id": first["id"]}, bearer=ACME)
    absent = await api(NODE, {"id": missing}, bearer=ACME)
    assert existing["data"] == absent["data"]
    assert _without_location(existing.get("errors", [])) == _without_location(absent.get("errors", []))
    assert existing["data"]["node"] is None


# ------------------------------------------------------------------------------ during consent


async def test_financial_consent_shows_that_customer_and_its_statements_only(api):
    first, second, third = await _setup(api)
    await _consent(api, first["id"])
    assert await _visible_names(api) == ["Consenting Co., Ltd."]
    body = await api(EVERYTHING, {"id": first["id"]}, bearer=ACME)
    data = body["data"]["customer"]
    assert data["id"] == first["id"] and data["name"] == "Consenting Co., Ltd."
    assert data["financialStatements"] == [{"periodEnd": "2025-12-31", "revenue": "120000000.00",
                                            "netProfit": "8000000.00", "totalAssets": "150000000.00"}]
    refused = ("basicInformation", "creditInformation", "operatingInformation", "history", "relationshipManager")
    for field in refused:
        assert data[field] is None, field
    errors = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert errors == {("customer", field): "FORBIDDEN" for field in refused}
    # The customers without consent stay invisible.
    for other in (second, third):
        body = await api(CUSTOMER, {"id": other["id"]}, bearer=ACME)
        assert body["data"]["customer"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_consent_to_another_third_party_gives_this_one_nothing(api):
    first, _, _ = await _setup(api)
    await _consent(api, first["id"], thirdParty="other-bank")
    assert await _visible_names(api) == []
    body = await api(CUSTOMER, {"id": first["id"]}, bearer=ACME)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await _visible_names(api, OTHER_BANK) == ["Consenting Co., Ltd."]


async def test_basic_consent_discloses_basic_information_but_not_identity_or_financials(api):
    first, _, _ = await _setup(api)
    await api.ok(RECORD_BASIC, {"input": {
        "customerId": first["id"], "version": first["version"], "legalRepresentativeName": "Wang Wei",
        "legalRepresentativeIdType": "RESIDENT_ID_CARD", "legalRepresentativeIdNumber": "11010519491231002X",
        "businessScope": "Machinery manufacturing",
    }})
    await _consent(api, first["id"], groups=["BASIC"])
    body = await api(BASIC, {"id": first["id"]}, bearer=ACME)
    # An individual's identity number needs a consent that names it: a consent to basic information
    # does not show a third party more than staff see.
    assert body["data"]["customer"]["basicInformation"] == {
        "legalRepresentativeName": "Wang Wei", "legalRepresentativeIdNumber": None,
        "businessScope": "Machinery manufacturing"}
    assert [e["path"] for e in body["errors"]] == [["customer", "basicInformation", "legalRepresentativeIdNumber"]]
    body = await api(EVERYTHING, {"id": first["id"]}, bearer=ACME)
    assert body["data"]["customer"]["financialStatements"] is None
    assert ["customer", "financialStatements"] in [e["path"] for e in body["errors"]]


async def test_a_consent_naming_identity_discloses_the_identity_number(api):
    first, _, _ = await _setup(api)
    await api.ok(RECORD_BASIC, {"input": {
        "customerId": first["id"], "version": first["version"], "legalRepresentativeName": "Wang Wei",
        "legalRepresentativeIdType": "RESIDENT_ID_CARD", "legalRepresentativeIdNumber": "11010519491231002X",
    }})
    await _consent(api, first["id"], groups=["BASIC", "IDENTITY"])
    data = (await api.ok(BASIC, {"id": first["id"]}, bearer=ACME))["customer"]
    assert data["basicInformation"]["legalRepresentativeIdNumber"] == "11010519491231002X"


async def test_consents_to_one_third_party_add_up_across_groups(api):
    first, _, _ = await _setup(api)
    await _consent(api, first["id"], groups=["BASIC"], documentReference="C-1")
    await _consent(api, first["id"], groups=["FINANCIAL"], documentReference="C-2")
    body = await api(EVERYTHING, {"id": first["id"]}, bearer=ACME)
    paths = {tuple(e["path"]) for e in body["errors"]}
    assert ("customer", "financialStatements") not in paths
    assert ("customer", "basicInformation") not in paths
    assert body["data"]["customer"]["financialStatements"][0]["revenue"] == "120000000.00"


async def test_third_party_name_is_matched_without_regard_to_case(api):
    first, _, _ = await _setup(api)
    consent = await _consent(api, first["id"], thirdParty="ACME-Bank")
    assert consent["thirdParty"] == "acme-bank"
    assert await _visible_names(api, token(sub="Acme-Bank", roles=("third_party",), branch=None, nda=False)) == [
        "Consenting Co., Ltd."]


# ------------------------------------------------------------------------- validity and revocation


async def test_revocation_takes_effect_on_the_next_request(api):
    first, _, _ = await _setup(api)
    consent = await _consent(api, first["id"])
    assert await _visible_names(api) == ["Consenting Co., Ltd."]
    result = (await api.ok(REVOKE_CONSENT, {"input": {"id": consent["id"]}}))["revokeConsent"]
    assert result["__typename"] == "ConsentPayload" and result["consent"]["revokedAt"]
    assert await _visible_names(api) == []
    body = await api(EVERYTHING, {"id": first["id"]}, bearer=ACME)
    assert body["data"]["customer"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_revoking_twice_is_invalid_input(api):
    first, _, _ = await _setup(api)
    consent = await _consent(api, first["id"])
    await api.ok(REVOKE_CONSENT, {"input": {"id": consent["id"]}})
    result = (await api.ok(REVOKE_CONSENT, {"input": {"id": consent["id"]}}))["revokeConsent"]
    assert result["__typename"] == "InvalidInputError"
    assert [p["field"] for p in result["problems"]] == ["input.id"]


async def test_expired_consent_gives_nothing(api):
    first, _, _ = await _setup(api)
    await _consent(api, first["id"], validFrom=_at(timedelta(days=-30)), validUntil=_at(timedelta(seconds=-1)))
    assert await _visible_names(api) == []
    body = await api(CUSTOMER, {"id": first["id"]}, bearer=ACME)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_consent_that_has_not_started_gives_nothing_yet(api):
    first, _, _ = await _setup(api)
    await _consent(api, first["id"], validFrom=_at(timedelta(days=1)))
    assert await _visible_names(api) == []
    body = await api(CUSTOMER, {"id": first["id"]}, bearer=ACME)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_consent_with_an_end_date_in_the_future_counts(api):
    first, _, _ = await _setup(api)
    await _consent(api, first["id"], validUntil=_at(timedelta(days=30)))
    assert await _visible_names(api) == ["Consenting Co., Ltd."]


# -------------------------------------------------------------------------------------- governance


async def test_third_party_cannot_record_a_consent(api):
    first, _, _ = await _setup(api)
    body = await api(RECORD_CONSENT, {"input": _consent_input(first["id"])}, bearer=ACME)
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["recordConsent"], "FORBIDDEN")]
    assert await _visible_names(api) == []


async def test_third_party_cannot_revoke_a_consent(api):
    first, _, _ = await _setup(api)
    consent = await _consent(api, first["id"])
    body = await api(REVOKE_CONSENT, {"input": {"id": consent["id"]}}, bearer=ACME)
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["revokeConsent"], "FORBIDDEN")]
    assert await _visible_names(api) == ["Consenting Co., Ltd."]


async def test_manager_of_another_branch_cannot_record_a_consent_for_a_customer_out_of_scope(api):
    first, _, _ = await _setup(api)
    result = (
        await api.ok(RECORD_CONSENT, {"input": _consent_input(first["id"])}, bearer=f.as_("bob"))
    )["recordConsent"]
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "input.customerId"}
    assert await _visible_names(api) == []


async def test_manager_of_another_branch_cannot_revoke_a_consent_out_of_scope(api):
    first, _, _ = await _setup(api)
    consent = await _consent(api, first["id"])
    result = (await api.ok(REVOKE_CONSENT, {"input": {"id": consent["id"]}}, bearer=f.as_("bob")))["revokeConsent"]
    assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": "input.id"}
    assert await _visible_names(api) == ["Consenting Co., Ltd."]


async def test_valid_until_before_valid_from_is_invalid_input(api):
    first, _, _ = await _setup(api)
    result = (await api.ok(RECORD_CONSENT, {"input": _consent_input(
        first["id"], validFrom=_at(timedelta(days=-1)), validUntil=_at(timedelta(days=-2)))}))["recordConsent"]
    assert result["__typename"] == "InvalidInputError"
    assert [p["field"] for p in result["problems"]] == ["input.validUntil"]
    assert (await api.ok(CONSENTS, {"id": first["id"]}))["customer"]["consents"] == []


async def test_customer_consents_list_the_consent_and_its_revocation(api):
    first, _, _ = await _setup(api)
    consent = await _consent(api, first["id"], groups=["FINANCIAL", "CREDIT"], documentReference="DOC-42")
    assert consent["recordedBy"] == "alice" and consent["revokedAt"] is None
    listed = (await api.ok(CONSENTS, {"id": first["id"]}))["customer"]["consents"]
    assert len(listed) == 1
    assert listed[0]["id"] == consent["id"]
    assert listed[0]["thirdParty"] == "acme-bank"
    assert sorted(listed[0]["groups"]) == ["CREDIT", "FINANCIAL"]
    assert listed[0]["documentReference"] == "DOC-42"
    assert listed[0]["revokedAt"] is None
    revoked = (await api.ok(REVOKE_CONSENT, {"input": {"id": consent["id"]}}))["revokeConsent"]["consent"]
    listed = (await api.ok(CONSENTS, {"id": first["id"]}))["customer"]["consents"]
    assert listed[0]["revokedAt"] == revoked["revokedAt"] and listed[0]["revokedAt"] is not None
