"""Decision tables: rows of (roles, agreement, object, action) → expected outcome, checked against a policy.

Compliance writes them in ``policies/decisions.csv``; ``creditcare policy test`` and the test
suite run them. Columns:

- ``roles``: the principal's roles, separated by spaces;
- ``agreement``: ``yes`` if they hold a valid confidentiality agreement, else ``no``;
- ``object``: a schema coordinate (``Customer.financialStatements``, ``Mutation.updateCustomer``)
  or ``rows:Customer``;
- ``action``: ``read`` or ``write`` for a coordinate; ``own``, ``branch``, ``all`` or
  ``consented`` for ``rows:Customer``;
- ``expected``: for ``read``: ``allow``, ``masked``, ``consent``, ``team`` or ``deny``; otherwise
  ``allow`` or ``deny``;
- ``why`` (optional): the rule in words.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from api.authz.policy import CUSTOMER_ROWS, FieldAccess, Policy, Subject

_READ_OUTCOMES = {access.value for access in FieldAccess}


@dataclass(frozen=True, slots=True)
class DecisionRow:
    line: int
    roles: frozenset[str]
    agreement: bool
    object: str
    action: str
    expected: str
    why: str

    def describe(self) -> str:
        agreement = "with" if self.agreement else "without"
        roles = "+".join(sorted(self.roles)) or "(no role)"
        return f"{roles} {agreement} agreement, {self.action} {self.object}"


@dataclass(frozen=True, slots=True)
class Failure:
    row: DecisionRow
    actual: str

    def __str__(self) -> str:
        why = f" ({self.row.why})" if self.row.why else ""
        return f"line {self.row.line}: {self.row.describe()}: expected {self.row.expected}, got {self.actual}{why}"


def read_decision_table(path: Path) -> list[DecisionRow]:
    """The rows of a decision table; a malformed row is a ValueError naming its line."""
    rows: list[DecisionRow] = []
    header: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line], skipinitialspace=True))]
        if header is None:
            header = cells
            continue
        rows.append(_row(number, dict(zip(header, cells, strict=False))))
    return rows


def _row(number: int, record: dict[str, str | None]) -> DecisionRow:
    def cell(name: str) -> str:
        return (record.get(name) or "").strip()

    agreement = cell("agreement").lower()
    if agreement not in ("yes", "no"):
        raise ValueError(f"line {number}: agreement must be yes or no, not {agreement!r}")
    row = DecisionRow(
        line=number, roles=frozenset(cell("roles").split()), agreement=agreement == "yes",
        object=cell("object"), action=cell("action"), expected=cell("expected").lower(), why=cell("why"),
    )
    allowed = _READ_OUTCOMES if row.action == "read" else {"allow", "deny"}
    if not row.object or not row.action or row.expected not in allowed:
        raise ValueError(f"line {number}: expected must be one of {sorted(allowed)} for action {row.action!r}")
    return row


def decide(policy: Policy, row: DecisionRow) -> str:
    """What the policy says for one row, in the table's words."""
    subject = Subject(roles=row.roles, agreement=row.agreement)
    if row.action == "read":
        return policy.decisions(subject).field(row.object).value
    if row.object == CUSTOMER_ROWS:
        return "allow" if row.action in policy.decisions(subject).row_kinds else "deny"
    return "allow" if policy.allows(subject, row.object, row.action) else "deny"


def check(policy: Policy, rows: list[DecisionRow]) -> list[Failure]:
    """Every row whose outcome differs from the policy's."""
    failures = []
    for row in rows:
        actual = decide(policy, row)
        if actual != row.expected:
            failures.append(Failure(row, actual))
    return failures
