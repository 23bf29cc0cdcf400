"""Running policy tests: suites (``api.authz.suite_file``) and decision tables, with their coverage.

Everything runs on a traced twin of the policy (``suite_coverage.traced``), which decides
exactly as the policy does and notes the rule behind each decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from api.authz.decision_table import DecisionRow, check
from api.authz.policy import Policy
from api.authz.policy_suite import Check, CustomerFacts, Evaluator, Outcome, Result, Situation, Suite
from api.authz.rule_book import RuleBook
from api.authz.suite_coverage import Coverage, RecordingEnforcer, measure, traced
from api.authz.suite_explain import deciding_rules


@dataclass(frozen=True)
class CheckFailure:
    """A check whose outcome is not the expected one, where it was written."""

    location: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.location} line {self.line}" if self.line is not None else self.location
        return f"{where}: {self.message}"


@dataclass
class Run:
    """The tests of one ``policy test`` run against one policy."""

    policy: Policy
    timezone: str
    book: RuleBook
    checks: int = 0
    failures: list[CheckFailure] = field(default_factory=list)
    traced: Policy = field(init=False)  # decides as ``policy`` does, noting the rule behind each decision
    recorder: RecordingEnforcer = field(init=False)
    evaluator: Evaluator = field(init=False)

    def __post_init__(self) -> None:
        self.traced, self.recorder = traced(self.policy)
        self.evaluator = Evaluator(self.traced, self.timezone)

    def suite(self, suite: Suite) -> int:
        """Run every case of ``suite``; the number of checks made."""
        made = 0
        for case in suite.cases:
            for name in case.principals:
                situation = self.evaluator.situation(suite.principals[name], case.at)
                for customer_name in case.customers:
                    customer = suite.customers[customer_name] if customer_name is not None else None
                    for expectation in case.checks:
                        result = self.evaluator.decide(situation, customer, expectation.kind, expectation.target)
                        made += 1
                        if result.outcome is not expectation.expected:
                            self.failures.append(CheckFailure(
                                str(suite.path), expectation.line,
                                self._failure(case.name, case.why, situation, customer, expectation, result),
                            ))
        self.checks += made
        return made

    def table(self, location: Path, rows: Sequence[DecisionRow]) -> list[CheckFailure]:
        """Check a decision table; its failures (also added to the run's)."""
        failures = [
            CheckFailure(str(location), failure.row.line, f"{failure.row.describe()}: expected {failure.row.expected}, "
                         f"got {failure.actual}" + (f" ({failure.row.why})" if failure.row.why else ""))
            for failure in check(self.traced, list(rows))
        ]
        vocabulary = self.policy.vocabulary
        if vocabulary is not None:
            self.evaluator.touched.update(row.object for row in rows if row.object in vocabulary.coordinates)
        self.checks += len(rows)
        self.failures.extend(failures)
        return failures

    def coverage(self) -> Coverage:
        return measure(self.policy, self.recorder, self.evaluator.touched, self.evaluator.links, self.book)

    def _failure(
        self, case: str, why: str, situation: Situation, customer: CustomerFacts | None, expectation: Check,
        result: Result,
    ) -> str:
        actor = situation.actor
        on = f" on {customer.name}" if customer is not None else ""
        detail = f" ({result.detail})" if result.detail else ""
        because = ""
        if result.outcome not in (Outcome.NOT_FOUND, Outcome.MIXED):
            rules = deciding_rules(self.policy, situation.subject, expectation.kind, expectation.target)
            because = "; because " + ("; ".join(self.book.cite_p(rule) for rule in rules) or "no rule allows it")
        reason = f" [{why}]" if why else ""
        return (f"{case}: {actor.name} ({'+'.join(sorted(actor.roles)) or 'no role'}){on} at "
                f"{situation.at.isoformat()}: {expectation.describe()}: expected {expectation.expected.value}, "
                f"got {result.outcome.value}{detail}{because}{reason}")
