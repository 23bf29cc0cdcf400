"""Reading policy test suites (YAML) and linting them against the policy and the schema.

A suite names only things that exist: roles of the policy, principals and customers of the
suite, coordinates and data classes of the schema, the check kinds and the outcomes. Anything
else is a problem with its file and line, never a check that quietly comes out ``deny``. The
format, in short (``policies/README.md`` walks through it)::

    suite: What risk experts see
    now: 2026-11-30                      # a date (its start, in the lender's time zone) or a date and time
    branches: [HZ01, SH01]               # every branch the suite names
    principals:
      rita:                              # the username (token sub)
        roles: [risk_expert]
        branch: SH01                     # the staff record's branch
        agreement: {signed: 2024-01-01, expires: 2027-01-01}   # or: none, or: signed
    resources:
      hz_customer:                       # a customer
        branch: HZ01
        owner: hana                      # its relationship manager (a principal of the suite)
        consents:
          - {third_party: bureau, groups: [basic, financial], from: 2026-01-01, until: 2027-01-01}
    cases:
      - name: a risk expert reads any branch's statements
        principal: rita                  # or principals: [..]
        resource: hz_customer            # or resources: [..]; none: questions about no customer
        now: 2026-12-01                  # optional, else the suite's
        rows: allow                      # the customer is visible (allow) or does not exist to them (not_found)
        read:
          Customer.financialStatements: allow
          group:identity: deny           # every field of the data class
        write:
          Mutation.updateCustomer: deny
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from casbin.util import key_match
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from api.authz.caller import ROLES_WITHOUT_STAFF_RECORD
from api.authz.policy import ATTRIBUTES, CUSTOMER_ROWS, THIRD_PARTY, Policy
from api.authz.policy_suite import (
    GROUP_PREFIX,
    MUTATION,
    OUTCOMES,
    SCHEMA_PREFIX,
    Actor,
    Agreement,
    Case,
    Check,
    ConsentFact,
    CustomerFacts,
    Kind,
    Outcome,
    Suite,
)
from api.authz.validation import Problem
from api.services.access import ConsentGroup

SUITE_KEYS = ("suite", "description", "now", "branches", "principals", "resources", "cases")
PRINCIPAL_KEYS = ("roles", "branch", "agreement")
AGREEMENT_KEYS = ("signed", "expires")
RESOURCE_KEYS = ("kind", "branch", "owner", "consents")
CONSENT_KEYS = ("third_party", "groups", "from", "until", "revoked")
CASE_KEYS = ("name", "why", "principal", "principals", "resource", "resources", "now", "read", "write", "rows")
SUFFIXES = (".yaml", ".yml")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A consent revoked without a date was revoked before any moment a case can name.
_LONG_AGO = datetime(1, 1, 2, tzinfo=UTC)


def suite_files(directory: Path) -> list[Path]:
    """The suite files of a directory (``*.yaml``, ``*.yml``), in name order."""
    return sorted(path for path in directory.iterdir() if path.is_file() and path.suffix in SUFFIXES)


def read_suite(path: Path, policy: Policy, timezone: str) -> tuple[Suite | None, list[Problem]]:
    """The suite in ``path``, or None and every problem found in it (each with its line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), None, f"cannot be read: {exc}")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(str(path), line, f"not valid YAML: {reason}")]
    reader = _Reader(path, policy, timezone)
    suite = reader.suite(root)
    return (suite if not reader.problems else None), reader.problems


class _Reader:
    """Walks a suite's YAML nodes, building the suite and noting every problem with its line."""

    def __init__(self, path: Path, policy: Policy, timezone: str) -> None:
        if policy.vocabulary is None:
            raise ValueError("linting a suite needs the policy's vocabulary (the schema's coordinates)")
        self.path = path
        self.policy = policy
        self.vocabulary = policy.vocabulary
        self.zone = ZoneInfo(timezone)
        self.problems: list[Problem] = []
        self.roles = policy.known_roles()
        rules = policy.rules()
        self.groups = {line[1] for line in rules["g2"]}
        self.schema_objects = {line[1] for line in rules["p"] if line[1].startswith(SCHEMA_PREFIX)}
        self.branches: set[str] | None = None
        self.principals: dict[str, Actor] = {}
        self.customers: dict[str, CustomerFacts] = {}

    # --- the suite ---------------------------------------------------------------------------

    def suite(self, root: Node | None) -> Suite | None:
        if root is None:
            self.problem(None, "the file is empty: a suite has principals and cases")
            return None
        fields = self.mapping(root, "the suite", SUITE_KEYS)
        if fields is None:
            return None
        name = self.text(fields["suite"][1], "suite") if "suite" in fields else None
        if "suite" not in fields:
            self.problem(root, "a suite has a name (suite: …)")
        now = self.moment(fields["now"][1], "now") if "now" in fields else None
        if "branches" in fields:
            self.branches = {value for value, _node in self.names(fields["branches"][1], "branches")}
        if "principals" in fields:
            self.read_principals(fields["principals"][1])
        else:
            self.problem(root, "a suite names its principals (principals: …)")
        if "resources" in fields:
            self.read_customers(fields["resources"][1])
        cases: list[Case] = []
        if "cases" in fields:
            cases = self.read_cases(fields["cases"][1], now)
        else:
            self.problem(root, "a suite has cases (cases: …)")
        return Suite(self.path, name or self.path.stem, self.principals, self.customers, tuple(cases))

    # --- principals and customers --------------------------------------------------------------

    def read_principals(self, node: Node) -> None:
        for key, spec in (self.mapping(node, "principals", None) or {}).values():
            name = key.value
            fields = self.mapping(spec, f"principal {name}", PRINCIPAL_KEYS)
            if fields is None:
                continue
            named = self.names(fields["roles"][1], "roles") if "roles" in fields else []
            roles = frozenset(value for value, role_node in named if self.known_role(value, role_node))
            if "roles" not in fields:
                self.problem(spec, f"principal {name} has roles (roles: [...], or [] for none)")
            branch = self.branch(fields["branch"][1]) if "branch" in fields else None
            if roles - ROLES_WITHOUT_STAFF_RECORD and branch is None and "roles" in fields:
                self.problem(spec, f"principal {name} has no branch: the service serves staff only with a staff "
                                   "record, and a staff record has a branch (branch: …)")
            agreement = Agreement()
            if "agreement" in fields:
                agreement = self.agreement(fields["agreement"][1], name)
                if roles and roles <= {THIRD_PARTY}:
                    self.problem(fields["agreement"][0], f"{name} is a third party, bound by the customer's consent, "
                                                         "not by an agreement: leave agreement out")
            elif roles - {THIRD_PARTY}:
                self.problem(spec, f"say whether {name} holds a confidentiality agreement (agreement: none, "
                                   "signed, or {signed: YYYY-MM-DD, expires: YYYY-MM-DD})")
            self.principals[name] = Actor(name, roles, branch, agreement)

    def known_role(self, value: str, node: Node) -> bool:
        if value in self.roles:
            return True
        if value in ATTRIBUTES:
            self.problem(node, f"{value!r} is an attribute the service adds, not a role: give the principal's "
                               "agreement instead (nda:none is added for a missing one)")
        else:
            self.problem(node, f"unknown role {value!r}: the policy's roles are those its g lines name"
                               + _near(value, self.roles))
        return False

    def branch(self, node: Node) -> str | None:
        value = self.text(node, "branch")
        if value is None:
            return None
        if self.branches is None:
            self.problem(node, "declare the suite's branches (branches: [HZ01, …]) so a mistyped branch is caught")
            self.branches = set()
        elif value not in self.branches:
            self.problem(node, f"unknown branch {value!r}: not in the suite's branches" + _near(value, self.branches))
        return value

    def agreement(self, node: Node, name: str) -> Agreement:
        if isinstance(node, ScalarNode):
            if node.value == "none":
                return Agreement()
            if node.value == "signed":
                return Agreement(signed=date.min)
            self.problem(node, f"agreement of {name}: none, signed, or {{signed: YYYY-MM-DD, expires: YYYY-MM-DD}}, "
                               f"not {node.value!r}")
            return Agreement()
        fields = self.mapping(node, f"the agreement of {name}", AGREEMENT_KEYS)
        if fields is None:
            return Agreement()
        if "signed" not in fields:
            self.problem(node, f"the agreement of {name} has the date it was signed (signed: YYYY-MM-DD)")
            return Agreement()
        signed = self.day(fields["signed"][1], "signed")
        expires = self.day(fields["expires"][1], "expires") if "expires" in fields else None
        if signed is not None and expires is not None and expires <= signed:
            self.problem(fields["expires"][1], f"the agreement of {name} expires before it is signed")
        return Agreement(signed, expires)

    def read_customers(self, node: Node) -> None:
        for key, spec in (self.mapping(node, "resources", None) or {}).values():
            name = key.value
            fields = self.mapping(spec, f"resource {name}", RESOURCE_KEYS)
            if fields is None:
                continue
            if "kind" in fields and self.text(fields["kind"][1], "kind") not in (None, "customer"):
                self.problem(fields["kind"][1], "the only kind of resource is customer")
            branch = self.branch(fields["branch"][1]) if "branch" in fields else None
            if "branch" not in fields:
                self.problem(spec, f"customer {name} has a branch (branch: …)")
            owner = None
            if "owner" in fields:
                owner = self.text(fields["owner"][1], "owner")
                if owner is not None and owner not in self.principals:
                    self.problem(fields["owner"][1], f"the owner (relationship manager) {owner!r} is not a principal "
                                                     "of the suite" + _near(owner, self.principals))
            consents = []
            if "consents" in fields:
                consents = self.consents(fields["consents"][1], name)
            self.customers[name] = CustomerFacts(name, branch or "", owner, tuple(consents))

    def consents(self, node: Node, customer: str) -> list[ConsentFact]:
        if not isinstance(node, SequenceNode):
            self.problem(node, f"the consents of {customer} are a list (- third_party: …)")
            return []
        found = []
        for item in node.value:
            fields = self.mapping(item, "a consent", CONSENT_KEYS)
            if fields is None:
                continue
            missing = [key for key in ("third_party", "groups", "from") if key not in fields]
            if missing:
                self.problem(item, f"a consent names {', '.join(missing)}")
                continue
            third_party = self.text(fields["third_party"][1], "third_party") or ""
            actor = self.principals.get(third_party)
            if actor is None:
                self.problem(fields["third_party"][1], f"{third_party!r} is not a principal of the suite"
                                                       + _near(third_party, self.principals))
            elif THIRD_PARTY not in actor.roles:
                self.problem(fields["third_party"][1], f"consents are given to third parties: {third_party} does not "
                                                       "hold the third_party role")
            groups = set()
            allowed = [group.value for group in ConsentGroup]
            for value, group_node in self.names(fields["groups"][1], "groups"):
                if value in allowed:
                    groups.add(value)
                else:
                    self.problem(group_node, f"unknown consent group {value!r}: one of {', '.join(allowed)}"
                                             + _near(value, allowed))
            start = self.moment(fields["from"][1], "from")
            until = self.moment(fields["until"][1], "until") if "until" in fields else None
            if start is not None and until is not None and until <= start:
                self.problem(fields["until"][1], "the consent ends before it starts")
            revoked = self.revoked(fields["revoked"][1]) if "revoked" in fields else None
            if start is not None:
                label = f"{self.path.name} line {_line(item)}"
                found.append(ConsentFact(third_party, frozenset(groups), start, until, revoked, label))
        return found

    def revoked(self, node: Node) -> datetime | None:
        if isinstance(node, ScalarNode) and node.value in ("true", "false"):
            return _LONG_AGO if node.value == "true" else None
        return self.moment(node, "revoked (a date, or true)")

    # --- cases -----------------------------------------------------------------------------------

    def read_cases(self, node: Node, now: datetime | None) -> list[Case]:
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, "cases are a list with at least one case (- principal: …)")
            return []
        cases = []
        for item in node.value:
            case = self.case(item, now)
            if case is not None:
                cases.append(case)
        return cases

    def case(self, node: Node, now: datetime | None) -> Case | None:
        fields = self.mapping(node, "a case", CASE_KEYS)
        if fields is None:
            return None
        principals = self.references(fields, "principal", self.principals, "principal")
        if not principals and "principal" not in fields and "principals" not in fields:
            self.problem(node, "a case names its principal (principal: …, or principals: [...])")
        customers: Sequence[str | None] = self.references(fields, "resource", self.customers, "resource") or [None]
        at = self.moment(fields["now"][1], "now") if "now" in fields else now
        if at is None and "now" not in fields:
            self.problem(node, "no now for this case: give one for the suite or the case "
                               "(decisions depend on the date)")
        checks = self.checks(fields, with_customer=customers != [None])
        if not checks and not {"read", "write", "rows"} & fields.keys():
            self.problem(node, "a case checks something: read, write or rows")
        name = self.text(fields["name"][1], "name") if "name" in fields else None
        why = self.text(fields["why"][1], "why") if "why" in fields else None
        if at is None:
            return None
        return Case(name or f"case at line {_line(node)}", tuple(principals), tuple(customers), at, tuple(checks),
                    _line(node), why or "")

    def references(self, fields: dict[str, tuple[ScalarNode, Node]], key: str, known: Iterable[str],
                   what: str) -> list[str]:
        plural = key + "s"
        if key in fields and plural in fields:
            self.problem(fields[plural][0], f"give {key} or {plural}, not both")
        node = fields[key][1] if key in fields else fields[plural][1] if plural in fields else None
        if node is None:
            return []
        names = []
        given = self.names(node, plural)
        if not given and isinstance(node, SequenceNode):
            self.problem(node, f"an empty list of {plural}: the case would check nothing")
        for value, value_node in given:
            if value in known:
                names.append(value)
            else:
                self.problem(value_node, f"unknown {what} {value!r}: not in the suite's {plural}" + _near(value, known))
        return names

    def checks(self, fields: dict[str, tuple[ScalarNode, Node]], with_customer: bool) -> list[Check]:
        checks = []
        for kind in (Kind.READ, Kind.WRITE):
            if kind.value not in fields:
                continue
            entries = self.mapping(fields[kind.value][1], kind.value, None)
            if entries is None:
                continue
            if not entries:
                self.problem(fields[kind.value][0], f"{kind.value} names nothing to check")
            for key, value in entries.values():
                target = key.value
                if self.target(kind, target, key):
                    expected = self.outcome(kind, value, with_customer)
                    if expected is not None:
                        checks.append(Check(kind, target, expected, _line(key)))
        if "rows" in fields:
            key, value = fields["rows"]
            if not with_customer:
                self.problem(key, "rows asks whether a customer is visible: name the case's resource")
            expected = self.outcome(Kind.ROWS, value, with_customer)
            if expected is not None:
                checks.append(Check(Kind.ROWS, CUSTOMER_ROWS, expected, _line(key)))
        return checks

    def target(self, kind: Kind, target: str, node: Node) -> bool:
        """Whether ``target`` names something that exists and fits ``kind``; a problem otherwise."""
        coordinates = self.vocabulary.coordinates
        if kind is Kind.WRITE:
            if not target.startswith(MUTATION):
                self.problem(node, f"only mutations are written (Mutation.…): {target!r} is read")
                return False
            mutations = {c for c in coordinates if c.startswith(MUTATION)}
            if target in mutations:
                return True
            self.problem(node, f"unknown mutation {target!r}" + _near(target, mutations))
            return False
        if target.startswith("rows:"):
            self.problem(node, "whether a customer is visible is asked with rows: allow|not_found, not read")
            return False
        if target.startswith(MUTATION):
            self.problem(node, f"a mutation is written, not read: put {target} under write")
            return False
        if target.startswith(SCHEMA_PREFIX):
            if any(key_match(target, pattern) for pattern in self.schema_objects):
                return True
            self.problem(node, f"no rule of the policy names {target!r}" + _near(target, self.schema_objects))
            return False
        if target.startswith(GROUP_PREFIX):
            name = target.removeprefix(GROUP_PREFIX)
            known = {GROUP_PREFIX + c for c in self.vocabulary.data_classes} | self.groups
            if target in known:
                return True
            self.problem(node, f"unknown data class or group {name!r}: neither a data class of the schema nor a g2 "
                               "group of the policy" + _near(target, known))
            return False
        if "*" in target:
            self.problem(node, f"name one field, not a pattern ({target}); a whole data class is group:<class>")
            return False
        if target in coordinates:
            return True
        self.problem(node, f"unknown coordinate {target!r}: no such field in the schema" + _near(target, coordinates))
        return False

    def outcome(self, kind: Kind, node: Node, with_customer: bool) -> Outcome | None:
        value = self.text(node, "the expected outcome")
        if value is None:
            return None
        allowed = [outcome.value for outcome in OUTCOMES[kind]]
        if value not in allowed:
            self.problem(node, f"unknown outcome {value!r} for {kind.value}: one of {', '.join(allowed)}"
                               + _near(value, allowed))
            return None
        outcome = Outcome(value)
        if outcome is Outcome.CONSENT and with_customer:
            self.problem(node, "consent is the answer without a customer; with one, the consents on file decide: "
                               "allow or deny")
            return None
        if outcome is Outcome.NOT_FOUND and not with_customer:
            self.problem(node, "not_found needs a customer: name the case's resource")
            return None
        return outcome

    # --- YAML nodes ------------------------------------------------------------------------------

    def problem(self, node: Node | None, message: str) -> None:
        self.problems.append(Problem(str(self.path), _line(node), message))

    def mapping(self, node: Node, what: str, keys: Sequence[str] | None) -> dict[str, tuple[ScalarNode, Node]] | None:
        """A mapping's entries by key; unknown and repeated keys are problems (a repeated key would
        otherwise replace the first silently)."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} is a mapping (key: value)")
            return None
        found: dict[str, tuple[ScalarNode, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.problem(key, f"a key of {what} is a single word")
                continue
            if keys is not None and key.value not in keys:
                self.problem(key, f"unknown key {key.value!r} in {what}: one of {', '.join(keys)}"
                                  + _near(key.value, keys))
                continue
            if key.value in found:
                self.problem(key, f"{key.value!r} is given twice in {what}")
                continue
            found[key.value] = (key, value)
        return found

    def text(self, node: Node, what: str) -> str | None:
        if isinstance(node, ScalarNode) and node.tag != "tag:yaml.org,2002:null" and node.value.strip():
            return str(node.value).strip()
        self.problem(node, f"{what} is a single value")
        return None

    def names(self, node: Node, what: str) -> list[tuple[str, Node]]:
        """One value, or a list of values."""
        if isinstance(node, SequenceNode):
            items = [(self.text(item, f"each of {what}"), item) for item in node.value]
            return [(value, item) for value, item in items if value is not None]
        value = self.text(node, what)
        return [] if value is None else [(value, node)]

    def day(self, node: Node, what: str) -> date | None:
        value = self.text(node, what)
        if value is None:
            return None
        if _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(node, f"{what} is a date (YYYY-MM-DD), not {value!r}")
        return None

    def moment(self, node: Node, what: str) -> datetime | None:
        """A date (its first moment in the lender's time zone) or a date and time (without an offset:
        the lender's time zone)."""
        value = self.text(node, what)
        if value is None:
            return None
        try:
            if _DATE.fullmatch(value):
                return datetime.combine(date.fromisoformat(value), datetime.min.time(), self.zone)
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.problem(node, f"{what} is a date or a date and time (2026-11-30, 2026-11-30T09:30:00+08:00), "
                               f"not {value!r}")
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)


def _line(node: Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _near(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""
