"""Importing repayments from CSV through GraphQL: validated row by row, a dry run, and nothing imported
when any row is wrong unless the good rows alone are asked for."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.errors import InvalidInput
from api.services import repayment_import as imports
from schema.context import Info
from schema.errors import ConflictError, InvalidInputError, UserError
from schema.mutation_runner import WriteSession, run_mutation


@strawberry.input(description="A CSV of repayments to import.")
class ImportRepaymentsInput:
    csv: str = strawberry.field(
        description="The file: a header `facility_reference,paid_on,amount,reference`, then one repayment per "
        "line (`paid_on` as YYYY-MM-DD, `amount` in the facility's currency with at most two decimals, "
        "`reference` unique per facility). Larger files: `creditcare import-repayments`."
    )
    dry_run: bool = strawberry.field(default=False, description="Check every row and import nothing.")
    partial: bool = strawberry.field(
        default=False, description="Import the good rows even when some are wrong (they are reported)."
    )


@strawberry.type(description="One row refused: its line in the file (the header is line 1), column, and why.")
class RepaymentRowProblem:
    line: int = strawberry.field(description="The line in the file.")
    column: str = strawberry.field(description="The column, or empty for the row as a whole.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="What an import found and did.")
class RepaymentImportPayload:
    rows: int = strawberry.field(description="Rows read (blank lines aside).")
    imported: int = strawberry.field(description="Repayments recorded (none in a dry run).")
    would_import: int = strawberry.field(description="Repayments the rows make: what a real run records.")
    error_count: int = strawberry.field(description="Rows refused.")
    errors: list[RepaymentRowProblem] = strawberry.field(description="The first thousand problems.")
    dry_run: bool = strawberry.field(description="Whether it was a dry run.")
    borrowers_classified: int = strawberry.field(description="Borrowers classified again after the import.")


@strawberry.type(description="Rows were wrong, so nothing was imported (pass `partial: true` to import the good "
                 "ones alone).")
class RepaymentImportRefusedError(UserError):
    rows: int = strawberry.field(description="Rows read (blank lines aside).")
    error_count: int = strawberry.field(description="Rows refused.")
    errors: list[RepaymentRowProblem] = strawberry.field(description="The first thousand problems.")


ImportRepaymentsResult = Annotated[
    RepaymentImportPayload | RepaymentImportRefusedError | InvalidInputError | ConflictError,
    strawberry.union("ImportRepaymentsResult", description="What was imported, or why nothing was (a file that "
                     "is not the expected CSV is InvalidInputError at `input.csv`; a concurrent change to the same "
                     "facilities is ConflictError: run it again)."),
]


def _problems(result: imports.ImportResult) -> list[RepaymentRowProblem]:
    return [RepaymentRowProblem(line=e.line, column=e.column, message=e.message) for e in result.errors]


def _payload(result: imports.ImportResult, imported: int) -> RepaymentImportPayload:
    return RepaymentImportPayload(
        rows=result.rows, imported=imported, would_import=result.imported, error_count=result.error_count,
        errors=_problems(result), dry_run=result.dry_run, borrowers_classified=result.borrowers_classified,
    )


@strawberry.type
class RepaymentImportMutation:
    @strawberry.mutation(
        description="Import repayments from CSV: every row is checked; nothing is imported when any row is wrong "
        "(unless `partial`), nor in a dry run. The borrowers concerned are classified again."
    )
    async def import_repayments(
        self, info: Info, input: Annotated[ImportRepaymentsInput, strawberry.argument(description="The file.")]
    ) -> ImportRepaymentsResult:
        ctx = info.context

        async def act(session: WriteSession) -> RepaymentImportPayload:
            try:
                result = await imports.import_repayments(
                    session, imports.text_lines(input.csv), scope=ctx.scope, today=ctx.today, by=ctx.principal.sub,
                    rules=ctx.settings.classification_rules(), dry_run=input.dry_run, partial=input.partial)
            except imports.MalformedFile as exc:
                raise InvalidInput.one("input.csv", str(exc)) from None
            return _payload(result, result.imported)

        try:
            return await run_mutation(info, act)
        except imports.ImportRolledBack as rolled_back:  # raised out of the transaction: nothing was written
            result = rolled_back.result
            if result.dry_run:
                return _payload(result, 0)
            return RepaymentImportRefusedError(
                code="IMPORT_REFUSED", message=f"{result.error_count} of {result.rows} row(s) are wrong: nothing "
                "was imported", rows=result.rows, error_count=result.error_count, errors=_problems(result))
