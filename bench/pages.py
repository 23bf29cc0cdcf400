"""The portfolio page as each system asks for it, the cursors to walk it, and the equality check.

creditcare and PostGraphile name things differently; ``normalise_creditcare`` and
``normalise_postgraphile`` turn either answer into the same plain rows (customer id as an int, enum
values in lower case, the score as a Decimal, timestamps as datetimes) so the two can be compared.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.servers import post_json

PAGE_SIZE = 50
CURSOR_BATCH = 100  # creditcare's largest page (CREDITCARE_MAX_PAGE_SIZE)

CREDITCARE_PAGE = """query Portfolio($after: String) {
  customers(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name industry { code } grade { level score }
      serviceRecords(first: 3) { edges { node { kind occurredAt summary } } } openComplaintCount } }
  }
}"""

CREDITCARE_CURSORS = """query Cursors($after: String) {
  customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor } }
}"""

# PostGraphile's unrestricted page. In v5 a condition given as null means IS NULL, so the RM's
# variant (used only to check creditcare's RM page) is a separate text, not a null variable.
_PG_PAGE = """query Portfolio($after: Cursor%(decl)s) {
  allCustomers(first: 50, after: $after, orderBy: PRIMARY_KEY_ASC%(cond)s) {
    pageInfo { hasNextPage endCursor }
    nodes { rowId name industryCode grade gradeScore
      serviceRecordsByCustomerId(first: 3, orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]) {
        nodes { kind occurredAt summary } }
      complaintsByCustomerId(condition: {closedAt: null}) { totalCount } }
  }
}"""
_PG_CURSORS = """query Cursors($after: Cursor%(decl)s) {
  allCustomers(first: 100, after: $after, orderBy: PRIMARY_KEY_ASC%(cond)s) {
    pageInfo { hasNextPage endCursor } edges { cursor }
  }
}"""
_ALL = {"decl": "", "cond": ""}
_ONE_RM = {"decl": ", $rm: Int!", "cond": ", condition: {relationshipManagerId: $rm}"}
POSTGRAPHILE_PAGE = _PG_PAGE % _ALL
POSTGRAPHILE_RM_PAGE = _PG_PAGE % _ONE_RM
POSTGRAPHILE_CURSORS = _PG_CURSORS % _ALL
POSTGRAPHILE_RM_CURSORS = _PG_CURSORS % _ONE_RM


@dataclass(frozen=True, slots=True)
class Client:
    """How to ask one server for the page: its port, its kind, and the bearer token if any."""

    kind: str  # "creditcare" or "postgraphile"
    port: int
    token: str | None = None
    rm_row_id: int | None = None  # PostGraphile only: the manager a check narrows to

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def page_body(self, after: str | None) -> dict[str, Any]:
        if self.kind == "creditcare":
            return {"query": CREDITCARE_PAGE, "variables": {"after": after}}
        if self.rm_row_id is None:
            return {"query": POSTGRAPHILE_PAGE, "variables": {"after": after}}
        return {"query": POSTGRAPHILE_RM_PAGE, "variables": {"after": after, "rm": self.rm_row_id}}

    def ask(self, body: dict[str, Any]) -> dict[str, Any]:
        status, payload = post_json(self.port, "/graphql", body, self.headers)
        if status != 200 or "errors" in payload:
            raise PageError(f"{self.kind} on port {self.port} answered {status}: {json.dumps(payload)[:2000]}")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise PageError(f"{self.kind} on port {self.port} answered no data: {json.dumps(payload)[:2000]}")
        return data

    def page(self, after: str | None) -> dict[str, Any]:
        return self.ask(self.page_body(after))


class PageError(RuntimeError):
    """A server answered the page with an error or a non-200 status."""


class DataMismatch(AssertionError):
    """Two systems disagree about the same page."""


def page_cursors(client: Client, pages: int) -> list[str | None]:
    """The ``after`` of each of the first ``pages`` pages (None for the first), walking in batches of 100.

    Only cursors are asked for, so walking is cheap; the cursor after every 50th row is where a
    50-row page starts, exactly as following endCursor page by page would give.
    """
    if client.kind == "creditcare":
        query = CREDITCARE_CURSORS
    else:
        query = POSTGRAPHILE_CURSORS if client.rm_row_id is None else POSTGRAPHILE_RM_CURSORS
    cursors: list[str | None] = [None]
    seen, after, exhausted = 0, None, False
    while len(cursors) < pages:
        variables: dict[str, Any] = {"after": after}
        if client.kind == "postgraphile" and client.rm_row_id is not None:
            variables["rm"] = client.rm_row_id
        data = client.ask({"query": query, "variables": variables})
        connection = data["customers"] if client.kind == "creditcare" else data["allCustomers"]
        for edge in connection["edges"]:
            seen += 1
            if seen % PAGE_SIZE == 0:
                cursors.append(edge["cursor"])
        if not connection["pageInfo"]["hasNextPage"]:
            exhausted = True
            break
        after = connection["pageInfo"]["endCursor"]
    if exhausted and seen % PAGE_SIZE == 0 and len(cursors) > 1:
        cursors.pop()  # it points past the last row: its page would be empty
    return cursors[:pages]


def _customer_pk(global_id: str) -> int:
    kind, _, pk = base64.b64decode(global_id).decode().partition(":")
    if kind != "Customer":
        raise DataMismatch(f"not a customer id: {global_id!r}")
    return int(pk)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _score(value: str | float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def creditcare_row(n: dict[str, Any]) -> dict[str, Any]:
    """One customer node of creditcare's page as a plain row."""
    grade = n["grade"]
    return {
        "id": _customer_pk(n["id"]),
        "name": n["name"],
        "industry": n["industry"]["code"] if n["industry"] else None,
        "grade": grade["level"].lower() if grade else None,
        "score": _score(grade["score"]) if grade else None,
        "service_records": [(r["kind"].lower(), _when(r["occurredAt"]), r["summary"]) for r in
                            (edge["node"] for edge in n["serviceRecords"]["edges"])],
        "open_complaints": n["openComplaintCount"],
    }


def postgraphile_row(n: dict[str, Any]) -> dict[str, Any]:
    """One customer node of PostGraphile's page as a plain row."""
    return {
        "id": n["rowId"],
        "name": n["name"],
        "industry": n["industryCode"],
        "grade": n["grade"].lower() if n["grade"] else None,
        "score": _score(n["gradeScore"]),
        "service_records": [(r["kind"].lower(), _when(r["occurredAt"]), r["summary"])
                            for r in n["serviceRecordsByCustomerId"]["nodes"]],
        "open_complaints": n["complaintsByCustomerId"]["totalCount"],
    }


def normalise_creditcare(data: dict[str, Any]) -> dict[str, Any]:
    """creditcare's page as plain rows."""
    connection = data["customers"]
    return {"has_next_page": connection["pageInfo"]["hasNextPage"],
            "rows": [creditcare_row(edge["node"]) for edge in connection["edges"]]}


def normalise_postgraphile(data: dict[str, Any]) -> dict[str, Any]:
    """PostGraphile's page as plain rows."""
    connection = data["allCustomers"]
    return {"has_next_page": connection["pageInfo"]["hasNextPage"],
            "rows": [postgraphile_row(n) for n in connection["nodes"]]}


def normalised(client: Client, after: str | None) -> dict[str, Any]:
    data = client.page(after)
    return normalise_creditcare(data) if client.kind == "creditcare" else normalise_postgraphile(data)


def sample_positions(pages: int) -> list[int]:
    """Page positions compared: first, second, middle, second to last, last."""
    return sorted({p for p in (0, 1, pages // 2, pages - 2, pages - 1) if 0 <= p < pages})


def reference_pages(client: Client, cursors: list[str | None]) -> dict[int, dict[str, Any]]:
    """The reference system's normalised pages at the compared positions."""
    pages = {position: normalised(client, cursors[position]) for position in sample_positions(len(cursors))}
    for position, page in pages.items():
        if not page["rows"]:
            raise DataMismatch(f"reference page {position} is empty")
    return pages


def check_pages(client: Client, cursors: list[str | None], reference: dict[int, dict[str, Any]],
                label: str) -> dict[str, Any]:
    """Compare ``client``'s pages with the reference at the same positions; raise DataMismatch on a difference."""
    expected_pages = max(reference) + 1
    if len(cursors) != expected_pages:
        raise DataMismatch(f"{label}: {len(cursors)} pages, the reference has {expected_pages}")
    rows = 0
    for position, expected in reference.items():
        page = normalised(client, cursors[position])
        if page != expected:
            raise DataMismatch(f"{label}: page {position} differs:\n{_first_difference(page, expected)}")
        rows += len(page["rows"])
    return {"label": label, "positions": sorted(reference), "rows_compared": rows, "equal": True}


def _first_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    if a["has_next_page"] != b["has_next_page"]:
        return f"hasNextPage {a['has_next_page']} vs {b['has_next_page']}"
    if len(a["rows"]) != len(b["rows"]):
        return f"{len(a['rows'])} rows vs {len(b['rows'])}"
    for x, y in zip(a["rows"], b["rows"], strict=True):
        if x != y:
            keys = [k for k in x if x[k] != y.get(k)]
            return "\n".join(f"  customer {x['id']} {k}: {x[k]!r} vs {y.get(k)!r}" for k in keys)
    return "(no difference found)"


def write_bodies(client: Client, cursors: list[str | None], path: Path) -> Path:
    """One JSON request body per line, one line per cursor: what the wrk script rotates through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for after in cursors:
            out.write(json.dumps(client.page_body(after), separators=(",", ":")) + "\n")
    return path
