"""Building test data through the API, as a front-end would."""

from __future__ import annotations

import random
from typing import Any

from api.reference.identifiers import make_credit_code
from conftest import token

ADMIN = token(sub="root", roles=("admin",), branch=None)


def as_(username: str, *roles: str) -> str:
    """A token for a member of the test organisation (default role: relationship manager)."""
    return token(sub=username, roles=roles or ("relationship_manager",), branch=STAFF[username][0])

CREATE_BRANCH = """mutation($input: CreateBranchInput!) { createBranch(input: $input) {
  __typename ... on InvalidInputError { problems { field message } } } }"""
CREATE_STAFF = """mutation($input: CreateStaffMemberInput!) { createStaffMember(input: $input) {
  __typename ... on InvalidInputError { problems { field message } } } }"""
CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  __typename
  ... on CustomerPayload { customer { id name version creditCode } }
  ... on InvalidInputError { code problems { field message } }
} }"""
RECORD_STATEMENT = """mutation($input: FinancialStatementInput!) { recordFinancialStatement(input: $input) {
  __typename
  ... on FinancialStatementPayload { customer { id version size sizeAssessment { ruleVersion ruleId inputs } } }
  ... on InvalidInputError { problems { field message } }
  ... on ConflictError { code currentVersion }
  ... on NotFoundError { code field }
} }"""

_rng = random.Random(7)


def credit_code() -> str:
    return make_credit_code(_rng)


RECORD_AGREEMENT = """mutation($input: RecordAgreementInput!) { recordConfidentialityAgreement(input: $input) {
  __typename ... on InvalidInputError { problems { field message } } } }"""

# Staff of the test organisation: username → (branch, signed a confidentiality agreement).
STAFF = {
    "alice": ("HZ01", True), "amy": ("HZ01", True), "hank": ("HZ01", True),  # hank: HZ01's manager
    "bob": ("SH01", True), "sue": ("SH01", True),  # sue: SH01's manager
    "bill": ("BJ01", True), "nina": ("HZ01", False),  # nina has signed no agreement
    "carl": ("HZ01", True), "audrey": ("HZ01", True), "rex": ("HZ01", True),
}


async def organisation(api: Any) -> None:
    """Branches HZ01, SH01, BJ01 and the staff above, set up by an administrator."""
    for code, name in (("HZ01", "Hangzhou"), ("SH01", "Shanghai"), ("BJ01", "Beijing")):
        data = await api.ok(CREATE_BRANCH, {"input": {"code": code, "name": name}}, bearer=ADMIN)
        assert data["createBranch"]["__typename"] == "BranchPayload", data
    for username, (branch, signed) in STAFF.items():
        data = await api.ok(
            CREATE_STAFF, {"input": {"username": username, "name": username.title(), "branchCode": branch}},
            bearer=ADMIN,
        )
        assert data["createStaffMember"]["__typename"] == "StaffMemberPayload", data
        if signed:
            data = await api.ok(RECORD_AGREEMENT, {"input": {"username": username, "signedOn": "2024-01-01",
                                                             "reference": f"NDA-{username}"}}, bearer=ADMIN)
            assert data["recordConfidentialityAgreement"]["__typename"] == "StaffMemberPayload", data


async def customer(api: Any, bearer: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A new customer (default: manufacturing at HZ01, looked after by alice, created by alice)."""
    values = {
        "name": "Hangzhou Precision Machinery Co., Ltd.",
        "creditCode": credit_code(),
        "industryCode": "C34",
        "branchCode": "HZ01",
        "relationshipManagerUsername": "alice",
        **overrides,
    }
    if bearer is None and values["relationshipManagerUsername"] != "alice":
        bearer = as_(values["relationshipManagerUsername"])
    data = await api.ok(CREATE_CUSTOMER, {"input": values}, bearer=bearer)
    result = data["createCustomer"]
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]


def statement_input(customer_id: str, version: int, **overrides: Any) -> dict[str, Any]:
    return {
        "customerId": customer_id,
        "version": version,
        "periodEnd": "2025-12-31",
        "periodKind": "ANNUAL",
        "currency": "CNY",
        "totalAssets": "150000000.00",
        "totalLiabilities": "90000000.00",
        "equity": "60000000.00",
        "revenue": "120000000.00",
        "netProfit": "8000000.00",
        "employees": 350,
        "auditOpinion": "UNQUALIFIED",
        **overrides,
    }


async def statement(
    api: Any, customer_id: str, version: int, bearer: str | None = None, **overrides: Any
) -> dict[str, Any]:
    data = await api.ok(RECORD_STATEMENT, {"input": statement_input(customer_id, version, **overrides)}, bearer=bearer)
    result = data["recordFinancialStatement"]
    assert result["__typename"] == "FinancialStatementPayload", result
    return result["customer"]


STRATEGY_QUESTIONS = """query($code: String!) { gradingStrategy(industryCode: $code) {
  questions { id answers { id } } } }"""
ASSESS_GRADE = """mutation($input: AssessGradeInput!) { assessGrade(input: $input) {
  __typename ... on GradePayload { customer { version } assessment { id provisional } } } }"""


async def assessed(api: Any, customer_id: str, industry_code: str, bearer: str | None = None) -> dict[str, Any]:
    """Grade the customer as an assessor would, answering every question of its strategy (the
    first, best answer): the assessment is in force. Returns the customer (its ``version``)."""
    strategy = (await api.ok(STRATEGY_QUESTIONS, {"code": industry_code}, bearer=bearer))["gradingStrategy"]
    answers = [{"questionId": q["id"], "answerId": q["answers"][0]["id"]} for q in strategy["questions"]]
    data = await api.ok(ASSESS_GRADE, {"input": {"customerId": customer_id, "answers": answers}}, bearer=bearer)
    result = data["assessGrade"]
    assert result["__typename"] == "GradePayload" and not result["assessment"]["provisional"], result
    return result["customer"]
