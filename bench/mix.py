"""The workload mix of issue 9: thirteen documents a front end sends, on creditcare and on PostGraphile.

Each operation is a creditcare document, the PostGraphile document asking for the same data
(PostGraphile's schema is generated from the tables: ``allCustomers``, ``customerByRowId``,
``<table>By<Column>``; its only filter in this configuration is ``condition:``, equality on a
column), two normalisers that turn either answer into the same plain form, and a rotation: one
request body per page cursor, customer id or branch, so consecutive requests of a timed run ask
for different data (``rotate.lua`` posts the bodies in turn). Before anything is timed, every
operation is asked of both systems at spread positions of its rotation and the normalised
answers must be equal (``check``); a difference stops the run and names the path that differs.

What PostGraphile cannot compute from the tables (a grade's treatment, an industry's name: both
are reference files of creditcare, not tables) is filled in on PostGraphile's side from the same
reference files, so creditcare's values are still checked; see bench/README.md.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from api.reference.industries import get_industry
from api.reference.treatments import treatments
from bench import pages
from bench.pages import PAGE_SIZE, Client, DataMismatch
from bench.servers import get_text

CREDITCARE, POSTGRAPHILE = "creditcare", "postgraphile"
SIDES = (CREDITCARE, POSTGRAPHILE)
WALK_BATCH = 100  # creditcare's largest page
Body = dict[str, Any]
Normaliser = Callable[[dict[str, Any]], dict[str, Any]]


# ---------------------------------------------------------------------------- value normalisers


def global_pk(global_id: str, kind: str) -> int:
    """creditcare's relay id ``base64("<Kind>:<n>")`` → n."""
    found, _, pk = base64.b64decode(global_id).decode().partition(":")
    if found != kind:
        raise DataMismatch(f"not a {kind} id: {global_id!r}")
    return int(pk)


def _lower(value: str | None) -> str | None:
    """GraphQL enum names (creditcare: ``WATCH``) and stored values (PostGraphile: ``watch``) alike."""
    return None if value is None else value.lower()


def _decimal(value: str | float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# ------------------------------------------------------------------------------- the documents

# One customer list in one filter and order, as each system asks for it. PostGraphile's
# ``condition:`` takes a column's stored value (credit status ``watch``, not the enum ``WATCH``).
@dataclass(frozen=True, slots=True)
class Listing:
    key: str
    cc_decl: str = ""  # variable declarations besides $after
    cc_args: str = ""  # arguments besides first/after
    pg_decl: str = ""
    pg_args: str = ", orderBy: PRIMARY_KEY_ASC"
    cc_root: str = "customers"
    pg_root: str = "allCustomers"

    def root(self, side: str) -> str:
        return self.cc_root if side == CREDITCARE else self.pg_root

    def document(self, side: str, name: str, selection: str, size: int = PAGE_SIZE, cursors: bool = False) -> str:
        """A page of ``size`` after ``$after`` with ``selection`` on each customer (or only the edge cursors)."""
        if side == CREDITCARE:
            body = "edges { cursor }" if cursors else f"edges {{ node {{ {selection} }} }}"
            return (f"query {name}($after: String{self.cc_decl}) {{\n"
                    f"  {self.cc_root}(first: {size}, after: $after{self.cc_args}) {{\n"
                    f"    pageInfo {{ hasNextPage endCursor }}\n    {body}\n  }}\n}}")
        body = "edges { cursor }" if cursors else f"nodes {{ {selection} }}"
        return (f"query {name}($after: Cursor{self.pg_decl}) {{\n"
                f"  {self.pg_root}(first: {size}, after: $after{self.pg_args}) {{\n"
                f"    pageInfo {{ hasNextPage endCursor }}\n    {body}\n  }}\n}}")


BY_ID = Listing("id")
BY_BRANCH = Listing("branch", cc_decl=", $branch: String!", cc_args=", where: {branchCode: {_eq: $branch}}",
                    pg_decl=", $branch: String!",
                    pg_args=", orderBy: PRIMARY_KEY_ASC, condition: {branchCode: $branch}")
WATCH = Listing("watch", cc_args=", where: {creditStatus: {_eq: WATCH}}",
                pg_args=', orderBy: PRIMARY_KEY_ASC, condition: {creditStatus: "watch"}')
BY_NAME = Listing("name", cc_args=", orderBy: [{name: ASC}]", pg_args=", orderBy: [NAME_ASC, ROW_ID_ASC]")
# Service contacts across customers, newest first (creditcare's default order).
RECORDS = Listing("records", pg_args=", orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]", cc_root="serviceRecords",
                  pg_root="allServiceRecords")
RECORDS_CC = "id stage kind occurredAt recordedBy summary customer { id name }"
RECORDS_PG = "rowId stage kind occurredAt recordedBy summary customerByCustomerId { rowId name }"
# Complaints across customers, newest received first (creditcare's default order).
COMPLAINTS = Listing("complaints", pg_args=", orderBy: [RECEIVED_AT_DESC, ROW_ID_DESC]", cc_root="complaints",
                     pg_root="allComplaints")
COMPLAINTS_CC = "id status channel receivedAt dueOn handler customer { id name }"
COMPLAINTS_PG = "rowId status channel receivedAt dueOn handler customerByCustomerId { rowId name }"

# The portfolio page's customer, as bench/pages.py asks for it.
PAGE_CC = "id name industry { code } grade { level score } " \
          "serviceRecords(first: 3) { edges { node { kind occurredAt summary } } } " \
          "openComplaintCount"
PAGE_PG = "rowId name industryCode grade gradeScore " \
          "serviceRecordsByCustomerId(first: 3, orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]) " \
          "{ nodes { kind occurredAt summary } } complaintsByCustomerId(condition: {closedAt: null}) { totalCount }"

PREVIOUS_CC = """query PreviousPage($before: String) {
  customers(last: 50, before: $before) {
    pageInfo { hasPreviousPage startCursor }
    edges { node { SELECTION } }
  }
}""".replace("SELECTION", PAGE_CC)
PREVIOUS_PG = """query PreviousPage($before: Cursor) {
  allCustomers(last: 50, before: $before, orderBy: PRIMARY_KEY_ASC) {
    pageInfo { hasPreviousPage startCursor }
    nodes { SELECTION }
  }
}""".replace("SELECTION", PAGE_PG)

DETAIL_CC = """query Detail($id: ID!) {
  customer(id: $id) {
    id name creditCode creditStatus latestStatementPeriodEnd lastMajorChangeAt
    financialStatements(last: 4) { periodEnd periodKind currency totalAssets totalLiabilities equity revenue netProfit
      employees auditOpinion }
    serviceRecords(first: 5) { edges { node { stage kind occurredAt recordedBy summary followUp } } }
    gradeHistory(first: 3) { edges { node { id grade score strategyId assessedAt trigger } } }
  }
}"""
DETAIL_PG = """query Detail($id: Int!) {
  customerByRowId(rowId: $id) {
    rowId name creditCode creditStatus latestStatementPeriodEnd lastMajorChangeAt
    financialStatementsByCustomerId(first: 4, orderBy: [PERIOD_END_DESC, ROW_ID_DESC]) { nodes { periodEnd periodKind
      currency totalAssets totalLiabilities equity revenue netProfit employees auditOpinion } }
    serviceRecordsByCustomerId(first: 5, orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]) { nodes { stage kind occurredAt
      recordedBy summary followUp } }
    gradeAssessmentsByCustomerId(first: 3, orderBy: ROW_ID_DESC) { nodes { rowId grade score strategyId assessedAt
      trigger } }
  }
}"""

NODE_CC = """query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Customer { id name creditCode industry { code } creditStatus latestStatementPeriodEnd
      grade { level score gradedAt } openComplaintCount }
  }
}"""
NODE_PG = """query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Customer { rowId name creditCode industryCode creditStatus latestStatementPeriodEnd grade gradeScore gradedAt
      complaintsByCustomerId(condition: {closedAt: null}) { totalCount } }
  }
}"""

GRADES_CC = "id name gradeHistory(first: 3) { edges { node { id grade score strategyId strategyVersion " \
            "pluginName assessedAt assessedBy trigger } } }"
GRADES_PG = "rowId name gradeAssessmentsByCustomerId(first: 3, orderBy: ROW_ID_DESC) { nodes { rowId grade score " \
            "strategyId strategyVersion pluginName assessedAt assessedBy trigger } }"

HISTORY_CC = "id name history(first: 5) { edges { node { changedAt changedBy infoGroup field oldValue newValue " \
             "major } } }"
HISTORY_PG = "rowId name customerChangesByCustomerId(first: 5, orderBy: ROW_ID_DESC) { nodes { changedAt changedBy " \
             "infoGroup field oldValue newValue major } }"

MANAGER_CC = "id name relationshipManager { username name branch { code name } } grade { level score gradedAt " \
             "treatment { limitPolicy rateAdjustmentBps mitigationRequired revisitIntervalDays actions version } }"
MANAGER_PG = "rowId name staffMemberByRelationshipManagerId { username name branchByBranchCode { code name } } " \
             "grade gradeScore gradedAt"

# README.md's "A first query", verbatim but for the branch (the benchmark's are BR01…BR20, not HZ01).
README_CC = ("{ customers(first: 3, where: {branchCode: {_eq: \"%s\"}}) { totalCount edges { node { id name industry "
             "{ code name } size creditStatus grade { level score treatment { limitPolicy } } relationshipManager "
             "{ username } } } pageInfo { endCursor hasNextPage } } }")
README_PG = ("{ allCustomers(first: 3, condition: {branchCode: \"%s\"}, orderBy: PRIMARY_KEY_ASC) { totalCount nodes "
             "{ rowId name industryCode size creditStatus grade gradeScore staffMemberByRelationshipManagerId "
             "{ username } } pageInfo { endCursor hasNextPage } } }")


# ------------------------------------------------------------------------- what gets compared


def _page(data: dict[str, Any], side: str, row: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    if side == CREDITCARE:
        connection = data["customers"]
        nodes = [edge["node"] for edge in connection["edges"]]
    else:
        connection = data["allCustomers"]
        nodes = connection["nodes"]
    info = connection["pageInfo"]
    flags = {k: v for k, v in info.items() if k in ("hasNextPage", "hasPreviousPage")}
    return {"page": flags, "rows": [row(n) for n in nodes]}


def _contacts(data: dict[str, Any], side: str) -> dict[str, Any]:
    """A page of service contacts, either system's, as the same plain rows."""
    connection = data[RECORDS.root(side)]
    if side == CREDITCARE:
        nodes = [edge["node"] for edge in connection["edges"]]
        rows = [{"id": global_pk(n["id"], "ServiceRecord"), "customer": global_pk(n["customer"]["id"], "Customer"),
                 "name": n["customer"]["name"], **_service_record({**n, "followUp": None})} for n in nodes]
    else:
        rows = [{"id": n["rowId"], "customer": n["customerByCustomerId"]["rowId"],
                 "name": n["customerByCustomerId"]["name"], **_service_record({**n, "followUp": None})}
                for n in connection["nodes"]]
    return {"page": {"hasNextPage": connection["pageInfo"]["hasNextPage"]}, "rows": rows}


def _complaints(data: dict[str, Any], side: str) -> dict[str, Any]:
    """A page of complaints, either system's, as the same plain rows."""
    connection = data[COMPLAINTS.root(side)]
    if side == CREDITCARE:
        nodes = [edge["node"] for edge in connection["edges"]]
        rows = [{"id": global_pk(n["id"], "Complaint"), "customer": global_pk(n["customer"]["id"], "Customer"),
                 "name": n["customer"]["name"], **_complaint(n)} for n in nodes]
    else:
        rows = [{"id": n["rowId"], "customer": n["customerByCustomerId"]["rowId"],
                 "name": n["customerByCustomerId"]["name"], **_complaint(n)} for n in connection["nodes"]]
    return {"page": {"hasNextPage": connection["pageInfo"]["hasNextPage"]}, "rows": rows}


def _complaint(c: dict[str, Any]) -> dict[str, Any]:
    return {"status": _lower(c["status"]), "channel": _lower(c["channel"]), "received_at": _when(c["receivedAt"]),
            "due_on": c["dueOn"], "handler": c["handler"]}


def _statement_cc(s: dict[str, Any]) -> dict[str, Any]:
    return {"period_end": s["periodEnd"], "period_kind": _lower(s["periodKind"]), "currency": s["currency"],
            "total_assets": _decimal(s["totalAssets"]), "total_liabilities": _decimal(s["totalLiabilities"]),
            "equity": _decimal(s["equity"]), "revenue": _decimal(s["revenue"]), "net_profit": _decimal(s["netProfit"]),
            "employees": s["employees"], "audit_opinion": _lower(s["auditOpinion"])}


def _service_record(r: dict[str, Any]) -> dict[str, Any]:
    return {"stage": _lower(r["stage"]), "kind": _lower(r["kind"]), "occurred_at": _when(r["occurredAt"]),
            "recorded_by": r["recordedBy"], "summary": r["summary"], "follow_up": r["followUp"]}


def _assessment(a: dict[str, Any], pk: int) -> dict[str, Any]:
    out = {"id": pk, "grade": _lower(a["grade"]), "score": _decimal(a["score"]), "assessed_at": _when(a["assessedAt"])}
    out.update({k: a[k] for k in ("strategyId", "strategyVersion", "pluginName", "assessedBy", "trigger") if k in a})
    return out


def _change(c: dict[str, Any]) -> dict[str, Any]:
    return {"changed_at": _when(c["changedAt"]), "changed_by": c["changedBy"], "info_group": _lower(c["infoGroup"]),
            "field": c["field"], "old_value": c["oldValue"], "new_value": c["newValue"], "major": c["major"]}


def _treatment_cc(t: dict[str, Any]) -> dict[str, Any]:
    return {"limit_policy": t["limitPolicy"], **{k: t[c] for k, c in (
        ("rate_adjustment_bps", "rateAdjustmentBps"), ("mitigation_required", "mitigationRequired"),
        ("revisit_interval_days", "revisitIntervalDays"), ("actions", "actions"), ("version", "version")) if c in t}}


def _treatment_reference(grade: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """What PostGraphile cannot serve: the treatment of ``grade`` from creditcare's own configuration."""
    t = treatments()[grade]
    every = {"limit_policy": t.limit_policy, "rate_adjustment_bps": t.rate_adjustment_bps,
             "mitigation_required": t.mitigation_required, "revisit_interval_days": t.revisit_interval_days,
             "actions": list(t.actions), "version": t.version}
    return {k: every[k] for k in fields}


def _industry_name(code: str) -> str:
    entry = get_industry(code)
    return code if entry is None else entry.name


def _single(node: dict[str, Any] | None, row: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    return {"rows": [] if node is None else [row(node)]}


# Each operation's two normalisers.
def _portfolio_cc(d: dict[str, Any]) -> dict[str, Any]:
    return _page(d, CREDITCARE, pages.creditcare_row)


def _portfolio_pg(d: dict[str, Any]) -> dict[str, Any]:
    return _page(d, POSTGRAPHILE, pages.postgraphile_row)


def _detail_cc(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        return {"id": global_pk(n["id"], "Customer"), "name": n["name"], "credit_code": n["creditCode"],
                "credit_status": _lower(n["creditStatus"]), "latest_period_end": n["latestStatementPeriodEnd"],
                "last_major_change_at": _when(n["lastMajorChangeAt"]),
                "statements": [_statement_cc(s) for s in n["financialStatements"]],
                "service_records": [_service_record(r) for r in _nodes(n["serviceRecords"])],
                "grades": [_assessment(a, global_pk(a["id"], "GradeAssessment")) for a in _nodes(n["gradeHistory"])]}
    return _single(d["customer"], row)


def _detail_pg(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        return {"id": n["rowId"], "name": n["name"], "credit_code": n["creditCode"],
                "credit_status": _lower(n["creditStatus"]), "latest_period_end": n["latestStatementPeriodEnd"],
                "last_major_change_at": _when(n["lastMajorChangeAt"]),
                "statements": [_statement_cc(s) for s in n["financialStatementsByCustomerId"]["nodes"]],
                "service_records": [_service_record(r) for r in n["serviceRecordsByCustomerId"]["nodes"]],
                "grades": [_assessment(a, a["rowId"]) for a in n["gradeAssessmentsByCustomerId"]["nodes"]]}
    return _single(d["customerByRowId"], row)


def _node_cc(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        grade = n["grade"] or {}
        return {"type": n["__typename"], "id": global_pk(n["id"], "Customer"), "name": n["name"],
                "credit_code": n["creditCode"], "industry": n["industry"]["code"] if n["industry"] else None,
                "credit_status": _lower(n["creditStatus"]), "latest_period_end": n["latestStatementPeriodEnd"],
                "grade": _lower(grade.get("level")), "score": _decimal(grade.get("score")),
                "graded_at": _when(grade.get("gradedAt")), "open_complaints": n["openComplaintCount"]}
    return _single(d["node"], row)


def _node_pg(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        return {"type": n["__typename"], "id": n["rowId"], "name": n["name"], "credit_code": n["creditCode"],
                "industry": n["industryCode"], "credit_status": _lower(n["creditStatus"]),
                "latest_period_end": n["latestStatementPeriodEnd"], "grade": _lower(n["grade"]),
                "score": _decimal(n["gradeScore"]), "graded_at": _when(n["gradedAt"]),
                "open_complaints": n["complaintsByCustomerId"]["totalCount"]}
    return _single(d["node"], row)


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of a nested connection's page, in order."""
    return [edge["node"] for edge in connection["edges"]]


def _grades_cc(d: dict[str, Any]) -> dict[str, Any]:
    return _page(d, CREDITCARE, lambda n: {
        "id": global_pk(n["id"], "Customer"), "name": n["name"],
        "grades": [_assessment(a, global_pk(a["id"], "GradeAssessment")) for a in _nodes(n["gradeHistory"])]})


def _grades_pg(d: dict[str, Any]) -> dict[str, Any]:
    return _page(d, POSTGRAPHILE, lambda n: {
        "id": n["rowId"], "name": n["name"],
        "grades": [_assessment(a, a["rowId"]) for a in n["gradeAssessmentsByCustomerId"]["nodes"]]})


def _history_cc(d: dict[str, Any]) -> dict[str, Any]:
    return _page(d, CREDITCARE, lambda n: {"id": global_pk(n["id"], "Customer"), "name": n["name"],
                                           "history": [_change(c) for c in _nodes(n["history"])]})


def _history_pg(d: dict[str, Any]) -> dict[str, Any]:
    return _page(d, POSTGRAPHILE, lambda n: {
        "id": n["rowId"], "name": n["name"],
        "history": [_change(c) for c in n["customerChangesByCustomerId"]["nodes"]]})


_ALL_TREATMENT = ("limit_policy", "rate_adjustment_bps", "mitigation_required", "revisit_interval_days", "actions",
                  "version")


def _manager_cc(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        rm, grade = n["relationshipManager"], n["grade"]
        return {"id": global_pk(n["id"], "Customer"), "name": n["name"],
                "manager": None if rm is None else {"username": rm["username"], "name": rm["name"],
                                                    "branch": (rm["branch"]["code"], rm["branch"]["name"])},
                "grade": None if grade is None else {
                    "level": _lower(grade["level"]), "score": _decimal(grade["score"]),
                    "graded_at": _when(grade["gradedAt"]), "treatment": _treatment_cc(grade["treatment"])}}
    return _page(d, CREDITCARE, row)


def _manager_pg(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        rm = n["staffMemberByRelationshipManagerId"]
        return {"id": n["rowId"], "name": n["name"],
                "manager": None if rm is None else {
                    "username": rm["username"], "name": rm["name"],
                    "branch": (rm["branchByBranchCode"]["code"], rm["branchByBranchCode"]["name"])},
                "grade": None if n["grade"] is None else {
                    "level": _lower(n["grade"]), "score": _decimal(n["gradeScore"]), "graded_at": _when(n["gradedAt"]),
                    "treatment": _treatment_reference(n["grade"], _ALL_TREATMENT)}}
    return _page(d, POSTGRAPHILE, row)


def _readme_cc(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        grade, industry = n["grade"], n["industry"]
        return {"id": global_pk(n["id"], "Customer"), "name": n["name"],
                "industry": None if industry is None else (industry["code"], industry["name"]),
                "size": _lower(n["size"]), "credit_status": _lower(n["creditStatus"]),
                "grade": None if grade is None else (_lower(grade["level"]), _decimal(grade["score"]),
                                                     grade["treatment"]["limitPolicy"]),
                "manager": (n["relationshipManager"] or {}).get("username")}
    page = _page(d, CREDITCARE, row)
    page["total_count"] = d["customers"]["totalCount"]
    return page


def _readme_pg(d: dict[str, Any]) -> dict[str, Any]:
    def row(n: dict[str, Any]) -> dict[str, Any]:
        code = n["industryCode"]
        return {"id": n["rowId"], "name": n["name"], "industry": (code, _industry_name(code)),
                "size": _lower(n["size"]), "credit_status": _lower(n["creditStatus"]),
                "grade": None if n["grade"] is None else (
                    _lower(n["grade"]), _decimal(n["gradeScore"]),
                    _treatment_reference(n["grade"], ("limit_policy",))["limit_policy"]),
                "manager": (n["staffMemberByRelationshipManagerId"] or {}).get("username")}
    page = _page(d, POSTGRAPHILE, row)
    page["total_count"] = d["allCustomers"]["totalCount"]
    return page


# -------------------------------------------------------------------------------- rotations


class Rotations:
    """The request bodies each operation rotates through, for each system, built from the data.

    Cursors are walked per system (each has its own cursor format) asking only for edge cursors,
    ``first: 100`` at a time; the cursor after every 50th row is where a 50-row page starts.
    """

    def __init__(self, clients: dict[str, Client], pages: int, customers: int, branches: list[str]) -> None:
        self.clients = clients
        self.pages = max(2, pages)
        self.customers = customers
        self.branches = branches
        self._cursors: dict[tuple[str, str, str], tuple[list[str | None], bool]] = {}  # walked, whole list
        self._node_ids: dict[str, list[str]] = {}

    def cursors(self, side: str, listing: Listing, pages: int, variables: dict[str, Any] | None = None
                ) -> list[str | None]:
        """The ``after`` of each of the first ``pages`` pages (None for the first); walked once per list."""
        key = (side, listing.key, json.dumps(variables, sort_keys=True))
        walked, complete = self._cursors.get(key, ([], False))
        if len(walked) < pages and not complete:
            walked = self._walk(side, listing, pages, variables or {})
            self._cursors[key] = walked, len(walked) < pages
        return walked[:pages]

    def _walk(self, side: str, listing: Listing, pages: int, variables: dict[str, Any]) -> list[str | None]:
        client = self.clients[side]
        document = listing.document(side, "Cursors", "", size=WALK_BATCH, cursors=True)
        found: list[str | None] = [None]
        seen, after, exhausted = 0, None, False
        while len(found) < pages:
            data = client.ask({"query": document, "variables": {"after": after, **variables}})
            connection = data[listing.root(side)]
            for edge in connection["edges"]:
                seen += 1
                if seen % PAGE_SIZE == 0:
                    found.append(edge["cursor"])
            if not connection["pageInfo"]["hasNextPage"]:
                exhausted = True
                break
            after = connection["pageInfo"]["endCursor"]
        if exhausted and seen % PAGE_SIZE == 0 and len(found) > 1:
            found.pop()  # it points past the last row: its page would be empty
        return found[:pages]

    def ids(self) -> list[int]:
        """Customer ids spread over the whole range, one per request body."""
        n = min(self.pages, self.customers)
        return sorted({1 + round(i * (self.customers - 1) / max(1, n - 1)) for i in range(n)})

    def node_ids(self, side: str) -> list[str]:
        if side == CREDITCARE:
            return [base64.b64encode(f"Customer:{pk}".encode()).decode() for pk in self.ids()]
        if side not in self._node_ids:
            # PostGraphile's own global ids, as it gives them (not guessed from its encoding).
            found: list[str] = []
            ids = self.ids()
            for start in range(0, len(ids), 50):
                chunk = ids[start:start + 50]
                query = "{ " + " ".join(f"c{pk}: customerByRowId(rowId: {pk}) {{ id }}" for pk in chunk) + " }"
                data = self.clients[side].ask({"query": query})
                found += [data[f"c{pk}"]["id"] for pk in chunk]
            self._node_ids[side] = found
        return self._node_ids[side]


def _paged(listing: Listing, name: str, cc: str, pg: str) -> Callable[[Rotations, str], list[Body]]:
    def bodies(r: Rotations, side: str) -> list[Body]:
        document = listing.document(side, name, cc if side == CREDITCARE else pg)
        # One more than needed: the id order's walk then also serves previous_page.
        return [{"query": document, "variables": {"after": c}} for c in r.cursors(side, listing, r.pages + 1)[:r.pages]]
    return bodies


def _portfolio_bodies(r: Rotations, side: str) -> list[Body]:
    client = r.clients[side]
    return [client.page_body(c) for c in r.cursors(side, BY_ID, r.pages + 1)[:r.pages]]


def _branch_bodies(r: Rotations, side: str) -> list[Body]:
    document = BY_BRANCH.document(side, "BranchPortfolio", PAGE_CC if side == CREDITCARE else PAGE_PG)
    per_branch = max(1, r.pages // len(r.branches))
    return [{"query": document, "variables": {"after": c, "branch": b}}
            for b in r.branches for c in r.cursors(side, BY_BRANCH, per_branch, {"branch": b})]


def _previous_bodies(r: Rotations, side: str) -> list[Body]:
    # The 50 rows before each page's last row (the cursor after every 50th row, as walked).
    cursors = r.cursors(side, BY_ID, r.pages + 1)[1:]
    if not cursors:
        raise DataMismatch("previous page: the portfolio has a single page; nothing comes before it")
    document = PREVIOUS_CC if side == CREDITCARE else PREVIOUS_PG
    return [{"query": document, "variables": {"before": c}} for c in cursors]


def _detail_bodies(r: Rotations, side: str) -> list[Body]:
    if side == CREDITCARE:
        return [{"query": DETAIL_CC, "variables": {"id": i}} for i in r.node_ids(CREDITCARE)]
    return [{"query": DETAIL_PG, "variables": {"id": pk}} for pk in r.ids()]


def _node_bodies(r: Rotations, side: str) -> list[Body]:
    return [{"query": NODE_CC if side == CREDITCARE else NODE_PG, "variables": {"id": i}} for i in r.node_ids(side)]


def _readme_bodies(r: Rotations, side: str) -> list[Body]:
    # The README's query has no variables: one document per branch.
    template = README_CC if side == CREDITCARE else README_PG
    return [{"query": template % b} for b in r.branches]


# ------------------------------------------------------------------------------ the operations


@dataclass(frozen=True, slots=True)
class Operation:
    key: str
    title: str
    normalise_creditcare: Normaliser
    normalise_postgraphile: Normaliser
    bodies: Callable[[Rotations, str], list[Body]]
    postgraphile: str  # how PostGraphile is asked, and what it cannot express

    def normalise(self, side: str, data: dict[str, Any]) -> dict[str, Any]:
        return (self.normalise_creditcare if side == CREDITCARE else self.normalise_postgraphile)(data)


OPERATIONS: dict[str, Operation] = {op.key: op for op in (
    Operation("portfolio", "portfolio page (first 50 by id, after)", _portfolio_cc, _portfolio_pg,
              _portfolio_bodies, "allCustomers(orderBy: PRIMARY_KEY_ASC); open complaints as "
              "complaintsByCustomerId(condition: {closedAt: null}).totalCount"),
    Operation("branch", "portfolio page filtered by branch", _portfolio_cc, _portfolio_pg, _branch_bodies,
              "condition: {branchCode: $branch} (equality is all condition: has)"),
    Operation("status", "filter creditStatus _eq WATCH", _portfolio_cc, _portfolio_pg,
              _paged(WATCH, "WatchList", PAGE_CC, PAGE_PG),
              'condition: {creditStatus: "watch"}: the stored value, PostGraphile has no GraphQL enum for a '
              "checked VARCHAR; _in/_neq/_or have no equivalent without the connection-filter plugin"),
    Operation("name_sort", "sort by name, paging with after", _portfolio_cc, _portfolio_pg,
              _paged(BY_NAME, "ByName", PAGE_CC, PAGE_PG),
              "orderBy: [NAME_ASC, ROW_ID_ASC] (creditcare ends every order with the id)"),
    Operation("previous_page", "previous page (last 50, before)", _portfolio_cc, _portfolio_pg, _previous_bodies,
              "last: 50, before: $cursor, orderBy: PRIMARY_KEY_ASC; hasPreviousPage compared, hasNextPage not "
              "(creditcare answers true for any before:)"),
    Operation("detail", "customer(id) with 3 nested lists", _detail_cc, _detail_pg, _detail_bodies,
              "customerByRowId with financialStatementsByCustomerId(first: 4, PERIOD_END_DESC, ROW_ID_DESC), "
              "serviceRecordsByCustomerId(first: 5), gradeAssessmentsByCustomerId(first: 3, ROW_ID_DESC)"),
    Operation("node", "node(id) ... on Customer", _node_cc, _node_pg, _node_bodies,
              "node(id:) with PostGraphile's own global ids (asked of it); grade as grade/gradeScore/gradedAt"),
    Operation("grade_history", "page with gradeHistory(first: 3)", _grades_cc, _grades_pg,
              _paged(BY_ID, "GradeHistoryPage", GRADES_CC, GRADES_PG),
              "gradeAssessmentsByCustomerId(first: 3, orderBy: ROW_ID_DESC)"),
    Operation("history", "page with history(first: 5)", _history_cc, _history_pg,
              _paged(BY_ID, "HistoryPage", HISTORY_CC, HISTORY_PG),
              "customerChangesByCustomerId(first: 5, orderBy: ROW_ID_DESC); values shown unmasked (the loaded "
              "history has no identity field, which the auditor would read masked)"),
    Operation("manager_grade", "page with relationshipManager and grade { treatment }", _manager_cc, _manager_pg,
              _paged(BY_ID, "ManagerAndGrade", MANAGER_CC, MANAGER_PG),
              "staffMemberByRelationshipManagerId { branchByBranchCode }; the treatment is not in any table: "
              "PostGraphile returns the grade, the bench adds the treatment from api/reference/grade_treatments.json"),
    Operation("service_records", "root serviceRecords page (first 50, newest first, after)",
              lambda d: _contacts(d, CREDITCARE), lambda d: _contacts(d, POSTGRAPHILE),
              _paged(RECORDS, "Contacts", RECORDS_CC, RECORDS_PG),
              "allServiceRecords(orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]) with customerByCustomerId { name }; "
              "creditcare limits the list to the caller's row scope (the bench's auditor sees all)"),
    Operation("complaints", "root complaints page (first 50, newest received first, after)",
              lambda d: _complaints(d, CREDITCARE), lambda d: _complaints(d, POSTGRAPHILE),
              _paged(COMPLAINTS, "Complaints", COMPLAINTS_CC, COMPLAINTS_PG),
              "allComplaints(orderBy: [RECEIVED_AT_DESC, ROW_ID_DESC]) with customerByCustomerId { name }; "
              "creditcare limits the list to the caller's row scope (the bench's auditor sees all)"),
    Operation("readme", "README's first query (first 3 of a branch, totalCount)", _readme_cc, _readme_pg,
              _readme_bodies,
              'condition: {branchCode: "…"}; industry name and treatment.limitPolicy from creditcare\'s reference '
              "files (not tables); endCursor not compared (each system's own format)"),
)}


def parse_ops(text: str) -> list[str]:
    """``--ops``: ``all``, ``none`` or a comma-separated list of operation keys."""
    if text.strip() in ("", "all"):
        return list(OPERATIONS)
    if text.strip() == "none":
        return []
    keys = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in OPERATIONS]
    if unknown:
        raise ValueError(f"unknown operation(s) {', '.join(unknown)}; known: {', '.join(OPERATIONS)}")
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------- equality


def check_positions(n: int) -> list[int]:
    """Which bodies of a rotation are compared: first, second, middle, last two, and every tenth."""
    return sorted({p for p in (0, 1, n // 2, n - 2, n - 1, *range(0, n, max(1, n // 10))) if 0 <= p < n})


def check(op: Operation, bodies: dict[str, list[Body]], clients: dict[str, Client]) -> dict[str, Any]:
    """Ask both systems at spread positions and compare the normalised answers; raise DataMismatch on a difference."""
    n = len(bodies[CREDITCARE])
    if n != len(bodies[POSTGRAPHILE]):
        raise DataMismatch(f"{op.key}: {n} request bodies for creditcare, {len(bodies[POSTGRAPHILE])} for "
                           "PostGraphile (their lists differ in length)")
    if n == 0:
        raise DataMismatch(f"{op.key}: nothing to ask")
    rows = nested = 0
    lists = False
    positions = check_positions(n)
    for position in positions:
        got = {side: op.normalise(side, clients[side].ask(bodies[side][position])) for side in SIDES}
        if got[CREDITCARE] != got[POSTGRAPHILE]:
            asked = json.dumps(bodies[CREDITCARE][position].get("variables"))
            where = first_difference(got[CREDITCARE], got[POSTGRAPHILE])
            raise DataMismatch(f"{op.key}: request {position} ({asked}) differs, creditcare vs PostGraphile at {where}")
        for row in got[CREDITCARE]["rows"]:
            rows += 1
            for value in row.values():
                if isinstance(value, list):
                    lists = True
                    nested += len(value)
    if rows == 0:
        raise DataMismatch(f"{op.key}: every compared answer was empty")
    if lists and nested == 0:
        raise DataMismatch(f"{op.key}: every nested list compared was empty")
    return {"operation": op.key, "positions": positions, "rows_compared": rows, "nested_items_compared": nested,
            "equal": True}


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """The first path where two normalised answers differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                label = f"{path}[{i}]" + (f" (customer {x['id']})" if isinstance(x, dict) and "id" in x else "")
                return first_difference(x, y, label)
    return f"{path or '.'}: {a!r} vs {b!r}"


def write_bodies(bodies: list[Body], path: Path) -> Path:
    """One JSON request body per line: what rotate.lua posts in turn."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))
    return path


# ------------------------------------------------------------------------ read paths (/metrics)

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
_PATH_LABELS = ("path", "read_path", "outcome", "kind")


def read_path_counters(text: str) -> dict[str, float] | None:
    """Read-path counters in a Prometheus text exposition, by path (and fallback reason); None if absent.

    Any counter sample whose metric name mentions ``read_path`` counts (``_created`` timestamps and
    histogram parts aside), keyed by its ``path`` (or ``read_path``/``outcome``/``kind``) label and,
    when it has one, its ``reason``: ``planned``, ``regular``, ``fallback:<reason>``, ``failed``.
    """
    counts: dict[str, float] = {}
    found = False
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or line.startswith("#"):
            continue
        name, labels, value = match.groups()
        if "read_path" not in name or name.endswith(("_created", "_bucket", "_sum")):
            continue
        pairs = dict(_LABEL.findall(labels or ""))
        path = next((pairs[k] for k in _PATH_LABELS if k in pairs), None) or next(iter(pairs.values()), "total")
        key = f"{path}:{pairs['reason']}" if pairs.get("reason") else path
        try:
            counts[key] = counts.get(key, 0.0) + float(value)
        except ValueError:
            continue
        found = True
    return counts if found else None


def fetch_read_paths(port: int, token: str | None) -> dict[str, float] | None:
    """creditcare's read-path counters from ``GET /metrics``, if it has that endpoint (else None).

    Asked without credentials first, then with the caller's bearer token if that was refused.
    """
    attempts: list[dict[str, str]] = [{}] + ([{"Authorization": f"Bearer {token}"}] if token else [])
    for headers in attempts:
        try:
            status, text = get_text(port, "/metrics", headers)
        except OSError:
            return None
        if status == 200:
            return read_path_counters(text)
        if status not in (401, 403):
            return None
    return None


def read_path_summary(before: dict[str, float] | None, after: dict[str, float] | None, requests: int
                      ) -> tuple[dict[str, int] | None, str]:
    """The counters' growth over a run and a label: ``planned``, ``regular``, ``fallback:…``, or shares."""
    if before is None or after is None:
        return None, "n/a"
    delta = {k: int(after.get(k, 0) - before.get(k, 0)) for k in after}
    delta = {k: v for k, v in delta.items() if v > 0}
    if not delta:
        return delta, "none counted"
    top = sorted(delta.items(), key=lambda kv: -kv[1])
    if len(top) == 1:
        return delta, top[0][0]
    return delta, " ".join(f"{k} {v / max(1, requests):.0%}" for k, v in top)


def geometric_mean(values: list[float]) -> float | None:
    positive = [v for v in values if v > 0]
    if not positive:
        return None
    return math.exp(sum(math.log(v) for v in positive) / len(positive))
