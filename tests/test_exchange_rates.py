"""Exchange rates: recorded by administrators as history, and used to size statements in other currencies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factories as f

RECORD_RATE = """mutation($input: RecordExchangeRateInput!) { recordExchangeRate(input: $input) {
  __typename
  ... on ExchangeRatePayload { exchangeRate { currency cnyPerUnit effectiveOn source recordedBy } }
  ... on InvalidInputError { code problems { field message } }
} }"""
RATES = """query($currency: CurrencyCode) { exchangeRates(currency: $currency) { currency cnyPerUnit effectiveOn } }"""
SIZE = """query($id: ID!) { customer(id: $id) { version size sizeAssessment { ruleId inputs }
  financialStatements { periodEnd currency } } }"""
RECORD_STATEMENT = """mutation($input: FinancialStatementInput!) { recordFinancialStatement(input: $input) {
  __typename ... on InvalidInputError { code problems { field message } } } }"""


async def rate(api: Any, currency: str, per_unit: str, effective_on: str, bearer: str = f.ADMIN) -> dict[str, Any]:
    data = await api.ok(RECORD_RATE, {"input": {"currency": currency, "cnyPerUnit": per_unit,
                                                "effectiveOn": effective_on, "source": "PBOC central parity"}},
                        bearer=bearer)
    return data["recordExchangeRate"]


def problems(result: dict[str, Any]) -> list[str]:
    assert result["__typename"] == "InvalidInputError", result
    return [p["field"] for p in result["problems"]]


async def test_an_administrator_records_rates_that_are_listed_newest_first(api):
    await f.organisation(api)
    recorded = await rate(api, "USD", "7.12345678", "2025-12-31")
    assert recorded["exchangeRate"] == {"currency": "USD", "cnyPerUnit": "7.12345678", "effectiveOn": "2025-12-31",
                                        "source": "PBOC central parity", "recordedBy": "root"}
    await rate(api, "USD", "7.2", "2026-01-02")
    await rate(api, "EUR", "7.8", "2026-01-02")
    listed = (await api.ok(RATES, {"currency": "USD"}))["exchangeRates"]
    assert [(r["effectiveOn"], r["cnyPerUnit"]) for r in listed] == [("2026-01-02", "7.20000000"),
                                                                    ("2025-12-31", "7.12345678")]


async def test_a_rate_is_history_a_second_one_for_the_same_day_is_refused_and_nothing_changes(api):
    await f.organisation(api)
    await rate(api, "USD", "7.1", "2025-12-31")
    assert problems(await rate(api, "USD", "9.9", "2025-12-31")) == ["input.effectiveOn"]
    assert [r["cnyPerUnit"] for r in (await api.ok(RATES, {}))["exchangeRates"]] == ["7.10000000"]


async def test_a_rate_for_the_yuan_a_future_day_or_a_non_positive_value_is_refused(api):
    await f.organisation(api)
    assert problems(await rate(api, "CNY", "1", "2025-12-31")) == ["input.currency"]
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert problems(await rate(api, "USD", "7.1", tomorrow)) == ["input.effectiveOn"]
    assert problems(await rate(api, "USD", "0", "2025-12-31")) == ["input.cnyPerUnit"]
    assert (await api.ok(RATES, {}))["exchangeRates"] == []


async def test_a_relationship_manager_may_read_rates_but_not_record_them(api):
    await f.organisation(api)
    body = await api(RECORD_RATE, {"input": {"currency": "USD", "cnyPerUnit": "7.1", "effectiveOn": "2025-12-31",
                                             "source": "x"}}, bearer=f.as_("alice"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.ok(RATES, {}, bearer=f.as_("alice")))["exchangeRates"] == []


async def test_a_statement_in_another_currency_without_a_rate_is_refused_and_nothing_is_recorded(api):
    await f.organisation(api)
    c = await f.customer(api)
    await rate(api, "USD", "7.1", "2026-01-01")  # in force only after the period end
    result = (await api.ok(RECORD_STATEMENT, {"input": f.statement_input(c["id"], c["version"], currency="USD")}))
    assert problems(result["recordFinancialStatement"]) == ["input.currency"]
    assert "no USD exchange rate in force on 2025-12-31" in result["recordFinancialStatement"]["problems"][0]["message"]
    after = (await api.ok(SIZE, {"id": c["id"]}))["customer"]
    assert (after["version"], after["financialStatements"], after["size"]) == (c["version"], [], None)


async def test_a_statement_in_dollars_is_sized_in_yuan_at_the_rate_in_force_on_its_period_end(api):
    await f.organisation(api)
    c = await f.customer(api)  # manufacturing: employees and revenue
    await rate(api, "USD", "7.0", "2025-06-30")
    await rate(api, "USD", "9.0", "2026-01-15")  # later than the period end: not used
    # 350 employees and USD 10 million: small in yuan as written, medium at 7 yuan to the dollar.
    await f.statement(api, c["id"], c["version"], currency="USD", revenue="10000000.00", employees=350)
    customer = (await api.ok(SIZE, {"id": c["id"]}))["customer"]
    assert customer["size"] == "MEDIUM"
    assert customer["sizeAssessment"]["inputs"] == {
        "employees": "350", "revenue": "70000000.00", "currency": "USD", "cnyPerUnit": "7.00000000",
        "rateEffectiveOn": "2025-06-30"}
