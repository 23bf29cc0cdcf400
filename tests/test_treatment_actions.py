"""The D-grade treatment's actions as tracked tasks (R-G1, R-G2) through the GraphQL endpoint: raised when
the grade comes into force, carried out (an exposure reduction plan measured against the balances, early
recall decisions facility by facility), withdrawn when the grade improves, and each owner's progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factories as f
from test_credit_facilities import APPROVER, REPAY, book, booking, today

ALICE = f.as_("alice", "relationship_manager")  # the customer's relationship manager (HZ01)
ACTION = """id kind status owner grade dueOn overdue title currency baselineBalance targetBalance targetOn plan
  closingNote closedBy version progress { currentBalance percentDone targetMet }
  recallDecisions { facility recall amount recallOn reason decidedBy }"""
RESULT = f"""__typename
  ... on TreatmentActionPayload {{ treatmentAction {{ {ACTION} }} }}
  ... on InvalidInputError {{ code problems {{ field message }} }}
  ... on NotFoundError {{ code field }}
  ... on ConflictError {{ code currentVersion }}"""
PLAN = f"mutation($input: PlanExposureReductionInput!) {{ planExposureReduction(input: $input) {{ {RESULT} }} }}"
DECIDE = f"mutation($input: DecideEarlyRecallInput!) {{ decideEarlyRecall(input: $input) {{ {RESULT} }} }}"
COMPLETE = (f"mutation($input: CompleteTreatmentActionInput!) {{ completeTreatmentAction(input: $input) "
            f"{{ {RESULT} }} }}")
ON_CUSTOMER = f"""query($id: ID!) {{ customer(id: $id) {{ grade {{ level }} treatmentActions {{ {ACTION} }} }} }}"""
WORKLIST = f"""query($where: TreatmentActionWhere) {{ treatmentActions(where: $where) {{
  totalCount edges {{ node {{ {ACTION} customer {{ name }} }} }} }} }}"""
PROGRESS = "{ treatmentProgress { owner open inProgress done withdrawn overdue doneOnTime } }"


def day(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


async def graded_d(api: Any) -> dict[str, Any]:
    """A customer graded with every answer, then non-performing (100 days overdue on 1,000,000): graded D."""
    await f.organisation(api)
    customer = await f.customer(api)
    await f.statement(api, customer["id"], customer["version"])
    await f.assessed(api, customer["id"], "C34")
    facility = await book(api, booking(customer["id"], overdue_days=100))
    return {"customer": customer, "facility": facility}


async def tasks_of(api: Any, customer_id: str, bearer: str = ALICE) -> dict[str, dict[str, Any]]:
    found = (await api.ok(ON_CUSTOMER, {"id": customer_id}, bearer=bearer))["customer"]
    assert found["grade"] is not None
    return {task["kind"]: {**task, "level": found["grade"]["level"]} for task in found["treatmentActions"]}


async def change(api: Any, document: str, values: dict[str, Any], bearer: str = ALICE) -> dict[str, Any]:
    data = await api.ok(document, {"input": values}, bearer=bearer)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def test_a_d_grade_raises_the_treatments_tasks_for_the_relationship_manager(api, app):
    world = await graded_d(api)
    tasks = await tasks_of(api, world["customer"]["id"])
    assert set(tasks) == {"EXPOSURE_REDUCTION", "EARLY_RECALL"}
    plan, recall = tasks["EXPOSURE_REDUCTION"], tasks["EARLY_RECALL"]
    assert plan["level"] == "D" and plan["grade"] == "D"
    assert (plan["status"], plan["owner"], plan["dueOn"], plan["overdue"]) == ("OPEN", "alice", day(14), False)
    assert (recall["status"], recall["owner"], recall["dueOn"]) == ("OPEN", "alice", day(30))
    assert plan["progress"] is None and recall["recallDecisions"] == []
    # The relationship manager's worklist at the root, soonest due first.
    listed = (await api.ok(WORKLIST, {"where": {"owner": {"_eq": "alice"}, "status": {"_in": ["OPEN"]}}},
                           bearer=ALICE))["treatmentActions"]
    assert listed["totalCount"] == 2
    assert [edge["node"]["kind"] for edge in listed["edges"]] == ["EXPOSURE_REDUCTION", "EARLY_RECALL"]
    assert app.state.runtime.read_paths["planned"] >= 2  # the customer's and the root list, on the fast path


async def test_a_plan_and_recall_decisions_are_carried_out_and_progress_follows_the_repayments(api):
    world = await graded_d(api)
    customer, facility = world["customer"], world["facility"]
    tasks = await tasks_of(api, customer["id"])
    plan = await change(api, PLAN, {
        "id": tasks["EXPOSURE_REDUCTION"]["id"], "version": tasks["EXPOSURE_REDUCTION"]["version"],
        "currency": "CNY", "targetBalance": "400000.00", "targetOn": day(180),
        "plan": "Monthly repayments agreed with the CFO; the warehouse is sold by March.",
    })
    assert plan["__typename"] == "TreatmentActionPayload", plan
    planned = plan["treatmentAction"]
    assert (planned["status"], planned["baselineBalance"], planned["targetBalance"]) == (
        "IN_PROGRESS", "1000000.00", "400000.00")
    assert planned["progress"] == {"currentBalance": "1000000.00", "percentDone": "0.0", "targetMet": False}
    # 1,000 of interest, then 300,000 of principal: 700,000 left, half-way to the target.
    repaid = await api.ok(REPAY, {"input": {"facilityId": facility["id"], "paidOn": day(0), "amount": "301000.00",
                                            "reference": "R-1"}}, bearer=APPROVER)
    assert repaid["recordRepayment"]["__typename"] == "CreditFacilityPayload", repaid
    tasks = await tasks_of(api, customer["id"])
    assert tasks["EXPOSURE_REDUCTION"]["progress"] == {
        "currentBalance": "700000.00", "percentDone": "50.0", "targetMet": False}
    assert len(tasks) == 2  # the re-grade kept D: no task raised twice

    recall = tasks["EARLY_RECALL"]
    decided = await change(api, DECIDE, {
        "id": recall["id"], "version": recall["version"], "facilityId": facility["id"], "recall": True,
        "amount": "200000.00", "recallOn": day(30), "reason": "Arrears of 100 days; collateral value falling.",
    }, bearer=APPROVER)
    assert decided["__typename"] == "TreatmentActionPayload", decided
    assert decided["treatmentAction"]["status"] == "IN_PROGRESS"
    assert decided["treatmentAction"]["recallDecisions"] == [{
        "facility": facility["id"], "recall": True, "amount": "200000.00", "recallOn": day(30),
        "reason": "Arrears of 100 days; collateral value falling.", "decidedBy": "hank"}]
    done = await change(api, COMPLETE, {"id": recall["id"], "version": decided["treatmentAction"]["version"],
                                        "note": "Recall notice served."})
    assert done["__typename"] == "TreatmentActionPayload", done
    assert (done["treatmentAction"]["status"], done["treatmentAction"]["closedBy"]) == ("DONE", "alice")

    progress = (await api.ok(PROGRESS, bearer=APPROVER))["treatmentProgress"]
    assert progress == [{"owner": "alice", "open": 0, "inProgress": 1, "done": 1, "withdrawn": 0, "overdue": 0,
                         "doneOnTime": 1}]
    # Another branch's manager sees no one's progress here.
    assert (await api.ok(PROGRESS, bearer=f.as_("sue", "branch_manager")))["treatmentProgress"] == []


async def test_when_the_grade_improves_the_open_tasks_are_withdrawn_and_done_ones_stay(api):
    world = await graded_d(api)
    customer, facility = world["customer"], world["facility"]
    tasks = await tasks_of(api, customer["id"])
    recall = tasks["EARLY_RECALL"]
    decided = await change(api, DECIDE, {"id": recall["id"], "version": recall["version"],
                                         "facilityId": facility["id"], "recall": False,
                                         "reason": "The customer agreed to clear the arrears this week."},
                           bearer=APPROVER)
    await change(api, COMPLETE, {"id": recall["id"], "version": decided["treatmentAction"]["version"],
                                 "note": "Not recalled."})
    # The overdue installment paid in full: nothing overdue, the knock-out gone, the grade better than D.
    repaid = await api.ok(REPAY, {"input": {"facilityId": facility["id"], "paidOn": day(0), "amount": "501000.00",
                                            "reference": "R-1"}}, bearer=APPROVER)
    assert repaid["recordRepayment"]["creditFacility"]["daysPastDue"] == 0
    tasks = await tasks_of(api, customer["id"])
    assert tasks["EXPOSURE_REDUCTION"]["level"] != "D"
    withdrawn = tasks["EXPOSURE_REDUCTION"]
    assert (withdrawn["status"], withdrawn["closedBy"]) == ("WITHDRAWN", "grading")
    assert withdrawn["closingNote"].startswith(f"The grade is now {withdrawn['level']}")
    assert tasks["EARLY_RECALL"]["status"] == "DONE"


async def test_bad_plans_and_decisions_are_refused_naming_each_field_and_change_nothing(api):
    world = await graded_d(api)
    customer, facility = world["customer"], world["facility"]
    tasks = await tasks_of(api, customer["id"])
    plan, recall = tasks["EXPOSURE_REDUCTION"], tasks["EARLY_RECALL"]

    async def problems(document: str, values: dict[str, Any], bearer: str = ALICE) -> list[str]:
        result = await change(api, document, values, bearer)
        assert result["__typename"] == "InvalidInputError", result
        return sorted(p["field"] for p in result["problems"])

    base = {"id": plan["id"], "version": plan["version"], "currency": "CNY", "plan": "Repay monthly."}
    assert await problems(PLAN, {**base, "targetBalance": "1000000.00", "targetOn": day(0)}) == [
        "input.targetBalance", "input.targetOn"]
    assert await problems(PLAN, {**base, "currency": "USD", "targetBalance": "0.00", "targetOn": day(90)}) == [
        "input.currency"]
    assert await problems(PLAN, {**base, "targetBalance": "-1.00", "targetOn": day(90)}) == ["input.targetBalance"]
    assert await problems(PLAN, {**base, "id": recall["id"], "version": recall["version"],
                                 "targetBalance": "1.00", "targetOn": day(90)}) == ["input.id"]
    assert await problems(COMPLETE, {"id": plan["id"], "version": plan["version"], "note": "Done."}) == ["input.id"]
    decide = {"id": recall["id"], "version": recall["version"], "facilityId": facility["id"], "reason": "Why."}
    assert await problems(DECIDE, {**decide, "recall": True}, APPROVER) == ["input"]
    assert await problems(DECIDE, {**decide, "recall": True, "amount": "2000000.00", "recallOn": day(-1)},
                          APPROVER) == ["input.amount", "input.recallOn"]
    assert await problems(COMPLETE, {"id": recall["id"], "version": recall["version"], "note": "Done."}) == [
        "input.id"]  # no decision yet on the running facility
    stale = await change(api, PLAN, {**base, "version": plan["version"] + 5, "targetBalance": "1.00",
                                     "targetOn": day(90)})
    assert (stale["__typename"], stale["currentVersion"]) == ("ConflictError", plan["version"])
    assert await tasks_of(api, customer["id"]) == tasks  # nothing changed

    await change(api, DECIDE, {**decide, "recall": False}, APPROVER)
    assert await problems(DECIDE, {**decide, "version": recall["version"] + 1, "recall": False}, APPROVER) == [
        "input.facilityId"]  # decided once per facility


async def test_tasks_follow_the_policy_and_the_row_scope(api):
    world = await graded_d(api)
    tasks = await tasks_of(api, world["customer"]["id"])
    recall = tasks["EARLY_RECALL"]
    # A relationship manager carries out the plan, but a recall is a credit decision.
    body = await api(DECIDE, {"input": {"id": recall["id"], "version": recall["version"],
                                        "facilityId": world["facility"]["id"], "recall": False, "reason": "Why."}},
                     bearer=ALICE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Another branch's manager does not find the task, nor list it.
    elsewhere = await change(api, COMPLETE, {"id": recall["id"], "version": recall["version"], "note": "Done."},
                             bearer=f.as_("sue", "branch_manager"))
    assert elsewhere["__typename"] == "NotFoundError"
    listed = await api.ok(WORKLIST, {"where": None}, bearer=f.as_("sue", "branch_manager"))
    assert listed["treatmentActions"]["totalCount"] == 0
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on TreatmentAction { kind owner } } }",
                        {"id": recall["id"]}, bearer=APPROVER)
    assert node["node"] == {"kind": "EARLY_RECALL", "owner": "alice"}
