"""Repayments imported from CSV through the GraphQL endpoint (and the command line): every row checked,
a dry run, nothing imported when a row is wrong unless asked, duplicates refused, a large file."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

from click.testing import CliRunner

import factories as f
from api.cli import main
from api.settings import get_settings
from test_credit_facilities import APPROVER, book, booking, borrower, today, world

IMPORT = """mutation($input: ImportRepaymentsInput!) { importRepayments(input: $input) {
  __typename
  ... on RepaymentImportPayload { rows imported wouldImport errorCount dryRun borrowersClassified
                                  errors { line column message } }
  ... on RepaymentImportRefusedError { code rows errorCount errors { line column message } }
  ... on InvalidInputError { code problems { field message } }
} }"""
HEADER = "facility_reference,paid_on,amount,reference\n"
REPAID = "query($id: ID!) { node(id: $id) { ... on CreditFacility { daysPastDue category repayments { reference } } } }"


async def run(api: Any, csv: str, bearer: str = APPROVER, **options: Any) -> dict[str, Any]:
    return (await api.ok(IMPORT, {"input": {"csv": csv, **options}}, bearer=bearer))["importRepayments"]


async def overdue_facility(api: Any) -> dict[str, Any]:
    customer = await world(api)
    return await book(api, booking(customer["id"], overdue_days=100, reference="F-IMP"))


def line(amount: str = "501000.00", reference: str = "R-1", paid_on: str | None = None,
         facility: str = "F-IMP") -> str:
    return f"{facility},{paid_on or today().isoformat()},{amount},{reference}\n"


async def test_a_good_file_is_imported_and_the_borrower_is_classified_again(api):
    facility = await overdue_facility(api)
    result = await run(api, HEADER + line("1000.00", "R-1") + "\n" + line("500000.00", "R-2"))
    assert result == {"__typename": "RepaymentImportPayload", "rows": 2, "imported": 2, "wouldImport": 2,
                      "errorCount": 0, "dryRun": False, "borrowersClassified": 1, "errors": []}
    after = (await api.ok(REPAID, {"id": facility["id"]}, bearer=APPROVER))["node"]
    assert (after["daysPastDue"], after["category"]) == (0, "NORMAL")
    assert [r["reference"] for r in after["repayments"]] == ["R-1", "R-2"]


async def test_one_bad_row_imports_nothing_and_names_its_line_and_column(api):
    facility = await overdue_facility(api)
    ahead = (today() + timedelta(days=1)).isoformat()
    csv = HEADER + line("1.00", "R-1") + line("12.345", "R-2") + line("5.00", "R-3", paid_on=ahead) + \
        line("5.00", "R-4", facility="F-NONE") + line("5.00", "R-5", paid_on="30/11/2026") + "F-IMP,2026-01-01\n"
    refused = await run(api, csv)
    assert refused["__typename"] == "RepaymentImportRefusedError" and refused["code"] == "IMPORT_REFUSED"
    assert [(e["line"], e["column"]) for e in refused["errors"]] == [
        (3, "amount"), (4, "paid_on"), (5, "facility_reference"), (6, "paid_on"), (7, "")]
    assert (refused["rows"], refused["errorCount"]) == (6, 5)
    after = (await api.ok(REPAID, {"id": facility["id"]}, bearer=APPROVER))["node"]
    assert after["repayments"] == [] and after["daysPastDue"] == 100  # the good first row was not kept either


async def test_partial_imports_the_good_rows_and_reports_the_others(api):
    facility = await overdue_facility(api)
    result = await run(api, HEADER + line("501000.00", "R-1") + line("-5", "R-2"), partial=True)
    assert (result["imported"], result["errorCount"]) == (1, 1)
    assert result["errors"][0] == {"line": 3, "column": "amount",
                                   "message": "'-5' is not a positive amount with at most two decimals"}
    after = (await api.ok(REPAID, {"id": facility["id"]}, bearer=APPROVER))["node"]
    assert after["category"] == "NORMAL"


async def test_a_dry_run_checks_everything_and_writes_nothing(api):
    facility = await overdue_facility(api)
    result = await run(api, HEADER + line("1.00", "R-1") + line("2.00", "R-1"), dryRun=True)
    assert (result["dryRun"], result["imported"], result["wouldImport"], result["errorCount"]) == (True, 0, 1, 1)
    assert result["errors"][0]["message"] == "repayment 'R-1' appears twice in the file"
    after = (await api.ok(REPAID, {"id": facility["id"]}, bearer=APPROVER))["node"]
    assert after["repayments"] == []


async def test_a_repayment_already_on_record_is_refused_and_an_import_run_twice_adds_nothing(api):
    await overdue_facility(api)
    csv = HEADER + line("1.00", "R-1")
    assert (await run(api, csv))["imported"] == 1
    again = await run(api, csv)
    assert again["__typename"] == "RepaymentImportRefusedError"
    assert again["errors"][0]["message"] == "repayment 'R-1' is already on record for this facility"


async def test_a_file_that_is_not_the_expected_csv_is_invalid_input(api):
    await overdue_facility(api)
    for csv in ("", "facility,day,amount\nF-IMP,2026-01-01,1.00\n", HEADER + '"F-IMP'):
        result = await run(api, csv)
        assert result["__typename"] == "InvalidInputError", (csv, result)
        assert result["problems"][0]["field"] == "input.csv"


async def test_a_facility_outside_the_callers_customers_is_unknown_to_the_import(api):
    await overdue_facility(api)  # at HZ01
    refused = await run(api, HEADER + line("1.00", "R-1"), bearer=f.as_("sue", "branch_manager"))
    assert refused["errors"][0]["column"] == "facility_reference"
    denied = await api(IMPORT, {"input": {"csv": HEADER}}, bearer=f.as_("alice"))  # a relationship manager
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_large_file_spanning_many_chunks_imports_whole(api):
    customer = await world(api)
    references = []
    for n in range(3):
        facility = await book(api, booking(customer["id"], overdue_days=10, reference=f"F-BIG-{n}"))
        references.append(facility["reference"])
    rows = [f"{references[n % 3]},{today().isoformat()},0.01,P-{n}\n" for n in range(5000)]
    result = await run(api, HEADER + "".join(rows))
    assert (result["rows"], result["imported"], result["errorCount"]) == (5000, 5000, 0)
    found = await borrower(api, customer["id"])
    assert {item["reference"] for item in found["facilities"]} == set(references)


async def test_the_command_line_streams_a_file_and_exits_1_when_rows_are_refused(api, database_url, monkeypatch,
                                                                                   tmp_path):
    facility = await overdue_facility(api)
    path = tmp_path / "repayments.csv"
    path.write_text(HEADER + line("501000.00", "R-1") + line("x", "R-2"), encoding="utf-8")
    monkeypatch.setenv("CREDITCARE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        refused = await asyncio.to_thread(CliRunner().invoke, main, ["import-repayments", str(path)])
        assert refused.exit_code == 1 and "0 imported, 1 refused" in refused.output, refused.output
        done = await asyncio.to_thread(CliRunner().invoke, main, ["import-repayments", str(path), "--partial"])
    finally:
        get_settings.cache_clear()
    assert "1 imported, 1 refused" in done.output and "1 borrowers classified" in done.output, done.output
    after = (await api.ok(REPAID, {"id": facility["id"]}, bearer=APPROVER))["node"]
    assert after["category"] == "NORMAL" and Decimal(0) == after["daysPastDue"]
