"""A strategy that lives in a plugin's worker processes, seen from the service.

It carries what the worker described (id, version, industries, questions, reason codes) and
grades by sending facts to the plugin's pool. Replies are rebuilt into ``Decision`` objects as
they came, wrong types included: the service's own checks refuse a bad decision, whichever
process made it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from plugins.sandbox import Failed, PluginPool
from plugins.spec import REQUIRED_BY_DEFAULT, Answer, Decision, FactorResult, Facts, Grade, Question


def decimal_of(value: Any) -> Any:
    """A tagged Decimal from a worker's reply as a Decimal; other values as they came."""
    if type(value) is dict and len(value) == 1 and "$decimal" in value:
        try:
            return Decimal(value["$decimal"])
        except (InvalidOperation, TypeError):
            return value
    return value


_FACTOR_FIELDS = ("code", "name", "value", "band", "points", "max_points", "reason")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _grade(value: Any) -> Any:
    try:
        return Grade(value)
    except ValueError:
        return value  # refused by the service's check, which names it


def _factor(raw: Any) -> FactorResult | Failed:
    if not isinstance(raw, dict) or len(raw) != len(_FACTOR_FIELDS) or "$type" in raw:
        kind = raw.get("$type", "malformed value") if isinstance(raw, dict) else type(raw).__name__
        return Failed(f"returned a factor that is a {kind}, not a FactorResult")
    # Bulk regrading decodes some ten factors per customer: only the points are Decimals (a text
    # field holding anything else arrives as its type's name, which the service's check refuses).
    return FactorResult(
        raw["code"], raw["name"], raw["value"], raw["band"], decimal_of(raw["points"]), decimal_of(raw["max_points"]),
        raw["reason"],
    )


def decision_of(reply: dict[str, Any]) -> Decision | Failed:
    """The decision a worker sent, as it came; a ``Failed`` when it is no decision at all."""
    if "$type" in reply:
        return Failed(f"returned {reply['$type']}, not a Decision")
    try:
        factors = [_factor(raw) for raw in reply["factors"]]
        failed = next((f for f in factors if isinstance(f, Failed)), None)
        if failed is not None:
            return failed
        return Decision(
            grade=_grade(reply["grade"]), score=decimal_of(reply["score"]),
            factors=tuple(f for f in factors if isinstance(f, FactorResult)),
            reasons=tuple(reply["reasons"]), knock_outs=tuple(reply["knock_outs"]),
        )
    except (KeyError, TypeError):
        return Failed("returned a malformed decision")


class RemoteStrategy:
    """A grading strategy graded by its plugin's workers (``plugins.sandbox.PluginPool``)."""

    def __init__(self, pool: PluginPool, described: dict[str, Any], timeout: float = 2.0) -> None:
        self.pool = pool
        self.timeout = timeout
        self.id: str = described["id"]
        self.version: str = described["version"]
        raw_industries = described["industries"]
        self.industries: tuple[str, ...] = (
            raw_industries if isinstance(raw_industries, str) else tuple(raw_industries)  # type: ignore[assignment]
        )
        self.questions: tuple[Question, ...] = tuple(
            Question(_text(q["id"]), _text(q["text"]),
                     tuple(Answer(_text(a["id"]), _text(a["text"])) for a in q["answers"]),
                     q.get("required", REQUIRED_BY_DEFAULT) is not False)
            for q in described["questions"]
        )
        codes = described.get("reason_codes")
        self.reason_codes: tuple[str, ...] | None = None if codes is None else tuple(_text(c) for c in codes)

    @property
    def plugin(self) -> str:
        return self.pool.source.name

    def run(self, items: Sequence[Facts], timeout: float, queued_at: float | None = None) -> list[Decision | Failed]:
        """Each item's decision (as sent) or why there is none, in order. ``queued_at`` (monotonic):
        when the caller asked, so time spent waiting for the plugin counts against ``timeout``."""
        return list(self.stream(items, timeout, queued_at))

    def stream(
        self, items: Sequence[Facts], timeout: float, queued_at: float | None = None
    ) -> Iterator[Decision | Failed]:
        """As ``run``, each result as soon as it is in (a long list is graded in parts, side by side)."""
        for reply in self.pool.grade_spread(self.id, items, timeout, queued_at):
            if isinstance(reply, Failed):
                yield reply
            elif "error" in reply:
                yield Failed(f"raised {str(reply['error']).split(':', 1)[0]} (details in the server log)",
                             str(reply["error"]))
            elif "decision" in reply and isinstance(reply["decision"], dict):
                yield decision_of(reply["decision"])
            else:
                yield Failed("answered something that is not a decision")

    def grade(self, facts: Facts) -> Decision:
        """The protocol's call, for tools: one item, raising ``RuntimeError`` when it fails."""
        [result] = self.run([facts], self.timeout)
        if isinstance(result, Failed):
            raise RuntimeError(f"strategy {self.id!r}: {result.message}")
        return result
