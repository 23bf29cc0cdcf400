"""Building test data through the API, as a front-end would."""

from __future__ import annotations

import random
from typing import Any

from api.reference.identifiers import make_credit_code

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


async def organisation(api: Any) -> None:
    """Branches HZ01 and SH01; alice and amy at HZ01, bob at SH01."""
    for code, name in (("HZ01", "Hangzhou"), ("SH01", "Shanghai"), ("BJ01", "Beijing")):
        data = await api.ok(CREATE_BRANCH, {"input": {"code": code, "name": name}})
        assert data["createBranch"]["__typename"] == "BranchPayload", data
    for username, branch in (("alice", "HZ01"), ("amy", "HZ01"), ("bob", "SH01"), ("bill", "BJ01")):
        data = await api.ok(CREATE_STAFF, {"input": {"username": username, "name": username.title(), "branchCode": branch}})
        assert data["createStaffMember"]["__typename"] == "StaffMemberPayload", data


async def customer(api: Any, **overrides: Any) -> dict[str, Any]:
    """A new customer (default: manufacturing at HZ01, looked after by alice)."""
    values = {
        "name": "Hangzhou Precision Machinery Co., Ltd.",
        "creditCode": credit_code(),
        "industryCode": "C34",
        "branchCode": "HZ01",
        "relationshipManagerUsername": "alice",
        **overrides,
    }
    data = await api.ok(CREATE_CUSTOMER, {"input": values})
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


async def statement(api: Any, customer_id: str, version: int, **overrides: Any) -> dict[str, Any]:
    data = await api.ok(RECORD_STATEMENT, {"input": statement_input(customer_id, version, **overrides)})
    result = data["recordFinancialStatement"]
    assert result["__typename"] == "FinancialStatementPayload", result
    return result["customer"]
