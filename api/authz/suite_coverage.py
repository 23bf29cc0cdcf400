"""What policy tests touch: rules, data classes and coordinates, and what none of them does.

A rule is touched when Casbin names it as deciding a request some test made (``enforce_ex``): a
rule that never decides anything a test asks is untested, or shadowed by another. A time-bound
role link is touched when it took effect for a principal of some case. A data class is touched
when a test read a field carrying it; a coordinate, when a test read or wrote it.

Percentages are rounded down, so 100 % means every one (a rounded 99.96 % is not 100 %).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from api.authz.policy import Policy
from api.authz.rule_book import RuleBook
from api.authz.time_bound import TimedLink

# Data classes that are not confidential customer information (R-I4): what the public credit
# registry publishes, and the lender's own organisation. Every other class is confidential.
NOT_CONFIDENTIAL = frozenset({"registry", "organisation"})


class RecordingEnforcer:
    """A Casbin enforcer that notes the rule deciding each request it answers."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.deciding: set[tuple[str, ...]] = set()

    def enforce(self, *request: str) -> bool:
        allowed, rule = self.inner.enforce_ex(*request)
        if rule:
            self.deciding.add(tuple(rule))
        return bool(allowed)

    def __getattr__(self, name: str) -> Any:
        # Everything else (role managers, rules, enforce_ex for explanations) is the inner one's.
        return getattr(self.inner, name)


def traced(policy: Policy) -> tuple[Policy, RecordingEnforcer]:
    """A policy deciding as ``policy`` does (the same rules and enforcer) whose decisions are noted."""
    recorder = RecordingEnforcer(policy.enforcer)
    return Policy(recorder, policy.source, policy.vocabulary), recorder


@dataclass(frozen=True)
class Tally:
    """How many of some things tests touched, and which they did not."""

    label: str
    touched: int
    total: int
    missing: tuple[str, ...]

    @property
    def percent(self) -> float:
        """Rounded down to a tenth: never 100.0 unless all are touched."""
        if not self.total:
            return 100.0
        return math.floor(1000 * self.touched / self.total) / 10

    def __str__(self) -> str:
        return f"{self.label}: {self.touched} of {self.total} ({self.percent:.1f} %)"


@dataclass(frozen=True)
class Coverage:
    """What the tests of one run touched of one policy."""

    rules: Tally  # p lines and time-bound role links
    confidential: Tally  # confidential data classes
    classes: Tally  # every data class
    coordinates: Tally  # every schema coordinate

    def below(self, minimum: float) -> list[Tally]:
        """The tallies ``--min-coverage`` holds to (rules, confidential classes) that fall short."""
        return [tally for tally in (self.rules, self.confidential) if tally.percent < minimum]


def measure(
    policy: Policy, recorder: RecordingEnforcer, coordinates: Iterable[str], links: Iterable[TimedLink],
    book: RuleBook,
) -> Coverage:
    """The coverage of ``policy`` by the decisions ``recorder`` saw, the coordinates tests asked
    about and the time-bound links that took effect."""
    vocabulary = policy.vocabulary
    rules = [("p", *rule) for rule in dict.fromkeys(tuple(rule) for rule in policy.rules()["p"])]
    rules += [link.values for link in policy.timed_links]
    touched_rules = {("p", *rule) for rule in recorder.deciding} | {link.values for link in links}
    asked = set(coordinates)
    known = vocabulary.coordinates if vocabulary is not None else frozenset()
    classes_of = vocabulary.classes if vocabulary is not None else {}
    every_class = sorted(vocabulary.data_classes) if vocabulary is not None else []
    touched_classes = {name for coordinate in asked for name in classes_of.get(coordinate, ())}
    return Coverage(
        rules=_tally("rules (p lines and time-bound links)", rules, touched_rules, book.cite),
        confidential=_tally("confidential data classes", [c for c in every_class if c not in NOT_CONFIDENTIAL],
                            touched_classes),
        classes=_tally("data classes", every_class, touched_classes),
        coordinates=_tally("coordinates", sorted(known), asked),
    )


def _tally(label: str, every: Sequence[Any], touched: set[Any], show: Any = str) -> Tally:
    missing = tuple(show(item) for item in every if item not in touched)
    return Tally(label, len(every) - len(missing), len(every), missing)
