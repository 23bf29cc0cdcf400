"""Importing repayments in bulk from CSV: every row validated, each problem reported with its line,
and nothing imported when any row is wrong, unless the caller asks for the good rows alone.

The file is read as a stream, a chunk of rows at a time (memory stays flat whatever its length):

    facility_reference,paid_on,amount,reference
    F-2026-0001,2026-11-30,12500.00,BANK-20261130-0001

A row is refused when its facility is unknown (or outside the caller's customers), settled, or
started after the payment; when the day is not a date, is ahead of today; when the amount is not
a positive amount with at most two decimals; when the reference is empty, too long, or already on
record for that facility (in the database or earlier in the file). A dry run checks everything
and writes nothing. The borrowers whose facilities received repayments are classified again
once the rows are in, and their credit status follows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.base import table_of, utcnow
from api.db.enums import FacilityStatus
from api.db.models import CreditFacility, Repayment
from api.reference.loan_classification import ClassificationRules
from api.services.credit_status import refresh_credit_status
from api.services.facility_reads import facilities_within
from api.services.reclassification import reclassify
from api.services.scope import RowScope

COLUMNS = ("facility_reference", "paid_on", "amount", "reference")
CHUNK = 2000  # rows per statement: six parameters each, within every database's limit
MAX_ERRORS = 1000  # reported one by one; beyond, only counted
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("1e13")  # 15 significant digits with cents


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the file's line (the header is line 1), the column, and what is wrong."""

    line: int
    column: str
    message: str


@dataclass(slots=True)
class ImportResult:
    """What an import found and did."""

    rows: int = 0
    imported: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    borrowers_classified: int = 0

    def refuse(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, column, message))


@dataclass(frozen=True, slots=True)
class _Facility:
    id: int
    customer_id: int
    start_on: date
    settled: bool


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    facility: _Facility
    paid_on: date
    amount: Decimal
    reference: str


class MalformedFile(ValueError):
    """The file is not a CSV with the expected header."""


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise MalformedFile("the file is empty: expected a header " + ",".join(COLUMNS)) from None
    except csv.Error as exc:
        raise MalformedFile(f"line 1: {exc}") from None
    if [name.strip().lower() for name in header] != list(COLUMNS):
        raise MalformedFile(f"line 1: the header must be {','.join(COLUMNS)}, not {','.join(header)}")
    try:
        for values in reader:
            yield reader.line_num, values
    except csv.Error as exc:
        raise MalformedFile(f"line {reader.line_num}: {exc}") from None


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value >= _MAX_AMOUNT or value != value.quantize(_CENT):
        return None
    return value


async def _facilities(
    session: AsyncSession, references: set[str], scope: RowScope, known: dict[str, _Facility | None]
) -> None:
    missing = [reference for reference in references if reference not in known]
    if not missing:
        return
    table = table_of(CreditFacility)
    stmt = facilities_within(
        select(table.c.id, table.c.customer_id, table.c.start_on, table.c.status, table.c.reference)
        .where(table.c.reference.in_(missing)), scope)
    for row in await session.execute(stmt):
        known[row.reference] = _Facility(row.id, row.customer_id, row.start_on, row.status == FacilityStatus.SETTLED)
    for reference in missing:
        known.setdefault(reference, None)


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    module = postgresql if dialect == "postgresql" else sqlite
    table = table_of(Repayment)
    return module.insert(table).on_conflict_do_nothing(index_elements=["facility_id", "reference"]).returning(
        table.c.facility_id, table.c.reference)


async def _chunk(
    session: AsyncSession, chunk: list[tuple[int, list[str]]], *, scope: RowScope, today: date, by: str,
    known: dict[str, _Facility | None], result: ImportResult, touched: set[int],
) -> None:
    await _facilities(session, {values[0].strip() for _, values in chunk if values}, scope, known)
    good: list[_Row] = []
    for line, values in chunk:
        if len(values) != len(COLUMNS):
            result.refuse(line, "", f"expected {len(COLUMNS)} values, found {len(values)}")
            continue
        facility_reference, paid_text, amount_text, reference = (value.strip() for value in values)
        facility = known.get(facility_reference)
        problems = 0
        if facility is None:
            result.refuse(line, "facility_reference", f"no facility {facility_reference!r} among your customers'")
            problems += 1
        try:
            paid_on = date.fromisoformat(paid_text)
        except ValueError:
            result.refuse(line, "paid_on", f"{paid_text!r} is not a date (YYYY-MM-DD)")
            problems += 1
        else:
            if paid_on > today:
                result.refuse(line, "paid_on", "ahead of today: a repayment is recorded once received")
                problems += 1
            elif facility is not None and paid_on < facility.start_on:
                result.refuse(line, "paid_on", f"before the facility started ({facility.start_on.isoformat()})")
                problems += 1
        if facility is not None and facility.settled:
            result.refuse(line, "facility_reference", "the facility is settled")
            problems += 1
        amount = _amount(amount_text)
        if amount is None:
            result.refuse(line, "amount", f"{amount_text!r} is not a positive amount with at most two decimals")
            problems += 1
        if not 1 <= len(reference) <= 64:
            result.refuse(line, "reference", "a reference of 1–64 characters")
            problems += 1
        if not problems:
            assert facility is not None and amount is not None
            good.append(_Row(line, facility, paid_on, amount, reference))
    if not good:
        return
    # Duplicates: already on record, or earlier in the file (the insert of an earlier chunk, or this one).
    now = utcnow()
    inserts = [{"facility_id": row.facility.id, "paid_on": row.paid_on, "amount": row.amount,
                "reference": row.reference, "recorded_at": now, "recorded_by": by} for row in good]
    seen: set[tuple[int, str]] = set()
    unique: list[tuple[_Row, dict[str, Any]]] = []
    for row, value in zip(good, inserts, strict=True):
        key = (row.facility.id, row.reference)
        if key in seen:
            result.refuse(row.line, "reference", f"repayment {row.reference!r} appears twice in the file")
            continue
        seen.add(key)
        unique.append((row, value))
    inserted = {(facility_id, reference) for facility_id, reference in
                await session.execute(_insert(session), [value for _, value in unique])}
    for row, _ in unique:
        if (row.facility.id, row.reference) in inserted:
            result.imported += 1
            touched.add(row.facility.customer_id)
        else:
            result.refuse(row.line, "reference", f"repayment {row.reference!r} is already on record for "
                                                 "this facility")


class ImportRolledBack(Exception):
    """Nothing was imported: a dry run, or rows were wrong and the caller did not ask for the good ones
    alone. Raised out of the transaction so that it rolls back; ``result`` says what was found."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(f"{result.error_count} row(s) wrong" if result.error_count else "dry run")
        self.result = result


async def import_repayments(
    session: AsyncSession, lines: Iterable[str], *, scope: RowScope, today: date, by: str,
    rules: ClassificationRules, dry_run: bool = False, partial: bool = False, chunk: int = CHUNK,
) -> ImportResult:
    """Import the CSV ``lines`` in this transaction; raise ``ImportRolledBack`` (after writing, so that
    the caller's transaction rolls back) for a dry run, or when a row is wrong and not ``partial``."""
    result = ImportResult(dry_run=dry_run)
    known: dict[str, _Facility | None] = {}
    touched: set[int] = set()
    batch: list[tuple[int, list[str]]] = []
    for line, values in _rows(lines):
        if not values or values == [""]:
            continue  # a blank line
        result.rows += 1
        batch.append((line, values))
        if len(batch) >= chunk:
            await _chunk(session, batch, scope=scope, today=today, by=by, known=known, result=result, touched=touched)
            batch = []
    if batch:
        await _chunk(session, batch, scope=scope, today=today, by=by, known=known, result=result, touched=touched)
    if dry_run or (result.error_count and not partial):
        raise ImportRolledBack(result)
    ids = sorted(touched)
    for start in range(0, len(ids), 1000):
        part = ids[start:start + 1000]
        await reclassify(session, part, as_of=today, rules=rules)
        await refresh_credit_status(session, part, as_of=today, by=f"classification:{rules.version}")
    result.borrowers_classified = len(ids)
    return result


def text_lines(text: str) -> Iterator[str]:
    """The lines of a CSV given whole (the GraphQL mutation's), for ``import_repayments``."""
    return iter(io.StringIO(text, newline=""))
