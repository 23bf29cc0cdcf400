"""The treatment's actions as tasks (R-G1, R-G2): raised when a customer comes to a grade whose
treatment asks for them (as shipped, D: an exposure reduction plan and early recall decisions),
carried out by the relationship manager, withdrawn when the grade leaves that treatment.

Every path that puts a grade in force (an assessment, an automatic or bulk re-grade, an approved
override) hands its ``GradeChange`` list to ``follow_grade_changes`` in the same transaction: the
tasks stand or fall with the grade. A kind of task still open is never raised twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from pydantic import model_validator
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from api.db.base import utcnow
from api.db.enums import FacilityStatus, TreatmentActionKind, TreatmentActionStatus
from api.db.models import CreditFacility, Customer, RecallDecision, StaffMember, TreatmentAction
from api.errors import FieldProblem, InvalidInput
from api.principal import Principal
from api.reference.treatments import treatments
from api.services.locking import locked_in_scope
from api.services.scope import RowScope
from api.services.treatment_reads import OPEN_STATES, actions_within, balances
from api.services.validation import Command, CurrencyCode, LongText, NonNegativeMoney, PositiveMoney, parse


class GradeChange(Protocol):
    """A change of the grade in force (``api.services.grading.GradeChange``)."""

    @property
    def customer_id(self) -> int: ...
    @property
    def previous(self) -> str | None: ...
    @property
    def new(self) -> str: ...
    @property
    def strategy_id(self) -> str: ...


async def follow_grade_changes(session: AsyncSession, changes: Sequence[GradeChange], *, today: date) -> None:
    """Raise the tasks each new grade's treatment asks for and withdraw the open ones it no longer does."""
    moved = [change for change in changes if change.previous != change.new]
    if not moved:
        return
    table = treatments()
    by_grade: dict[str, list[GradeChange]] = defaultdict(list)
    for change in moved:
        by_grade[change.new].append(change)
    now = utcnow()
    for grade, group in by_grade.items():
        kinds = [task.kind for task in table[grade].tasks]
        withdrawn = update(TreatmentAction).where(
            TreatmentAction.customer_id.in_([change.customer_id for change in group]),
            TreatmentAction.status.in_(OPEN_STATES),
        )
        if kinds:
            withdrawn = withdrawn.where(TreatmentAction.kind.not_in(kinds))
        await session.execute(withdrawn.values(
            status=TreatmentActionStatus.WITHDRAWN, closed_at=now, closed_on=today, closed_by="grading",
            closing_note=f"The grade is now {grade}: its treatment does not ask for this.",
            version=TreatmentAction.version + 1,
        ).execution_options(synchronize_session=False))
    raising = [change for change in moved if table[change.new].tasks]
    if raising:
        await _raise(session, raising, today=today, now=now)


async def _raise(session: AsyncSession, changes: list[GradeChange], *, today: date, now: datetime) -> None:
    ids = [change.customer_id for change in changes]
    still_open = {(customer_id, kind) for customer_id, kind in await session.execute(
        select(TreatmentAction.customer_id, TreatmentAction.kind)
        .where(TreatmentAction.customer_id.in_(ids), TreatmentAction.status.in_(OPEN_STATES))
    )}
    owners = dict((await session.execute(
        select(Customer.id, StaffMember.username)
        .join(StaffMember, StaffMember.id == Customer.relationship_manager_id).where(Customer.id.in_(ids))
    )).all())
    table = treatments()
    rows: list[dict[str, Any]] = []
    for change in changes:
        treatment = table[change.new]
        rows += [
            {"customer_id": change.customer_id, "kind": task.kind, "title": task.title, "grade": change.new,
             "treatment_version": treatment.version, "raised_at": now,
             "raised_by": f"grading:{change.strategy_id}"[:64],
             "due_on": today + timedelta(days=task.due_days), "owner": owners.get(change.customer_id),
             "status": TreatmentActionStatus.OPEN, "version": 1}
            for task in treatment.tasks if (change.customer_id, task.kind) not in still_open
        ]
    if rows:
        await session.execute(insert(TreatmentAction), rows)


class PlanDraft(Command):
    currency: CurrencyCode
    target_balance: NonNegativeMoney
    target_on: date
    plan: LongText


class RecallDraft(Command):
    facility_id: int
    recall: bool
    amount: PositiveMoney | None = None
    recall_on: date | None = None
    reason: LongText

    @model_validator(mode="after")
    def _complete(self) -> RecallDraft:
        if self.recall and (self.amount is None or self.recall_on is None):
            raise ValueError("a recall names the amount called in (amount) and by which day (recallOn)")
        if not self.recall and (self.amount is not None or self.recall_on is not None):
            raise ValueError("a decision not to recall has no amount or day")
        return self


class CompletionDraft(Command):
    note: LongText


async def _action(
    session: AsyncSession, action_id: int, scope: RowScope, expected_version: int, kind: TreatmentActionKind | None,
) -> TreatmentAction:
    stmt = actions_within(select(TreatmentAction).where(TreatmentAction.id == action_id), scope)
    action = await locked_in_scope(session, stmt, TreatmentAction, expected_version=expected_version, field="input.id")
    if kind is not None and action.kind is not kind:
        raise InvalidInput.one("input.id", f"a {action.kind.name} task, not {kind.name}")
    if action.status not in OPEN_STATES:
        raise InvalidInput.one("input.id", f"the task is {action.status.name}: only an open one is carried out")
    return action


def _touch(action: TreatmentAction) -> None:
    """Mark the task changed even when its status stays, so that its version moves."""
    action.status = TreatmentActionStatus.IN_PROGRESS
    flag_modified(action, "status")


async def plan_exposure_reduction(
    session: AsyncSession, *, principal: Principal, scope: RowScope, action_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> TreatmentAction:
    """Record (or revise) the exposure reduction plan: the balance to come down to, by when, and how.

    The balance it starts from is the principal outstanding on the customer's running facilities in
    the plan's currency when first planned; a revision in another currency starts again from then.
    """
    draft = parse(PlanDraft, data)
    action = await _action(session, action_id, scope, expected_version, TreatmentActionKind.EXPOSURE_REDUCTION)
    balance = (await balances(session, [(action.customer_id, draft.currency)]))[(action.customer_id, draft.currency)]
    problems = []
    if balance == 0:
        problems.append(FieldProblem("input.currency", f"no running facility in {draft.currency}: nothing to reduce"))
    elif draft.target_balance >= balance:
        problems.append(FieldProblem("input.targetBalance", f"must be below the balance now ({balance})"))
    if draft.target_on <= today:
        problems.append(FieldProblem("input.targetOn", "a target day after today"))
    if problems:
        raise InvalidInput(problems)
    if action.baseline_balance is None or action.currency != draft.currency:
        action.baseline_balance = balance
    action.currency, action.target_balance, action.target_on = draft.currency, draft.target_balance, draft.target_on
    action.plan, action.planned_at, action.planned_by = draft.plan, utcnow(), principal.sub
    _touch(action)
    await session.flush()
    return action


async def decide_early_recall(
    session: AsyncSession, *, principal: Principal, scope: RowScope, action_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> TreatmentAction:
    """Decide whether to recall one running facility of the customer early: once per facility."""
    draft = parse(RecallDraft, data)
    action = await _action(session, action_id, scope, expected_version, TreatmentActionKind.EARLY_RECALL)
    facility = await session.get(CreditFacility, draft.facility_id)
    if facility is None or facility.customer_id != action.customer_id:
        raise InvalidInput.one("input.facilityId", "not a facility of this task's customer")
    problems = []
    if facility.status is not FacilityStatus.ACTIVE:
        problems.append(FieldProblem("input.facilityId", "the facility is settled"))
    if await session.scalar(select(RecallDecision.id).where(RecallDecision.action_id == action.id,
                                                            RecallDecision.facility_id == facility.id)):
        problems.append(FieldProblem("input.facilityId", "already decided for this task"))
    if draft.amount is not None and draft.amount > facility.outstanding:
        problems.append(FieldProblem("input.amount", f"above the principal outstanding ({facility.outstanding})"))
    if draft.recall_on is not None and draft.recall_on < today:
        problems.append(FieldProblem("input.recallOn", "today or later"))
    if problems:
        raise InvalidInput(problems)
    session.add(RecallDecision(action_id=action.id, facility_id=facility.id, recall=draft.recall, amount=draft.amount,
                               recall_on=draft.recall_on, reason=draft.reason, decided_by=principal.sub))
    _touch(action)
    await session.flush()
    return action


async def complete_action(
    session: AsyncSession, *, principal: Principal, scope: RowScope, action_id: int, expected_version: int,
    data: dict[str, Any], today: date,
) -> TreatmentAction:
    """Mark a task done with what was done: a plan must be on record, a recall decision on every running
    facility."""
    draft = parse(CompletionDraft, data)
    action = await _action(session, action_id, scope, expected_version, None)
    if action.kind is TreatmentActionKind.EXPOSURE_REDUCTION and action.target_balance is None:
        raise InvalidInput.one("input.id", "no exposure reduction plan recorded yet (planExposureReduction)")
    if action.kind is TreatmentActionKind.EARLY_RECALL:
        undecided = list(await session.scalars(
            select(CreditFacility.reference).where(
                CreditFacility.customer_id == action.customer_id, CreditFacility.status == FacilityStatus.ACTIVE,
                CreditFacility.id.not_in(
                    select(RecallDecision.facility_id).where(RecallDecision.action_id == action.id)),
            ).order_by(CreditFacility.id)
        ))
        if undecided:
            raise InvalidInput.one("input.id", f"no recall decision yet on {', '.join(undecided)} (decideEarlyRecall)")
    action.status = TreatmentActionStatus.DONE
    action.closed_at, action.closed_on, action.closed_by = utcnow(), today, principal.sub
    action.closing_note = draft.note
    await session.flush()
    return action


def progress_percent(baseline: Decimal | None, target: Decimal | None, current: Decimal) -> Decimal | None:
    """How much of the planned reduction is done, 0–100 (none without a plan)."""
    if baseline is None or target is None or baseline <= target:
        return None
    done = (baseline - current) / (baseline - target) * 100
    return min(max(done, Decimal(0)), Decimal(100)).quantize(Decimal("0.1"))
