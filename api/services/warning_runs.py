"""When early-warning rules run: after new information about a customer, and over the portfolio.

After a statement, credit information or a major change is recorded, the customer is re-graded
where the information feeds its grade, then evaluated; on a schedule, ``evaluate_portfolio``
evaluates every customer in batches (``creditcare warnings evaluate``). A new HIGH warning
brings the revisit forward to today and re-grades the customer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.clock import business_today
from api.db.base import table_of, utcnow
from api.db.enums import WarningSeverity
from api.db.models import Customer
from api.services import live, revisits
from api.services.grading import Regrader
from api.services.warnings import findings_rows, store_new, warning_facts
from api.settings import Settings
from plugins.manager import PluginHost

# Re-grading follows these triggers anyway (the figures and credit information feed the grade).
# The facilities' changes feed the grading facts (arrears, non-performance): they re-grade too.
REGRADING_TRIGGERS = frozenset({"financial_statement", "credit_information", "industry_change", "facility",
                                "repayment", "restructuring"})


@dataclass(frozen=True, slots=True)
class WarningConfig:
    """What evaluating needs besides the customers: the rules' host, thresholds, limits, calendar."""

    host: PluginHost
    parameters: Mapping[str, Mapping[str, str]]
    timeout: float
    timezone: str
    # Told of each live event (api.services.live) once, to publish after the commit.
    announce: Callable[[str, dict[str, Any]], None] | None = None


async def evaluate_customers(
    session: AsyncSession, customers: Sequence[Any], config: WarningConfig, *, trigger: str, as_of: date
) -> list[dict[str, Any]]:
    """Evaluate every rule for ``customers`` and store the new warnings; returns those."""
    facts = await warning_facts(session, customers, as_of=as_of, timezone=config.timezone)
    rows = await findings_rows(config.host.rules, customers, facts, configured=config.parameters,
                               timeout=config.timeout, trigger=trigger, now=utcnow())
    return await store_new(session, rows)


def announce_raised(
    config: WarningConfig, raised: Sequence[dict[str, Any]], alarmed: Sequence[int], today: date
) -> None:
    """Tell subscribers of each new warning, and of each revisit a HIGH one brought to today."""
    if config.announce is None:
        return
    for row in raised:
        config.announce(live.WARNINGS, {"customer_id": row["customer_id"], "rule_id": row["rule_id"],
                                        "key": row["key"]})
    for customer_id in alarmed:
        config.announce(live.REVISITS, {"customer_id": customer_id, "due_on": today.isoformat()})


def high(raised: Sequence[dict[str, Any]]) -> list[int]:
    """The customers a new HIGH warning was raised for, each once."""
    return list(dict.fromkeys(r["customer_id"] for r in raised if r["severity"] is WarningSeverity.HIGH))


def warning_config(
    settings: Settings, host: PluginHost, announce: Callable[[str, dict[str, Any]], None] | None = None
) -> WarningConfig:
    """The configuration in force: the host's rules, the settings' thresholds, timeout and time zone."""
    return WarningConfig(host, settings.warning_parameters, settings.grading_timeout_seconds, settings.timezone,
                         announce)


def information_watcher(*, regrade: Regrader, config: WarningConfig) -> Regrader:
    """After new information about a customer: re-grade (where it feeds the grade), then evaluate
    the warning rules; a new HIGH warning brings the revisit forward to today and re-grades."""

    async def react(session: AsyncSession, customer: Customer, trigger: str) -> None:
        regraded = trigger in REGRADING_TRIGGERS
        if regraded:
            await regrade(session, customer, trigger)
        today = business_today(config.timezone)
        raised = await evaluate_customers(session, [customer], config, trigger=trigger, as_of=today)
        announce_raised(config, raised, high(raised), today)
        if high(raised):
            if not regraded:
                await regrade(session, customer, "early_warning")
            # After the re-grade, which would otherwise schedule by the grade alone.
            await revisits.bring_forward(session, customer, today)

    return react


@dataclass(frozen=True, slots=True)
class PortfolioRun:
    """What a run over the portfolio did."""

    customers: int
    raised: int
    high: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.customers / self.seconds if self.seconds else 0.0


async def evaluate_portfolio(
    sessions: async_sessionmaker[AsyncSession], config: WarningConfig, *, regrade: Regrader | None = None,
    batch: int = 500, industry: str | None = None, after_batch: Callable[[], None] | None = None,
) -> PortfolioRun:
    """Evaluate every customer (of an industry prefix, if given), a batch per transaction;
    ``after_batch`` runs once each batch has committed (to announce what it changed)."""
    started = time.perf_counter()
    today = business_today(config.timezone)
    table = table_of(Customer)
    last, count, raised_total, high_total = 0, 0, 0, 0
    while True:
        async with sessions.begin() as session:
            stmt = select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)
            if industry:
                stmt = stmt.where(table.c.industry_code.startswith(industry))
            customers = list((await session.execute(stmt)).all())
            if not customers:
                break
            raised = await evaluate_customers(session, customers, config, trigger="schedule", as_of=today)
            alarmed = high(raised)
            if regrade is not None:
                for customer_id in alarmed:
                    await regrade(session, await session.get_one(Customer, customer_id), "early_warning")
            if alarmed:
                await session.flush()
                due = table.c.next_revisit_on
                await session.execute(update(table).where(table.c.id.in_(alarmed)).values(
                    next_revisit_on=case((due < today, due), else_=today)))
            announce_raised(config, raised, alarmed, today)
            last, count = customers[-1].id, count + len(customers)
            raised_total, high_total = raised_total + len(raised), high_total + len(alarmed)
        if after_batch is not None:
            after_batch()
    return PortfolioRun(count, raised_total, high_total, time.perf_counter() - started)


async def revisits_falling_due(sessions: async_sessionmaker[AsyncSession], today: date) -> list[int]:
    """The customers whose next revisit is today: what the daily run tells revisit subscribers."""
    async with sessions() as session:
        return list((await session.scalars(select(Customer.id).where(Customer.next_revisit_on == today))).all())
