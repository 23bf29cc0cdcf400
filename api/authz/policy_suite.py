"""Policy test suites: principals and customers as facts, and what the policy decides for them at a moment.

A suite (``policies/tests/*.yaml``, read by ``api.authz.suite_file``) names principals (roles,
branch, agreement), customers (relationship manager, branch, consents) and cases: a principal,
perhaps a customer, a moment, and what the policy must decide for reads, writes and the
customer's visibility. ``Evaluator`` decides each as the service does, without a database: the
subject from the roles, the agreement and the time-bound links in force that day
(``Policy.subject``); the rows from the policy's row kinds (``row_scope_for``); each field from
the subject's ``Decisions``; and for a third party, the consents in force at that moment, which
must cover every data class of the field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from api.authz.policy import MASKED_COORDINATES, Decisions, FieldAccess, Policy, Subject, class_group
from api.authz.scope import row_scope_for
from api.authz.time_bound import TimedLink
from api.db.models.organisation import agreement_in_force
from api.principal import Principal
from api.services.access import ConsentGroup
from api.services.organisation import StaffRecord
from api.services.scope import RowScope

# What a consent must name for a data class to be disclosed (the same map as schema.authz's,
# which the policy layer cannot import): identity needs a consent of its own.
CONSENT_GROUPS = {class_group(group.value): group.value for group in ConsentGroup}
GROUP_PREFIX = "group:"
SCHEMA_PREFIX = "schema:"
MUTATION = "Mutation."


class Outcome(StrEnum):
    """What a case may expect."""

    ALLOW = "allow"  # shown (for a third party: disclosed under a consent in force), run, or visible
    MASKED = "masked"  # shown masked
    DENY = "deny"  # refused
    NOT_FOUND = "not_found"  # the customer is out of the principal's rows: it does not exist to them
    CONSENT = "consent"  # without a customer: shown only where a consent covers it
    TEAM = "team"  # shown only on complaints whose investigation team the principal sits on
    MIXED = "mixed"  # a data class whose fields are decided differently (never expected)


class Kind(StrEnum):
    """What a check asks."""

    READ = "read"  # read a schema coordinate, every field of a data class or group, or a schema: object
    WRITE = "write"  # run a mutation
    ROWS = "rows"  # see the customer at all (lists, counts, search, lookups)


OUTCOMES: dict[Kind, tuple[Outcome, ...]] = {
    Kind.READ: (Outcome.ALLOW, Outcome.MASKED, Outcome.DENY, Outcome.NOT_FOUND, Outcome.CONSENT, Outcome.TEAM),
    Kind.WRITE: (Outcome.ALLOW, Outcome.DENY, Outcome.NOT_FOUND),
    Kind.ROWS: (Outcome.ALLOW, Outcome.NOT_FOUND),
}


@dataclass(frozen=True, slots=True)
class Agreement:
    """A confidentiality agreement on file: signed on ``signed`` (None: none), until ``expires`` (excluded)."""

    signed: date | None = None
    expires: date | None = None

    def valid_on(self, day: date) -> bool:
        return agreement_in_force(self.signed, self.expires, day)

    def describe(self) -> str:
        if self.signed is None:
            return "no agreement on file"
        if self.signed == date.min:
            return "agreement signed" + (f", expires {self.expires.isoformat()}" if self.expires else ", no expiry")
        until = f", expires {self.expires.isoformat()}" if self.expires is not None else ", no expiry"
        return f"agreement signed {self.signed.isoformat()}{until}"


@dataclass(frozen=True, slots=True)
class Actor:
    """A principal: its username (``sub``), roles, branch (of its staff record) and agreement."""

    name: str
    roles: frozenset[str]
    branch: str | None = None  # None: no staff record (third parties, administrators)
    agreement: Agreement = Agreement()


@dataclass(frozen=True, slots=True)
class ConsentFact:
    """A customer's written consent to a third party for some information groups, from ``valid_from``."""

    third_party: str
    groups: frozenset[str]
    valid_from: datetime
    valid_until: datetime | None = None  # excluded
    revoked_at: datetime | None = None
    label: str = ""

    def in_force(self, at: datetime) -> bool:
        """As ``api.services.scope.consents_in_force``: started, not expired, not revoked (by ``at``)."""
        return (
            self.valid_from <= at
            and (self.valid_until is None or at < self.valid_until)
            and (self.revoked_at is None or at < self.revoked_at)
        )

    def state(self, at: datetime) -> str:
        """Whether it is in force at ``at``, in words."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return f"revoked {self.revoked_at.isoformat()}"
        if at < self.valid_from:
            return f"not yet valid (from {self.valid_from.isoformat()})"
        if self.valid_until is not None and self.valid_until <= at:
            return f"expired {self.valid_until.isoformat()}"
        return "in force"


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What decides who sees a customer: its relationship manager (``owner``), branch and consents."""

    name: str
    branch: str
    owner: str | None = None
    consents: tuple[ConsentFact, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation of a case: ``kind`` of ``target`` must come out ``expected``."""

    kind: Kind
    target: str  # a coordinate, ``group:<name>``, ``schema:…``, or ``rows:Customer`` for ROWS
    expected: Outcome
    line: int | None = None

    def describe(self) -> str:
        return "see the customer" if self.kind is Kind.ROWS else f"{self.kind.value} {self.target}"


@dataclass(frozen=True, slots=True)
class Case:
    """Principals × customers (None: no customer) at ``at``, each checked against every check."""

    name: str
    principals: tuple[str, ...]
    customers: tuple[str | None, ...]
    at: datetime
    checks: tuple[Check, ...]
    line: int | None = None
    why: str = ""


@dataclass(frozen=True)
class Suite:
    """A suite file, read and linted."""

    path: Path
    name: str
    principals: dict[str, Actor]
    customers: dict[str, CustomerFacts]
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Result:
    """What the policy decided for one check (``detail``: for a data class, which fields differ)."""

    outcome: Outcome
    detail: str = ""


@dataclass
class Situation:
    """One principal at one moment, as the service would see them on a request then."""

    actor: Actor
    at: datetime
    day: date
    agreement: bool  # the agreement counts that day
    subject: Subject
    decisions: Decisions
    links: tuple[TimedLink, ...]  # time-bound links in force that day, reached from the roles
    _scope: RowScope | None = None

    @property
    def scope(self) -> RowScope:
        """The principal's rows (computed when first needed: it asks the policy the row kinds)."""
        if self._scope is None:
            actor = self.actor
            staff = None
            if actor.branch is not None:
                staff = StaffRecord(0, actor.branch, actor.agreement.signed, actor.agreement.expires)
            principal = Principal(actor.name, actor.roles, actor.branch)
            self._scope = row_scope_for(self.decisions.row_kinds, principal, staff, self.at)
        return self._scope


@dataclass
class Evaluator:
    """Decides checks under one policy, in the lender's time zone, noting what it touched."""

    policy: Policy
    timezone: str
    touched: set[str] = field(default_factory=set)  # coordinates whose decision was asked
    links: set[TimedLink] = field(default_factory=set)  # time-bound links that took effect
    _members: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def situation(self, actor: Actor, at: datetime) -> Situation:
        """``actor`` on a request at ``at``."""
        day = at.astimezone(ZoneInfo(self.timezone)).date()
        agreement = actor.agreement.valid_on(day)
        subject = self.policy.subject(actor.roles, agreement, day)
        links = self.policy.acting_links(actor.roles, day)
        self.links.update(links)
        return Situation(actor, at, day, agreement, subject, self.policy.decisions(subject), links)

    def decide(self, situation: Situation, customer: CustomerFacts | None, kind: Kind, target: str) -> Result:
        """What the service would answer ``situation`` for one check (on ``customer``, if given)."""
        if kind is Kind.ROWS:
            assert customer is not None  # a rows check names a customer (the suite reader makes sure)
            return Result(Outcome.ALLOW if self.visible(situation, customer) else Outcome.NOT_FOUND)
        if kind is Kind.WRITE:
            self.touched.add(target)
            if not situation.decisions.may_write(target):
                return Result(Outcome.DENY)  # the mutation is refused before it looks the customer up
            if customer is not None and not self.visible(situation, customer):
                return Result(Outcome.NOT_FOUND)
            return Result(Outcome.ALLOW)
        if target.startswith(SCHEMA_PREFIX):
            allowed = self.policy.allows(situation.subject, target, "read")
            return Result(Outcome.ALLOW if allowed else Outcome.DENY)
        if customer is not None and not self.visible(situation, customer):
            return Result(Outcome.NOT_FOUND)
        if target.startswith(GROUP_PREFIX):
            return self._every_field(situation, customer, target)
        return Result(self.field(situation, customer, target))

    def visible(self, situation: Situation, customer: CustomerFacts) -> bool:
        """Whether ``customer`` is within the principal's rows (as ``RowScope.condition`` selects it)."""
        scope = situation.scope
        return (
            scope.all
            or (scope.branch_code is not None and scope.branch_code == customer.branch)
            or (scope.staff_id is not None and customer.owner == situation.actor.name)
            or (scope.third_party is not None and any(
                consent.third_party == scope.third_party and consent.in_force(situation.at)
                for consent in customer.consents
            ))
        )

    def field(self, situation: Situation, customer: CustomerFacts | None, coordinate: str) -> Outcome:
        """How one field of a visible customer reads (``Decisions._plan`` and ``Authorization``'s rules)."""
        self.touched.add(coordinate)
        access = situation.decisions.field(coordinate)
        if access is FieldAccess.FULL:
            return Outcome.ALLOW
        if access is FieldAccess.MASKED:
            # Only fields with a masked form are shown masked; any other is refused.
            return Outcome.MASKED if coordinate in MASKED_COORDINATES else Outcome.DENY
        if access is FieldAccess.CONSENT:
            if customer is None:
                return Outcome.CONSENT
            covered = consent_covers(self.policy.classes_of(coordinate), granted(situation, customer))
            return Outcome.ALLOW if covered else Outcome.DENY
        if access is FieldAccess.TEAM:  # a suite's resources are customers: who sits on a team is per complaint
            return Outcome.TEAM
        return Outcome.DENY

    def members(self, group: str) -> tuple[str, ...]:
        """Every field a rule on ``group`` reaches: of a data class (``group:financial``) or of a
        ``g2`` group (``group:audit``); mutations aside, which are written, not read."""
        if not self._members:
            vocabulary = self.policy.vocabulary
            coordinates = sorted(vocabulary.coordinates) if vocabulary is not None else []
            found: dict[str, list[str]] = {}
            for coordinate in coordinates:
                if not coordinate.startswith(MUTATION):
                    for name in self.policy.groups_of(coordinate):
                        found.setdefault(name, []).append(coordinate)
            self._members = {name: tuple(members) for name, members in found.items()}
        return self._members.get(group, ())

    def _every_field(self, situation: Situation, customer: CustomerFacts | None, group: str) -> Result:
        outcomes = {coordinate: self.field(situation, customer, coordinate) for coordinate in self.members(group)}
        counts = Counter(outcomes.values())
        if len(counts) <= 1:
            return Result(next(iter(counts), Outcome.DENY))
        common = counts.most_common(1)[0][0]
        odd = [f"{coordinate}: {outcome.value}" for coordinate, outcome in outcomes.items() if outcome is not common]
        shown = ", ".join(odd[:6]) + (f" and {len(odd) - 6} more" if len(odd) > 6 else "")
        return Result(Outcome.MIXED, f"{common.value} for {counts[common]} fields, but {shown}")


def granted(situation: Situation, customer: CustomerFacts) -> set[str]:
    """The information groups the customer's consents in force disclose to the principal."""
    return {
        group for consent in customer.consents
        if consent.third_party == situation.actor.name and consent.in_force(situation.at)
        for group in consent.groups
    }


def consent_covers(classes: Iterable[str], groups: set[str]) -> bool:
    """Whether consents to ``groups`` disclose a field of ``classes``: every class needs its group."""
    needed = {CONSENT_GROUPS.get(name) for name in classes}
    return bool(needed) and None not in needed and needed <= groups
