"""Bulk re-grading in batches with a checkpoint (``creditcare regrade``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.clock import business_today
from api.db.base import table_of, utcnow
from api.db.models import (
    Customer,
    CustomerChange,
    GradeAssessment,
    GradingFailure,
    RegradeRun,
)
from api.principal import Principal
from api.services import audit
from api.services.grading import (
    GradeChange,
    GradeRecord,
    GradingFailed,
    decide_many,
    failure_row,
    load_fact_inputs,
    plan_record,
    reusable_answers,
)
from api.services.treatment_actions import follow_grade_changes
from plugins.manager import PluginHost, StrategyInfo
from plugins.spec import Decision, Facts

REGRADER = Principal(sub="regrade", roles=frozenset())


@dataclass(frozen=True, slots=True)
class BatchResult:
    processed: int
    changed: int
    failed: int
    done: bool
    provisional: int
    changes: tuple[GradeChange, ...]


async def _write(session: AsyncSession, plans: list[GradeRecord], failures: list[dict[str, Any]]) -> None:
    """A batch's rows in a few statements (executemany), not one round trip per customer."""
    if failures:
        await session.execute(insert(table_of(GradingFailure)), failures)
    if not plans:
        return
    await session.execute(insert(table_of(GradeAssessment)), [plan.assessment for plan in plans])
    history = [row for plan in plans for row in plan.history]
    if history:
        await session.execute(insert(table_of(CustomerChange)), history)
    # A provisional assessment leaves the customer as it was.
    plans = [plan for plan in plans if plan.customer]
    if not plans:
        return
    table = table_of(Customer)
    columns = list(plans[0].customer)
    # A regrade is a change of the customer: its version moves, so a stale editor gets CONFLICT.
    stmt = (
        update(table).where(table.c.id == bindparam("customer_key"))
        .values(version=table.c.version + 1, **{name: bindparam(name) for name in columns})
    )
    rows = [{"customer_key": plan.assessment["customer_id"], **plan.customer} for plan in plans]
    await (await session.connection()).execute(stmt, rows)


def _in_run(stmt, run: RegradeRun):  # type: ignore[no-untyped-def]
    stmt = stmt.where(Customer.id > run.last_customer_id)
    return stmt.where(Customer.industry_code.startswith(run.industry)) if run.industry else stmt


async def open_run(session: AsyncSession, *, industry: str | None, resume: bool, started_by: str) -> RegradeRun:
    """The unfinished run for the same selection when resuming, else a new run."""
    if resume:
        unfinished = await session.scalar(
            select(RegradeRun).where(RegradeRun.finished_at.is_(None), RegradeRun.industry.is_(industry)
                                     if industry is None else RegradeRun.industry == industry)
            .order_by(RegradeRun.id.desc()).limit(1)
        )
        if unfinished is not None:
            return unfinished
    run = RegradeRun(started_by=started_by, industry=industry, started_at=utcnow(),
                     last_customer_id=0, processed=0, changed=0, failed=0, provisional=0)
    session.add(run)
    await session.flush()
    return run


async def remaining(session: AsyncSession, run: RegradeRun) -> int:
    return int(await session.scalar(_in_run(select(func.count()).select_from(Customer), run)) or 0)


async def _last_answers(session: AsyncSession, ids: Sequence[int]) -> dict[tuple[int, str], dict[str, str]]:
    """Each customer's newest answers per strategy: after a change of industry and back, the
    answers given to the first strategy still count."""
    latest = (
        select(func.max(GradeAssessment.id))
        .where(GradeAssessment.customer_id.in_(ids))
        .group_by(GradeAssessment.customer_id, GradeAssessment.strategy_id)
    )
    rows = await session.execute(
        select(GradeAssessment.customer_id, GradeAssessment.strategy_id, GradeAssessment.answers)
        .where(GradeAssessment.id.in_(latest))
    )
    return {(cid, strategy): answers or {} for cid, strategy, answers in rows}


def _decisions(strategy: StrategyInfo, facts: list[Facts], timeout: float) -> list[Decision | GradingFailed]:
    return list(decide_many(strategy, facts, timeout))


async def grade_rows(
    session: AsyncSession, customers: Sequence[Any], *, host: PluginHost, timeout: float, trigger: str,
    triggered_by: str, principal: Principal,
) -> tuple[list[GradeRecord], list[dict[str, Any]]]:
    """Grade ``customers`` (Core rows) with the answers still valid, one request per strategy for them
    all, and write what it decided: assessments, grades and credit status in force, failures."""
    ids = [c.id for c in customers]
    inputs = await load_fact_inputs(session, ids)
    answers = await _last_answers(session, ids)
    now, today = utcnow(), business_today()
    # One request per strategy for the whole batch: a plugin's workers get the batch at once.
    groups: dict[str, tuple[StrategyInfo, list[Any], list[Facts]]] = {}
    for customer in customers:
        strategy = host.strategy_for(customer.industry_code)
        given = answers.get((customer.id, strategy.id), {})
        facts = inputs.facts(customer, reusable_answers(strategy, given), today)
        group = groups.setdefault(strategy.id, (strategy, [], []))
        group[1].append(customer)
        group[2].append(facts)
    plans: list[GradeRecord] = []
    failures: list[dict[str, Any]] = []
    for strategy, members, facts_list in groups.values():
        # In a thread: the event loop stays free while the plugin's workers grade.
        decisions = await asyncio.to_thread(_decisions, strategy, facts_list, timeout)
        for customer, facts, decision in zip(members, facts_list, decisions, strict=True):
            if isinstance(decision, GradingFailed):
                failures.append(failure_row(customer_id=customer.id, strategy=strategy, failed=decision,
                                            triggered_by=triggered_by, trigger=trigger, now=now))
            else:
                plans.append(plan_record(customer=customer, strategy=strategy, decision=decision, facts=facts,
                                         principal=principal, trigger=trigger, now=now))
    plans.sort(key=lambda plan: plan.assessment["customer_id"])
    await _write(session, plans, failures)
    await follow_grade_changes(session, [plan.change for plan in plans if plan.change is not None], today=today)
    return plans, failures


async def regrade_batch(
    sessions: async_sessionmaker[AsyncSession], *, run_id: int, host: PluginHost, timeout: float, size: int
) -> BatchResult:
    """Grade the next ``size`` customers of the run and move its checkpoint, in one transaction."""
    async with sessions.begin() as session:
        run = await session.get(RegradeRun, run_id)
        assert run is not None
        # Hold the batch's customers until it commits, so a user's concurrent change either lands
        # first (and is graded) or waits and then meets the new version (CONFLICT), never lost.
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(table_of(RegradeRun).update().where(RegradeRun.id == run_id).values(id=run_id))
        # Core rows, not ORM objects: the batch only reads them (its writes are executemany).
        customers: list[Any] = list((await session.execute(
            _in_run(select(table_of(Customer)), run).order_by(Customer.id).limit(size).with_for_update()
        )).all())
        if not customers:
            run.finished_at = utcnow()
            return BatchResult(0, 0, 0, True, 0, ())
        ids = [c.id for c in customers]
        plans, failures = await grade_rows(session, customers, host=host, timeout=timeout, trigger="regrade",
                                           triggered_by=f"regrade:{run.id}", principal=REGRADER)
        changes = [plan.change for plan in plans if plan.change is not None]
        failed, provisional = len(failures), sum(1 for plan in plans if plan.assessment["provisional"])
        await audit.append(session, [audit.AuditEvent(
            principal=run.started_by, roles="", action="write", object="regrade", request_id=f"regrade-{run.id}",
            detail=f"run #{run.id}: graded customers {ids[0]}..{ids[-1]} ({len(plans)} stored, {failed} failed)",
        )])
        run.last_customer_id = ids[-1]
        run.processed += len(customers)
        run.changed += len(changes)
        run.failed += failed
        run.provisional += provisional
        return BatchResult(len(customers), len(changes), failed, False, provisional, tuple(changes))


async def regrade_batches(
    sessions: async_sessionmaker[AsyncSession], *, run_id: int, host: PluginHost, timeout: float, size: int
) -> AsyncIterator[BatchResult]:
    """Every remaining batch of the run, each committed before it is yielded, the last one ``done``.

    (Locking and gathering the next batch while the workers grade this one was measured: no
    faster, as the service's own work per customer, not the strategies, bounds the rate.)
    """
    while True:
        result = await regrade_batch(sessions, run_id=run_id, host=host, timeout=timeout, size=size)
        yield result
        if result.done:
            return
