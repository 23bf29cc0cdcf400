"""Early warnings (R-S3): the rules evaluated for customers, each condition raised once, and a
warning taken from raised to closed.

Rules come from plugins (``creditcare_register_warning_rules``), their thresholds from their
defaults overridden by the lender's configuration (``CREDITCARE_WARNING_PARAMETERS``). A rule
that fails is logged and raises nothing; the other rules still run. A finding is stored with the
rule's id and version, its evidence and the trigger; the same rule and condition key is never
raised twice (a unique key in the database settles races). A new HIGH warning brings the
customer's revisit forward to today and re-grades it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_date
from api.db.base import table_of, utcnow
from api.db.enums import WarningSeverity, WarningStatus
from api.db.models import Customer, CustomerChange, EarlyWarning
from api.errors import InvalidInput, NotFound
from api.principal import Principal
from api.services.grading import FactInputs, load_fact_inputs
from api.services.scope import RowScope, within
from plugins.rules import RuleInfo, evaluate_many, executor_of, findings_problem
from plugins.sandbox import Failed
from plugins.spec import CreditEntry, RecordedChange, WarningFacts

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # measures and notes


def parameters_for(rule: RuleInfo, configured: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The rule's parameters in force: its defaults, the lender's configuration over them."""
    return {**rule.parameters, **configured.get(rule.id, {})}


def _fitted(column: str, text: str) -> str:
    length: int = getattr(EarlyWarning.__table__.c[column].type, "length")  # noqa: B009 (a String's length)
    return text[:length]


async def _changes(session: AsyncSession, ids: Sequence[int], timezone: str) -> dict[int, list[RecordedChange]]:
    table = CustomerChange.__table__
    found: dict[int, list[RecordedChange]] = defaultdict(list)
    rows = await session.execute(
        select(table.c.id, table.c.customer_id, table.c.changed_at, table.c.field)
        .where(table.c.customer_id.in_(ids), table.c.major.is_(True)).order_by(table.c.id)
    )
    for row in rows:
        found[row.customer_id].append(RecordedChange(str(row.id), business_date(row.changed_at, timezone), row.field))
    return found


def _facts(customer: Any, inputs: FactInputs, changes: Sequence[RecordedChange], as_of: date) -> WarningFacts:
    events = sorted(inputs.events.get(customer.id, ()), key=lambda e: (e.occurred_on, e.id))
    return WarningFacts(
        facts=inputs.facts(customer, {}, as_of),
        credit_entries=tuple(
            CreditEntry(str(e.id), e.occurred_on, e.kind.value, e.days_past_due, e.amount) for e in events
        ),
        changes=tuple(changes),
    )


async def warning_facts(
    session: AsyncSession, customers: Sequence[Any], *, as_of: date, timezone: str
) -> list[WarningFacts]:
    """What the rules see of each customer (customers: ORM objects or Core rows), in a few statements."""
    ids = [c.id for c in customers]
    inputs = await load_fact_inputs(session, ids)
    changes = await _changes(session, ids, timezone)
    return [_facts(c, inputs, changes.get(c.id, ()), as_of) for c in customers]


async def findings_rows(
    rules: Sequence[RuleInfo], customers: Sequence[Any], facts: Sequence[WarningFacts], *,
    configured: Mapping[str, Mapping[str, str]], timeout: float, trigger: str, now: datetime,
) -> list[dict[str, Any]]:
    """Every acceptable finding of every rule for these customers, as ``EarlyWarning`` rows.

    A plugin's rule is waited for in its plugin's threads, never on the event loop."""
    loop = asyncio.get_running_loop()
    rows: list[dict[str, Any]] = []
    for rule in rules:
        items = [(f, parameters_for(rule, configured)) for f in facts]
        executor = executor_of(rule)
        results = (evaluate_many(rule, items, timeout) if executor is None
                   else await loop.run_in_executor(executor, evaluate_many, rule, items, timeout))
        for customer, result in zip(customers, results, strict=True):
            problem = result.detail or result.message if isinstance(result, Failed) else findings_problem(result)
            if problem is not None:
                log.error("warning rule %r of plugin %r failed for customer %s: %s", rule.id, rule.plugin,
                          customer.id, problem)
                continue
            assert not isinstance(result, Failed)
            rows += [{
                "customer_id": customer.id, "rule_id": rule.id, "rule_version": rule.version,
                "plugin_name": _fitted("plugin_name", rule.plugin), "key": finding.key,
                "severity": WarningSeverity(finding.severity.value), "title": rule.title,
                "message": finding.message, "evidence": {**finding.evidence, "rule_version": rule.version},
                "trigger": trigger, "status": WarningStatus.RAISED, "raised_at": now,
            } for finding in result]
    return rows


async def store_new(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the rows whose (customer, rule, key) has no warning yet; the ones inserted."""
    if not rows:
        return []
    table = table_of(EarlyWarning)
    keys = {(r["customer_id"], r["rule_id"], r["key"]) for r in rows}
    taken = set((await session.execute(
        select(table.c.customer_id, table.c.rule_id, table.c.key)
        .where(tuple_(table.c.customer_id, table.c.rule_id, table.c.key).in_(list(keys)))
    )).all())
    fresh = list({(r["customer_id"], r["rule_id"], r["key"]): r for r in rows
                  if (r["customer_id"], r["rule_id"], r["key"]) not in taken}.values())
    if not fresh:
        return []
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # A concurrent evaluation may have raised one meanwhile: only the rows inserted here count.
    inserted = await session.execute(
        module.insert(table).on_conflict_do_nothing().returning(table.c.customer_id, table.c.rule_id, table.c.key),
        fresh,
    )
    kept = {tuple(row) for row in inserted}
    return [r for r in fresh if (r["customer_id"], r["rule_id"], r["key"]) in kept]


async def warning_in_scope(session: AsyncSession, warning_id: int, scope: RowScope) -> EarlyWarning:
    """A warning of a customer in scope; out of scope is NOT_FOUND, as missing is."""
    found = await session.scalar(within(
        select(EarlyWarning).join(Customer, Customer.id == EarlyWarning.customer_id)
        .where(EarlyWarning.id == warning_id), scope).with_for_update(of=EarlyWarning))
    if found is None:
        raise NotFound("EarlyWarning", field="input.id")
    return found


# The one status each step starts from, and the status it leads to.
_STEPS = {
    "acknowledge": (WarningStatus.RAISED, WarningStatus.ACKNOWLEDGED),
    "measures": (WarningStatus.ACKNOWLEDGED, WarningStatus.MEASURES_TAKEN),
    "close": (WarningStatus.MEASURES_TAKEN, WarningStatus.CLOSED),
}
_WHAT = {"acknowledge": "acknowledged", "measures": "given measures", "close": "closed"}


async def advance(
    session: AsyncSession, *, principal: Principal, scope: RowScope, warning_id: int, step: str,
    text: str | None = None,
) -> EarlyWarning:
    """Take a warning one step: acknowledge it, record the measures taken, or close it."""
    if text is not None:
        text = text.strip()
    if (step == "measures" or text is not None) and not 0 < len(text or "") <= MAX_TEXT:
        field = "measures" if step == "measures" else "note"
        raise InvalidInput.one(f"input.{field}", f"give 1–{MAX_TEXT} characters")
    warning = await warning_in_scope(session, warning_id, scope)
    before, after = _STEPS[step]
    if warning.status is not before:
        raise InvalidInput.one(
            "input.id", f"a warning is {_WHAT[step]} when it is {before.name}; this one is {warning.status.name}"
        )
    now = utcnow()
    warning.status = after
    if step == "acknowledge":
        warning.acknowledged_at, warning.acknowledged_by = now, principal.sub
    elif step == "measures":
        warning.measures, warning.measures_at, warning.measures_by = text, now, principal.sub
    else:
        warning.closed_at, warning.closed_by, warning.close_note = now, principal.sub, text
    await session.flush()
    return warning
