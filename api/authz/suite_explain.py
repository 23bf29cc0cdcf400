"""Why a check comes out as it does: the facts that mattered and the rule lines that made it.

Used by ``creditcare policy explain --customer`` and by the reports of failing suite checks. The
rules are asked of Casbin with ``enforce_ex`` (``Policy.explain``), which names the rule deciding
each request; the facts are the principal's agreement and time-bound links on the day, the
customer's branch, manager and consents at the moment.
"""

from __future__ import annotations

from api.authz.policy import CUSTOMER_ROWS, NO_AGREEMENT, ROW_KINDS, THIRD_PARTY, Policy, Subject
from api.authz.policy_suite import (
    CONSENT_GROUPS,
    GROUP_PREFIX,
    SCHEMA_PREFIX,
    CustomerFacts,
    Evaluator,
    Kind,
    Situation,
    granted,
)
from api.authz.rule_book import RuleBook

_READS = ("read", "read_masked", "read_with_consent", "read_on_team")


def deciding_rules(policy: Policy, subject: Subject, kind: Kind, target: str) -> list[list[str]]:
    """The ``p`` rules (without their ptype) behind a read, a write or the row kinds, in the order asked."""
    found: list[list[str]] = []

    def ask(obj: str, act: str) -> bool:
        allowed, rules = policy.explain(subject, obj, act)
        found.extend(rule for rule in rules if rule not in found)
        return allowed

    if kind is Kind.ROWS:
        for row_kind in ROW_KINDS:
            ask(CUSTOMER_ROWS, row_kind)
    elif kind is Kind.WRITE or target.startswith(SCHEMA_PREFIX):
        ask(target, "write" if kind is Kind.WRITE else "read")
    else:
        classes = () if target.startswith(GROUP_PREFIX) else policy.classes_of(target)
        # A field of several classes is read only as far as each of them allows (Policy.field_access).
        for obj in [target, *classes] if len(classes) > 1 else [target]:
            for act in _READS:
                if ask(obj, act):
                    break
    return found


def principal_facts(situation: Situation, policy: Policy) -> list[str]:
    """Who the principal is on the day, as the policy sees them."""
    actor = situation.actor
    lines = [
        f"principal {actor.name}: roles {', '.join(sorted(actor.roles)) or '(none)'}; "
        f"branch {actor.branch or '(no staff record)'}"
    ]
    if actor.roles - {THIRD_PARTY}:
        counts = "in force" if situation.agreement else "NOT in force"
        lines.append(f"  {actor.agreement.describe()}: {counts} on {situation.day.isoformat()}")
    for link in policy.timed_links:
        if link in situation.links:
            lines.append(f"  acts as {link.role} through `{link}` ({link.window()}: in force on {situation.day})")
        elif link.member in actor.roles:
            lines.append(f"  `{link}` is not in force on {situation.day} ({link.window()}): not {link.role}")
    lines.append(f"  the policy is asked for: {situation.subject.casbin_sub}")
    if NO_AGREEMENT in situation.subject.casbin_sub.split():
        lines.append("  (nda:none: the service adds it to staff without a valid agreement, R-I5)")
    return lines


def customer_facts(situation: Situation, customer: CustomerFacts) -> list[str]:
    """The customer's facts that decide who sees it, at the moment."""
    lines = [f"customer {customer.name}: branch {customer.branch}; relationship manager {customer.owner or '(none)'}"]
    for consent in customer.consents:
        groups = ", ".join(sorted(consent.groups))
        lines.append(f"  consent {consent.label} to {consent.third_party} for {groups}: "
                     f"{consent.state(situation.at)} at {situation.at.isoformat()}")
    if not customer.consents:
        lines.append("  no consents on file")
    return lines


def row_facts(evaluator: Evaluator, situation: Situation, customer: CustomerFacts, book: RuleBook) -> list[str]:
    """Whether the customer is within the principal's rows, and why."""
    kinds = situation.decisions.row_kinds
    shown = ", ".join(kind for kind in ROW_KINDS if kind in kinds) or "none"
    lines = [f"rows: the policy gives {situation.actor.name} the row kinds: {shown}"]
    for rule in deciding_rules(evaluator.policy, situation.subject, Kind.ROWS, CUSTOMER_ROWS):
        lines.append(f"  because: {book.cite_p(rule)}")
    scope, actor = situation.scope, situation.actor
    reasons = []
    if scope.all:
        reasons.append("every customer")
    if scope.branch_code is not None:
        same = "the same branch" if scope.branch_code == customer.branch else "another branch"
        reasons.append(f"branch {scope.branch_code}: the customer is at {customer.branch} ({same})")
    if scope.staff_id is not None:
        mine = "theirs" if customer.owner == actor.name else f"{customer.owner or 'nobody'}'s, not theirs"
        reasons.append(f"own portfolio: the customer is {mine}")
    if scope.third_party is not None:
        in_force = [c.label for c in customer.consents if c.third_party == actor.name and c.in_force(situation.at)]
        reasons.append("consented: " + (f"consent {', '.join(in_force)} in force" if in_force
                                        else f"no consent to {actor.name} in force"))
    for reason in reasons:
        lines.append(f"  {reason}")
    visible = evaluator.visible(situation, customer)
    lines.append("  => visible" if visible else "  => not visible: to this principal the customer does not exist "
                 "(not_found)")
    return lines


def check_facts(
    evaluator: Evaluator, situation: Situation, customer: CustomerFacts | None, kind: Kind, target: str,
    book: RuleBook,
) -> list[str]:
    """The decision on one read or write, the rules behind it and, for a third party, the consents."""
    policy = evaluator.policy
    if kind is Kind.ROWS:
        return []
    lines = []
    hidden = customer is not None and not evaluator.visible(situation, customer)
    if kind is Kind.READ and hidden and not target.startswith(SCHEMA_PREFIX):
        lines.append("(the customer is not visible, so this is moot; were it visible:)")
    if kind is Kind.READ and not target.startswith(SCHEMA_PREFIX):
        classes = () if target.startswith(GROUP_PREFIX) else policy.classes_of(target)
        named = ", ".join(name.removeprefix(GROUP_PREFIX) for name in classes) or "none"
        lines.append(f"{kind.value} {target} (data classes: {named})")
    else:
        lines.append(f"{kind.value} {target}")
    rules = deciding_rules(policy, situation.subject, kind, target)
    for rule in rules:
        lines.append(f"  because: {book.cite_p(rule)}")
    if not rules:
        lines.append("  because: no rule allows it (deny by default)")
    if kind is Kind.READ and customer is not None and not target.startswith((GROUP_PREFIX, SCHEMA_PREFIX)):
        access = situation.decisions.field(target)
        if access.value == "consent":
            needed = sorted({CONSENT_GROUPS.get(name) or f"(no consent covers {name})"
                             for name in policy.classes_of(target)})
            have = sorted(granted(situation, customer))
            lines.append(f"  needs consent to: {', '.join(needed)}; "
                         f"consents in force give: {', '.join(have) or 'nothing'}")
        if access.value == "team":
            lines.append("  shown only on complaints whose investigation team the principal sits on")
    return lines
