"""A loaded Casbin policy and the decisions it gives, computed once per subject and reused.

Plain ``Enforcer.enforce()`` costs about 0.5 ms with this policy (1–2 ms with a few hundred
lines), so it is never called per field or row: a
``Decisions`` object answers each (schema coordinate, action) once per (policy version, subject)
and remembers. A policy is never changed in place: a reload builds a new one and swaps it.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import casbin
from casbin.rbac.default_role_manager.role_manager import Link, Role
from casbin.util import key_match

from api.authz.masking import MASKERS
from api.authz.time_bound import TimedLink, is_timed, timed_link
from api.authz.vocabulary import Vocabulary

ROW_KINDS = ("all", "branch", "own", "consented")
# Coordinates with a masked form; masked access to others is a denial.
MASKED_COORDINATES = frozenset(MASKERS)
# Information whose every read is audited (R-I4, R-I5).
AUDITED_GROUPS = frozenset({"group:identity", "group:financial", "group:credit"})
CUSTOMER_ROWS = "rows:Customer"
AUTHENTICATED = "authenticated"
NO_AGREEMENT = "nda:none"
# Subjects the service adds to a request (``Subject.casbin_sub``): rules may name them, tokens may not.
ATTRIBUTES = frozenset({AUTHENTICATED, NO_AGREEMENT})
THIRD_PARTY = "third_party"
_versions = itertools.count(1)


class FieldAccess(StrEnum):
    """How a principal may read one schema coordinate."""

    FULL = "allow"
    MASKED = "masked"
    CONSENT = "consent"  # only where the customer's written consent covers it
    TEAM = "team"  # only on complaints whose investigation team the reader sits on
    DENIED = "deny"


# From most to least open: a field of several data classes is read as its most closed class allows.
_OPENNESS = (FieldAccess.FULL, FieldAccess.MASKED, FieldAccess.CONSENT, FieldAccess.TEAM, FieldAccess.DENIED)


def class_group(name: str) -> str:
    """The policy's name for a data class: ``financial`` → ``group:financial``."""
    return f"group:{name}"


@dataclass(frozen=True, slots=True)
class Subject:
    """The shape of a principal that decisions depend on: roles and attributes, not identity."""

    roles: frozenset[str]
    agreement: bool  # a valid confidentiality agreement, checked against the staff record
    # Roles held through a time-bound link in force on the request's day (``Policy.subject``).
    acting: frozenset[str] = frozenset()

    @property
    def casbin_sub(self) -> str:
        """The request subject: every role plus the attributes the service adds."""
        extra = {AUTHENTICATED}
        # R-I5 binds staff; third parties are bound by the customer's consent instead (R-I4).
        if not self.agreement and self.roles - {THIRD_PARTY}:
            extra.add(NO_AGREEMENT)
        return " ".join(sorted(self.roles | self.acting | extra))


def load_file_enforcer(policy_dir: Path) -> casbin.Enforcer:
    """An enforcer over ``model.conf`` and ``policy.csv`` in ``policy_dir``."""
    enforcer = casbin.Enforcer(str(policy_dir / "model.conf"), str(policy_dir / "policy.csv"))
    return configure_enforcer(enforcer)


def configure_enforcer(enforcer: casbin.CoreEnforcer) -> casbin.CoreEnforcer:
    """Register what our model needs (``anyRole``, ``g2`` patterns) on an enforcer loaded elsewhere."""
    roles = enforcer.get_role_manager()

    def any_role(request_sub: str, policy_sub: str) -> bool:
        return any(role == policy_sub or roles.has_link(role, policy_sub) for role in request_sub.split())

    enforcer.add_function("anyRole", any_role)
    # g2 lines may name patterns such as `FinancialStatement.*`.
    enforcer.add_named_matching_func("g2", key_match)
    return enforcer


class Action(IntEnum):
    """What resolving a field takes, from cheapest: most fields only ``PASS``."""

    PASS = 0  # resolve it; nothing to note
    AUDIT = 1  # resolve it and note the read
    MASK = 2  # resolve it masked and note the read
    CONSENT = 3  # resolve it only under the customer's consent
    TEAM = 4  # resolve it only on a complaint whose team the reader sits on
    DENY = 5  # refuse it


@dataclass(frozen=True, slots=True)
class Step:
    """What to do when resolving one field, decided once per (policy version, subject, field)."""

    coordinate: str
    access: FieldAccess
    group: str | None  # the main data class (or policy group): what a read is audited under
    audited: bool
    action: Action
    classes: tuple[str, ...] = ()  # every data class its value comes from (``group:…``)
    reason: str = ""  # why it is refused, when the policy alone does not say

    def denial(self, verb: str = "read") -> str:
        """The message of a refusal of this field."""
        return f"Not authorized to {verb} {self.coordinate}{self.reason}"


# A member of staff refused only for want of an agreement is told so (R-I5), not left guessing.
NO_AGREEMENT_REASON = ": no valid confidentiality agreement on file"


@dataclass
class Decisions:
    """Everything one subject may do under one policy version; each answer computed once."""

    policy: Policy
    subject: Subject
    _fields: dict[str, FieldAccess] = field(default_factory=dict)
    _writes: dict[str, bool] = field(default_factory=dict)
    _rows: frozenset[str] | None = None
    _steps: dict[str, dict[str, Step]] = field(default_factory=dict)

    def step(self, parent: str, field_name: str) -> Step:
        """The per-field plan for ``parent.field_name`` (cached: two dictionary lookups when warm)."""
        by_field = self._steps.get(parent)
        if by_field is None:
            by_field = self._steps[parent] = {}
        found = by_field.get(field_name)
        if found is None:
            found = by_field[field_name] = self._plan(parent, field_name)
        return found

    @property
    def steps(self) -> dict[str, dict[str, Step]]:
        """The cache ``step`` fills: ``steps[parent][field]``, for the per-field hot path."""
        return self._steps

    def _plan(self, parent: str, field_name: str) -> Step:
        coordinate = f"{parent}.{field_name}"
        if parent.startswith("__") or field_name.startswith("__"):  # introspection, __typename
            return Step(coordinate, FieldAccess.FULL, None, False, Action.PASS)
        if parent == "Mutation":
            allowed = self.may_write(coordinate)
            access = FieldAccess.FULL if allowed else FieldAccess.DENIED
            return Step(coordinate, access, None, False, Action.PASS if allowed else Action.DENY)
        classes = self.policy.classes_of(coordinate)
        group = classes[0] if classes else None
        audited = any(name in AUDITED_GROUPS for name in classes)
        access = self.field(coordinate)
        if access is FieldAccess.FULL:
            action = Action.AUDIT if audited else Action.PASS
        elif access is FieldAccess.MASKED:
            action = Action.MASK if coordinate in MASKED_COORDINATES else Action.DENY
        elif access is FieldAccess.CONSENT:
            action = Action.CONSENT
        elif access is FieldAccess.TEAM:
            action = Action.TEAM
        else:
            action = Action.DENY
        reason = ""
        if action is Action.DENY and NO_AGREEMENT in self.subject.casbin_sub.split():
            with_agreement = replace(self.subject, agreement=True)
            if self.policy.field_access(with_agreement, coordinate) is not FieldAccess.DENIED:
                reason = NO_AGREEMENT_REASON
        return Step(coordinate, access, group, audited, action, classes, reason)

    def field(self, coordinate: str) -> FieldAccess:
        """How this subject may read ``coordinate`` (e.g. ``Customer.financialStatements``)."""
        found = self._fields.get(coordinate)
        if found is None:
            found = self._fields[coordinate] = self.policy.field_access(self.subject, coordinate)
        return found

    def may_write(self, coordinate: str) -> bool:
        """Whether this subject may run the mutation ``coordinate`` (e.g. ``Mutation.updateCustomer``)."""
        found = self._writes.get(coordinate)
        if found is None:
            found = self._writes[coordinate] = self.policy.allows(self.subject, coordinate, "write")
        return found

    @property
    def row_kinds(self) -> frozenset[str]:
        """Which customer rows: any of ``all``, ``branch``, ``own``, ``consented`` (none: no rows)."""
        if self._rows is None:
            self._rows = frozenset(
                kind for kind in ROW_KINDS if self.policy.allows(self.subject, CUSTOMER_ROWS, kind)
            )
        return self._rows


def _detach_timed_links(enforcer: casbin.CoreEnforcer) -> tuple[TimedLink, ...]:
    """The time-bound ``g`` lines, taken out of Casbin's role links.

    Casbin reads a ``g`` line's first two values and would hold a time-bound link for ever; the
    link is kept out of its role manager (unless a plain ``g`` line names the same two roles) and
    resolved per day instead (``Policy.subject``).
    """
    lines = [list(line) for line in enforcer.get_grouping_policy()]
    timed = tuple(timed_link(line) for line in lines if is_timed(["g", *line]))
    plain = {(line[0], line[1]) for line in lines if len(line) == 2}
    links = enforcer.get_role_manager()
    for pair in {(link.member, link.role) for link in timed}:
        if pair not in plain:
            links.delete_link(*pair)
    return timed


def _link_concrete(links: Any, pairs: Iterable[tuple[str, str]]) -> None:
    """Add ``member → group`` links between names without patterns to the ``g2`` role manager.

    Casbin's ``add_link`` compares every new link with every role known (for ``key_match`` patterns),
    and a new role with every role: adding each field's data classes that way grew with the square of
    the schema (0.19 s per policy built, paid at every start and reload). Between two names without
    ``*`` that comparison adds nothing but what a pattern gives a new member (``Complaint.*`` →
    ``group:complaints`` for ``Complaint.matter``), which is copied here from the patterns only.
    """
    patterns = [role for name, role in links.all_roles.items() if "*" in name]
    for member, group in pairs:
        if "*" in member or "*" in group:
            links.add_link(member, group)
            continue
        user = links.all_roles.get(member)
        if user is None:
            user = links.all_roles[member] = Role(member)
            for pattern in patterns:
                if key_match(member, pattern.name):
                    user.copy_from(pattern)
        role = links.all_roles.get(group)
        if role is None:
            role = links._get_role(group)  # a group named nowhere yet: no pattern can name a group
        user.add_role(role)
        links.all_links.append(Link(member, group))


class Policy:
    """One version of the policy. Immutable once built; safe to share between requests."""

    def __init__(self, enforcer: casbin.CoreEnforcer, source: str, vocabulary: Vocabulary | None = None) -> None:
        self.enforcer = enforcer
        self.source = source
        # The schema's coordinates and data classes; None where no schema is at hand (unit tests).
        self.vocabulary = vocabulary
        if vocabulary is not None:
            # Data classes are declared with the fields (schema.data_classes), not in the policy's
            # lines: link each coordinate to its classes' groups so rules on a class reach it.
            _link_concrete(enforcer.get_named_role_manager("g2"), (
                (coordinate, class_group(name)) for coordinate, names in vocabulary.classes.items() for name in names
            ))
        self.timed_links = _detach_timed_links(enforcer)
        self._acting: dict[tuple[frozenset[str], date], tuple[TimedLink, ...]] = {}
        self.version = next(_versions)
        self._decisions: dict[Subject, Decisions] = {}
        self._classes: dict[str, tuple[str, ...]] = {}
        self._known_roles: frozenset[str] | None = None
        # Enforcer is not thread-safe; decisions are computed under this lock (uvicorn workers
        # are processes, but CLI tools and tests may use threads).
        self._lock = threading.Lock()

    def allows(self, subject: Subject, obj: str, act: str) -> bool:
        with self._lock:
            return bool(self.enforcer.enforce(subject.casbin_sub, obj, act))

    def explain(self, subject: Subject, obj: str, act: str) -> tuple[bool, list[list[str]]]:
        """The decision and the policy lines that made it."""
        with self._lock:
            allowed, rules = self.enforcer.enforce_ex(subject.casbin_sub, obj, act)
        # pycasbin gives the one deciding rule as a flat list of values (or nothing).
        if rules and isinstance(rules[0], str):
            rules = [rules]
        return bool(allowed), [list(rule) for rule in rules]

    def field_access(self, subject: Subject, coordinate: str) -> FieldAccess:
        """How ``subject`` may read ``coordinate``. A value derived from several data classes is
        read only as far as every one of them allows: a rule on one class cannot open the others."""
        access = self._access(subject, coordinate)
        classes = self.classes_of(coordinate)
        if len(classes) > 1:
            for group in classes:
                access = max(access, self._access(subject, group), key=_OPENNESS.index)
        return access

    def _access(self, subject: Subject, obj: str) -> FieldAccess:
        if self.allows(subject, obj, "read"):
            return FieldAccess.FULL
        if self.allows(subject, obj, "read_masked"):
            return FieldAccess.MASKED
        if self.allows(subject, obj, "read_with_consent"):
            return FieldAccess.CONSENT
        if self.allows(subject, obj, "read_on_team"):
            return FieldAccess.TEAM
        return FieldAccess.DENIED

    def subject(self, roles: frozenset[str], agreement: bool, day: date) -> Subject:
        """The subject of a principal holding ``roles`` on ``day``: with the roles that time-bound
        links in force that day add (``g, external_auditor, compliance_auditor, from, until``)."""
        acting = frozenset(link.role for link in self.acting_links(roles, day)) - roles
        return Subject(roles, agreement, acting)

    def acting_links(self, roles: frozenset[str], day: date) -> tuple[TimedLink, ...]:
        """The time-bound links in force on ``day`` that ``roles`` reach, directly or through
        other links (cached per roles and day)."""
        key = (roles, day)
        found = self._acting.get(key)
        if found is None:
            found = self._acting[key] = self._reach(roles, day) if self.timed_links else ()
        return found

    def _reach(self, roles: frozenset[str], day: date) -> tuple[TimedLink, ...]:
        held = set(roles)
        used: list[TimedLink] = []
        pending = [link for link in self.timed_links if link.in_force(day)]
        with self._lock:
            links = self.enforcer.get_role_manager()
            grown = True
            while grown:
                grown = False
                for link in list(pending):
                    if link.member in held or any(links.has_link(role, link.member) for role in held):
                        used.append(link)
                        pending.remove(link)
                        held.add(link.role)
                        grown = True
        return tuple(used)

    def decisions(self, subject: Subject) -> Decisions:
        """The (cached) decisions for ``subject`` under this policy version."""
        found = self._decisions.get(subject)
        if found is None:
            found = self._decisions.setdefault(subject, Decisions(self, subject))
        return found

    def groups_of(self, coordinate: str) -> set[str]:
        """The groups a coordinate belongs to (its data classes and ``g2`` groups), e.g. ``{"group:financial"}``."""
        declared = self.vocabulary.data_classes if self.vocabulary is not None else frozenset()
        with self._lock:
            links = self.enforcer.get_named_role_manager("g2")
            groups = {rule[1] for rule in self.enforcer.get_named_grouping_policy("g2")}
            groups |= {class_group(name) for name in declared}
            return {group for group in groups if links.has_link(coordinate, group)}

    def classes_of(self, coordinate: str) -> tuple[str, ...]:
        """A coordinate's data classes as groups (``("group:financial", "group:credit")``), the main
        one first: those its field declares, else the one ``g2`` group it is in (cached)."""
        found = self._classes.get(coordinate)
        if found is None:
            declared = self.vocabulary.classes.get(coordinate) if self.vocabulary is not None else None
            if declared:
                found = tuple(class_group(name) for name in declared)
            else:
                found = tuple(sorted(self.groups_of(coordinate)))[:1]
            self._classes[coordinate] = found
        return found

    def group_of(self, coordinate: str) -> str | None:
        """The main group (data class) of a coordinate; None when it is in none."""
        classes = self.classes_of(coordinate)
        return classes[0] if classes else None

    def object_patterns(self) -> set[str]:
        """Every object a ``p`` line names and every coordinate pattern a ``g2`` line names."""
        with self._lock:
            objects = {rule[1] for rule in self.enforcer.get_policy()}
            patterns = {rule[0] for rule in self.enforcer.get_named_grouping_policy("g2")}
            groups = {rule[1] for rule in self.enforcer.get_named_grouping_policy("g2")}
        return (objects - groups) | patterns

    def known_roles(self) -> frozenset[str]:
        """The roles this policy declares: every name in a ``g`` line (``g, credit_approver, staff``).

        A role appears in a ``g`` line or it does not exist: a ``p`` line or a token naming any
        other role is a typo, not a new role.
        """
        if self._known_roles is None:  # asked on every request: computed once (the policy never changes)
            with self._lock:
                self._known_roles = frozenset(
                    name for line in self.enforcer.get_grouping_policy() for name in line[:2]
                )
        return self._known_roles

    @functools.cached_property
    def digest(self) -> str:
        """A hash of the rules in force (order-insensitive): equal on every instance holding the
        same policy, whatever the store or the order of its lines."""
        lines = sorted(",".join([ptype, *values]) for ptype, found in self.rules().items() for values in found)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]

    def rules(self) -> dict[str, list[list[str]]]:
        with self._lock:
            return {
                "p": [list(r) for r in self.enforcer.get_policy()],
                "g": [list(r) for r in self.enforcer.get_grouping_policy()],
                "g2": [list(r) for r in self.enforcer.get_named_grouping_policy("g2")],
            }
