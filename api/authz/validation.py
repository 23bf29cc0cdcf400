"""Checking a candidate policy before it is swapped in: the rules must be well formed, name only
things that exist, and still decide what the decision table expects.

A policy that reaches the enforcer unchecked can break every request (a ``p`` line with three
values makes each decision raise) or deny everyone (an empty or mistyped file). So every way a
policy comes into force (startup, ``reloadPolicies``, a file change, ``changePolicyRules``, another
instance's announcement) builds the candidate here first and swaps it in only without problems.
``problems_in`` is the check of the lines alone (syntax and names; the CLI uses it too);
``check_candidate`` adds building the enforcer and the decision table.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import casbin
from casbin.persist import Adapter
from casbin.util import key_match

from api.authz.decision_table import DecisionRow, check, read_decision_table
from api.authz.policy import ATTRIBUTES, CUSTOMER_ROWS, ROW_KINDS, FieldAccess, Policy, Subject, configure_enforcer
from api.authz.time_bound import window_problem
from api.authz.vocabulary import Vocabulary

PTYPES = ("p", "g", "g2")
EFFECTS = ("allow", "deny")
# What a rule on a coordinate, a group or a data class may grant (``read*``: every kind of read).
ACTIONS = ("read", "read_masked", "read_with_consent", "read_on_team", "write", "read*")
GROUP_PREFIX = "group:"
# Objects outside the schema that other parts of the service decide on (``schema:introspection:…``).
SCHEMA_PREFIX = "schema:"
MAX_VALUE_LENGTH = 200  # stored rules are VARCHAR(255); the rest is headroom
# The whole policy, rather than one of its lines.
WHOLE = "policy"
_READ_OUTCOMES = tuple(access.value for access in FieldAccess)
_DECISION_TABLE_LINE = re.compile(r"line (\d+): (.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class RuleLine:
    """One rule of a candidate policy and where it was written."""

    values: tuple[str, ...]  # ptype first: ("p", "risk_expert", "group:financial", "read", "allow")
    line: int | None  # a file's line number (from 1), a row id, or an index in a mutation's input (from 0)
    location: str = "policy.csv"  # where ``line`` counts: a file name, ``casbin_rule`` or ``input.add``

    @property
    def ptype(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.values[1:]

    def __str__(self) -> str:
        return ", ".join(self.values)


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a candidate policy is refused: where (a file and line, or an input index) and why."""

    location: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.location}: {self.message}"
        if self.location.startswith("input."):
            return f"{self.location}.{self.line}: {self.message}"
        return f"{self.location} line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Expectation:
    """A decision the candidate must make: a decision-table row, and where it was written."""

    row: DecisionRow
    location: str = "decisions.csv"  # the table file (``row.line`` a line number) or ``input.decisions`` (an index)


@dataclass(frozen=True, slots=True)
class Checked:
    """A candidate after checking: the policy to swap in, or why not (never both)."""

    policy: Policy | None
    problems: list[Problem] = field(default_factory=list)


def read_rule_lines(policy_csv: Path) -> list[RuleLine]:
    """The rule lines of a policy file with their line numbers (comments and blank lines skipped).

    Values are split on commas, as Casbin reads them: no quoting, so a value never holds a comma.
    """
    text = policy_csv.read_text(encoding="utf-8")
    return [
        RuleLine(tuple(cell.strip() for cell in raw.split(",")), number, policy_csv.name)
        for number, raw in enumerate(text.splitlines(), start=1)
        if raw.strip() and not raw.lstrip().startswith("#")
    ]


def unique(lines: Iterable[RuleLine]) -> list[RuleLine]:
    """The lines without repeats (the first occurrence stays): a repeated rule changes nothing."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for line in lines:
        if line.values not in seen:
            seen.add(line.values)
            kept.append(line)
    return kept


def digest_of(lines: Iterable[Sequence[str]]) -> str:
    """The digest of a set of rules, computed as ``Policy.digest`` computes it from an enforcer:
    equal wherever the same rules are held, whatever their order or store."""
    return hashlib.sha256(canonical_text(lines).encode()).hexdigest()[:16]


def canonical_text(lines: Iterable[Sequence[str]]) -> str:
    """The rules one per line (``p,role,object,action,effect``), sorted, without repeats: the text
    whose hash is the digest, kept with each policy version."""
    return "\n".join(sorted({",".join(values) for values in lines}))


def problems_in(lines: Sequence[RuleLine], vocabulary: Vocabulary | None) -> list[Problem]:
    """Everything wrong with these rule lines on their own: syntax, unknown roles, objects, groups
    and actions, and an empty policy. Without a vocabulary, schema coordinates are not checked."""
    problems = [problem for line in lines for problem in _syntax(line)]
    well_formed = [line for line in lines if not _syntax(line)]
    names = _Names.of(well_formed, vocabulary)
    for line in well_formed:
        problems.extend(names.check(line))
    if vocabulary is not None:
        problems.extend(guarantee_problems(well_formed, vocabulary))
    if not lines:
        problems.append(Problem(WHOLE, None, "the policy has no rules: it would deny everyone, administrators too"))
    return problems


def check_candidate(
    lines: Sequence[RuleLine],
    vocabulary: Vocabulary | None,
    model_conf: Path,
    expectations: Sequence[Expectation] | None,
    source: str,
) -> Checked:
    """Check a candidate completely and build it: the lines (``problems_in``), then the enforcer,
    then every decision it must make (``expectations``; None: none). Decisions are checked only
    when the lines are sound, since one mistyped line would fail dozens of them and hide the cause."""
    problems = problems_in(lines, vocabulary)
    if problems:
        return Checked(None, problems)
    try:
        policy = build_policy(model_conf, lines, source, vocabulary)
    except Exception as exc:  # a broken model.conf or a rule Casbin cannot take: refused, not raised
        return Checked(None, [Problem(model_conf.name, None, f"the policy cannot be built: {exc}")])
    key = _verdict_key(lines, vocabulary, model_conf, expectations)
    if key in _PASSED:
        return Checked(policy)
    problems = _probe(policy, lines)
    if not problems and expectations is not None:
        problems = decision_problems(policy, expectations)
    if not problems:
        with _PASSED_LOCK:  # candidates are checked in threads, off the event loop
            _PASSED[key] = None
            while len(_PASSED) > _PASSED_KEPT:
                del _PASSED[next(iter(_PASSED))]
    return Checked(None if problems else policy, problems)


# Candidates that passed, so that the same rules, model, vocabulary and table are decided once per
# process: every worker start, app start in the tests and poll after a comment-only edit would
# otherwise spend about 0.1 s in Casbin on the decision table.
_PASSED: dict[str, None] = {}
_PASSED_KEPT = 16
_PASSED_LOCK = threading.Lock()


def _verdict_key(
    lines: Sequence[RuleLine], vocabulary: Vocabulary | None, model_conf: Path,
    expectations: Sequence[Expectation] | None,
) -> str:
    key = hashlib.sha256(canonical_text(line.values for line in lines).encode())
    # Time-bound links make decisions depend on the day: a verdict holds for the day it was reached.
    key.update(datetime.now(UTC).date().isoformat().encode())
    key.update(model_conf.read_bytes())
    if vocabulary is not None:
        key.update(repr(sorted(vocabulary.coordinates)).encode())
        key.update(repr(sorted((c, tuple(names)) for c, names in vocabulary.classes.items())).encode())
        key.update(repr((sorted(vocabulary.non_null), sorted((t, sorted(e)) for t, e in vocabulary.entrances.items())))
                   .encode())
    key.update(repr([(e.location, e.row) for e in expectations] if expectations is not None else None).encode())
    return key.hexdigest()


def build_policy(model_conf: Path, lines: Sequence[RuleLine], source: str, vocabulary: Vocabulary | None) -> Policy:
    """A policy over ``model_conf`` holding exactly ``lines`` (repeats dropped), built in memory."""
    enforcer = casbin.Enforcer(str(model_conf), _Lines([line.values for line in unique(lines)]))
    return Policy(configure_enforcer(enforcer), source=source, vocabulary=vocabulary)


def decision_problems(policy: Policy, expectations: Sequence[Expectation]) -> list[Problem]:
    """A problem for every expected decision the policy does not make, where that decision was written."""
    location = {id(expectation.row): expectation.location for expectation in expectations}
    try:
        failures = check(policy, [expectation.row for expectation in expectations])
    except Exception as exc:  # deciding must not raise; if it does, the policy is unusable
        return [Problem(WHOLE, None, f"the policy cannot decide: {exc}")]
    return [
        Problem(location[id(failure.row)], failure.row.line, f"{failure.row.describe()}: expected "
                f"{failure.row.expected}, the policy decides {failure.actual}"
                + (f" ({failure.row.why})" if failure.row.why else ""))
        for failure in failures
    ]


def read_decisions(path: Path) -> tuple[list[Expectation], list[Problem]]:
    """The rows of a decision table, or the problem that stops it being read (missing, malformed)."""
    try:
        return [Expectation(row, path.name) for row in read_decision_table(path)], []
    except FileNotFoundError:
        return [], [Problem(path.name, None, "the decision table is missing")]
    except ValueError as exc:
        found = _DECISION_TABLE_LINE.fullmatch(str(exc))
        if found:
            return [], [Problem(path.name, int(found.group(1)), found.group(2))]
        return [], [Problem(path.name, None, str(exc))]


def expected_outcomes(action: str) -> tuple[str, ...]:
    """What a decision-table row may expect for ``action``."""
    return _READ_OUTCOMES if action == "read" else EFFECTS


def expectation_problems(expectations: Sequence[Expectation]) -> list[Problem]:
    """Expected decisions that cannot be checked: no object or action, or an outcome the action cannot have."""
    problems = []
    for expectation in expectations:
        row = expectation.row
        allowed = expected_outcomes(row.action)
        if not row.object or not row.action:
            problems.append(Problem(expectation.location, row.line, "a decision names an object and an action"))
        elif row.expected not in allowed:
            problems.append(Problem(expectation.location, row.line,
                                    f"expected {row.expected!r}: for {row.action} one of {', '.join(allowed)}"))
    return problems


def with_changes(table: Sequence[Expectation], changes: Sequence[Expectation]) -> list[Expectation]:
    """The table with ``changes`` applied: a change replaces the row deciding the same question
    (roles, agreement, object, action) or, when the table has none, is added."""
    by_question = {question(change.row): change for change in changes}
    kept = [by_question.pop(question(expectation.row), expectation) for expectation in table]
    return kept + [change for change in changes if question(change.row) in by_question]


def question(row: DecisionRow) -> tuple[frozenset[str], bool, str, str]:
    """What a decision-table row asks: who (roles, agreement) does what (action) to what (object)."""
    return row.roles, row.agreement, row.object, row.action


def _syntax(line: RuleLine) -> list[Problem]:
    def problem(message: str) -> list[Problem]:
        return [Problem(line.location, line.line, message)]

    if line.ptype not in PTYPES:
        return problem(f"unknown line type {line.ptype!r}: a rule starts with p, g or g2")
    args = line.args
    if line.ptype == "p" and len(args) != 4:
        return problem(f"a p line has 4 values (role, object, action, allow|deny); this one has {len(args)}")
    timed = line.ptype == "g" and len(args) == 4  # a time-bound link (api.authz.time_bound)
    if line.ptype != "p" and len(args) != 2 and not timed:
        also = " (or 4 for a time-bound link: role, role, from, until)" if line.ptype == "g" else ""
        return problem(f"a {line.ptype} line has 2 values{also}; this one has {len(args)}")
    for position, value in enumerate(args, start=1):
        if not value:
            return problem(f"value {position} is empty")
        if len(value) > MAX_VALUE_LENGTH:
            return problem(f"value {position} is longer than {MAX_VALUE_LENGTH} characters")
        if any(character.isspace() or character == "," for character in value):
            return problem(f"value {position} ({value!r}) contains a space or a comma")
    if line.ptype == "p" and args[3] not in EFFECTS:
        return problem(f"the effect is {args[3]!r}: allow or deny")
    window = window_problem(args[2], args[3]) if timed else None
    if window:
        return problem(window)
    if line.ptype == "g2" and not (args[1].startswith(GROUP_PREFIX) and len(args[1]) > len(GROUP_PREFIX)):
        return problem(f"a g2 line puts a coordinate in a group: {args[1]!r} is not group:<name>")
    return []


@dataclass(frozen=True)
class _Names:
    """What a candidate may name: its roles and groups, and the schema's coordinates and classes."""

    roles: frozenset[str]
    groups: frozenset[str]
    vocabulary: Vocabulary | None

    @classmethod
    def of(cls, lines: Sequence[RuleLine], vocabulary: Vocabulary | None) -> _Names:
        roles = frozenset(name for line in lines if line.ptype == "g" for name in line.args[:2])
        groups = {line.args[1] for line in lines if line.ptype == "g2"}
        if vocabulary is not None:
            groups |= {GROUP_PREFIX + name for name in vocabulary.data_classes}
        return cls(roles, frozenset(groups), vocabulary)

    def check(self, line: RuleLine) -> list[Problem]:
        found = []
        if line.ptype == "p":
            subject, obj, action, _effect = line.args
            unknown = self._object(obj)
            # Which actions fit depends on the object: an unknown object says enough.
            found = [self._subject(subject), unknown or self._action(obj, action)]
        elif line.ptype == "g2":
            found = [self._coordinate(line.args[0])]
        return [Problem(line.location, line.line, message) for message in found if message]

    def _subject(self, subject: str) -> str | None:
        if subject in self.roles or subject in ATTRIBUTES:
            return None
        return f"unknown role {subject!r}: a role is declared by a g line (e.g. g, {subject}, staff)" + _near(
            subject, self.roles | ATTRIBUTES
        )

    def _object(self, obj: str) -> str | None:
        if obj == CUSTOMER_ROWS or obj.startswith(SCHEMA_PREFIX):
            return None
        if obj.startswith("rows:"):
            return f"unknown row set {obj!r}: {CUSTOMER_ROWS} is the only one"
        if obj.startswith(GROUP_PREFIX):
            if obj in self.groups:
                return None
            return (f"unknown group {obj!r}: neither a data class of the schema nor a group of a g2 line"
                    + _near(obj, self.groups))
        return self._coordinate(obj)

    def _coordinate(self, coordinate: str) -> str | None:
        if self.vocabulary is None:
            return None
        known = self.vocabulary.coordinates
        if coordinate in known or ("*" in coordinate and any(key_match(c, coordinate) for c in known)):
            return None
        if "*" in coordinate:
            return f"the pattern {coordinate!r} matches no field of the schema"
        return f"unknown coordinate {coordinate!r}: no such field in the schema" + _near(coordinate, known)

    def _action(self, obj: str, action: str) -> str | None:
        allowed = ROW_KINDS if obj == CUSTOMER_ROWS else ACTIONS
        if action in allowed:
            return None
        return f"unknown action {action!r} for {obj}: one of {', '.join(allowed)}" + _near(action, allowed)


# Actions whose denial takes a field's every read away (``read_masked`` alone leaves the full read).
_DENIES_READ = frozenset({"read", "read*"})


def guarantee_problems(
    lines: Sequence[RuleLine], vocabulary: Vocabulary, types: frozenset[str] | None = None
) -> list[Problem]:
    """A ``deny`` that would take away a field the schema declares non-null, while leaving its type.

    A non-null field promises a value to whoever reads its type (a customer's ``name``, a
    statement's ``revenue``): denied on its own it could only be null, and graphql-core would then
    null the object around it and its parents up to the nearest nullable field. So such a field may
    be denied only together with every field that leads to its type (its *entrances*: denying
    ``group:financial`` denies ``Customer.financialStatements`` as well as each statement's figures);
    a root field that is non-null (``Query.me``) may not be denied at all.
    """
    groups: dict[str, list[str]] = {}  # group -> the coordinate patterns its g2 lines put in it
    for line in lines:
        if line.ptype == "g2":
            groups.setdefault(line.args[1], []).append(line.args[0])

    def reaches(obj: str, coordinate: str) -> bool:
        if key_match(coordinate, obj):
            return True
        if not obj.startswith(GROUP_PREFIX):
            return False
        if obj[len(GROUP_PREFIX):] in vocabulary.classes.get(coordinate, ()):
            return True
        return any(key_match(coordinate, pattern) for pattern in groups.get(obj, ()))

    problems = []
    for line in lines:
        if line.ptype != "p" or line.args[3] != "deny" or line.args[2] not in _DENIES_READ:
            continue
        obj = line.args[1]
        for coordinate in sorted(vocabulary.non_null):
            type_name = coordinate.split(".", 1)[0]
            if type_name == "Mutation" or (types is not None and type_name not in types):
                continue
            if not reaches(obj, coordinate):
                continue
            entrances = vocabulary.entrances.get(type_name, frozenset())
            left = sorted(entrance for entrance in entrances if not reaches(obj, entrance))
            if entrances and not left:
                continue
            where = f"while {', '.join(left)} still lead{'s' if len(left) == 1 else ''} to {type_name}" if left else (
                "and every caller reads the root type"
            )
            problems.append(Problem(line.location, line.line, (
                f"denies {coordinate}, which the schema declares non-null (always there for whoever reads "
                f"{type_name}), {where}: deny it only together with its type, or have the field made nullable"
            )))
    return problems


def _near(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    return f" (did you mean {close[0]}?)" if close else ""


def _probe(policy: Policy, lines: Sequence[RuleLine]) -> list[Problem]:
    """Ask the built policy one question per role: what Casbin would raise on a request, it raises here."""
    roles = {line.args[0] for line in lines if line.ptype == "g"}
    try:
        for role in sorted(roles) or [""]:
            policy.allows(Subject(frozenset({role} - {""}), agreement=False), "Query.policy", "read")
    except Exception as exc:
        return [Problem(WHOLE, None, f"the policy cannot decide: {exc}")]
    return []


class _Lines(Adapter):
    """Hands Casbin rules already read and checked (the file adapter would read and not check)."""

    def __init__(self, lines: Sequence[Sequence[str]]) -> None:
        self.lines = lines

    def load_policy(self, model: casbin.model.Model) -> None:
        for ptype, *values in self.lines:
            model.model[ptype[0]][ptype].policy.append(list(values))
