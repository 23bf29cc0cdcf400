"""Policy administration: see the rules in force, reload them, change stored rules.

A policy that fails its checks (``api.authz.validation``) is answered with ``PolicyRejectedError``
naming each problem's line, and the policy in force stays; each change, made or refused, is
audited with its diff and the resulting digest.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import strawberry

from api.authz.decision_table import DecisionRow
from api.authz.policy import Policy
from api.authz.store import PolicyRejected, diff
from api.authz.validation import Expectation, Problem
from api.errors import InvalidInput
from api.services import audit
from schema.context import Info
from schema.errors import ConflictError, InvalidInputError, UserError, error_result


@strawberry.type(
    description="One policy line: `p, role, object, action, effect`, `g, role, parent` or `g2, coordinate, group`."
)
class PolicyRule:
    ptype: str = strawberry.field(description="`p`, `g` or `g2`.")
    values: list[str] = strawberry.field(description="The line's values in order.")


@strawberry.type(description="The policy in force.")
class PolicyInfo:
    version: int = strawberry.field(
        description="Increases each time a policy with different rules comes into force in this process."
    )
    digest: str = strawberry.field(
        description="A hash of the rules in force, equal on every worker and instance holding the same rules: "
        "the policy's version across processes (also on /readyz and in the audit log)."
    )
    source: str = strawberry.field(description="Where it was loaded from (`file:…` or `database`).")
    rules: list[PolicyRule] = strawberry.field(description="Every line.")


@strawberry.input(description="One policy line to add or remove.")
class PolicyRuleInput:
    ptype: str = strawberry.field(description="`p`, `g` or `g2`.")
    values: list[str] = strawberry.field(description="`p`: role, object, action, allow|deny; `g`/`g2`: two names.")


@strawberry.input(
    description="A decision the change is meant to alter, as a row of the decision table (`decisions.csv`): "
    "it replaces the row asking the same question (roles, agreement, object, action), or is added."
)
class PolicyDecisionInput:
    roles: list[str] = strawberry.field(description="The principal's roles (none: a principal without a role).")
    agreement: bool = strawberry.field(default=True, description="Whether they hold a valid confidentiality agreement.")
    object: str = strawberry.field(
        description="A schema coordinate (`Customer.financialStatements`) or `rows:Customer`."
    )
    action: str = strawberry.field(
        description="`read` or `write` for a coordinate; `own`, `branch`, `all` or `consented` for `rows:Customer`."
    )
    expected: str = strawberry.field(
        description="The outcome after the change: `allow`, `masked`, `consent` or `deny` for `read`; "
        "otherwise `allow` or `deny`."
    )
    why: str = strawberry.field(default="", description="The reason, in words (kept with the policy version).")


@strawberry.input(description="Policy lines to add and remove (database store only).")
class ChangePolicyInput:
    add: list[PolicyRuleInput] = strawberry.field(default_factory=list, description="Lines to add.")
    remove: list[PolicyRuleInput] = strawberry.field(
        default_factory=list, description="Lines to remove, as they are written now."
    )
    decisions: list[PolicyDecisionInput] = strawberry.field(
        default_factory=list,
        description="The decisions this change is meant to alter. The changed policy must still make every "
        "decision of the decision table, except these, which it must make as given here.",
    )


@strawberry.type(description="The policy after the change.")
class PolicyPayload:
    policy: PolicyInfo = strawberry.field(description="The policy in force now.")
    added: list[str] = strawberry.field(
        description="Lines that came into force, as written in policy.csv (none when the rules did not change)."
    )
    removed: list[str] = strawberry.field(description="Lines that went out of force.")


@strawberry.type(description="One reason a policy was refused.")
class PolicyProblem:
    location: str = strawberry.field(
        description="Where `line` counts: `policy.csv` or `decisions.csv` (line numbers from 1), `casbin_rule` "
        "(a row id), `input.add`, `input.remove` or `input.decisions` (indexes from 0), or `policy` (the whole)."
    )
    line: int | None = strawberry.field(description="The line, row or index; null for the policy as a whole.")
    message: str = strawberry.field(description="What is wrong with it.")


@strawberry.type(
    description="The policy was refused: it is malformed, names a role, field, group or action that does not "
    "exist, is empty, or changes a decision of the decision table without saying so. The policy in force is "
    "unchanged and nothing was written."
)
class PolicyRejectedError(UserError):
    problems: list[PolicyProblem] = strawberry.field(description="Every problem found.")
    digest: str = strawberry.field(description="The digest of the policy still in force.")


PolicyResult = Annotated[
    PolicyPayload | InvalidInputError | PolicyRejectedError | ConflictError,
    strawberry.union("PolicyResult", description="The policy after the change, or why nothing changed."),
]
ReloadPolicyResult = Annotated[
    PolicyPayload | PolicyRejectedError | ConflictError,
    strawberry.union("ReloadPolicyResult", description="The policy now in force, or why the one in force stays."),
]
POLICY_REJECTED = "POLICY_REJECTED"


def _info(policy: Policy) -> PolicyInfo:
    return PolicyInfo(
        version=policy.version,
        digest=policy.digest,
        source=policy.source,
        rules=[PolicyRule(ptype=ptype, values=values) for ptype, lines in policy.rules().items() for values in lines],
    )


def _lines(rules: list[PolicyRuleInput]) -> list[list[str]]:
    """The input's lines; whether each is a sound rule is the policy check's to say, by index."""
    return [[rule.ptype.strip(), *(value.strip() for value in rule.values)] for rule in rules]


def _decisions(decisions: list[PolicyDecisionInput]) -> list[Expectation]:
    return [
        Expectation(DecisionRow(
            line=index, roles=frozenset(role.strip() for role in decision.roles if role.strip()),
            agreement=decision.agreement, object=decision.object.strip(), action=decision.action.strip(),
            expected=decision.expected.strip().lower(), why=decision.why.strip(),
        ), "input.decisions")
        for index, decision in enumerate(decisions)
    ]


def _rejected(exc: PolicyRejected, in_force: Policy) -> PolicyRejectedError:
    return PolicyRejectedError(
        code=POLICY_REJECTED,
        message=f"the policy was refused ({len(exc.problems)} problems); the policy in force is unchanged",
        problems=[_problem(problem) for problem in exc.problems],
        digest=in_force.digest,
    )


def _problem(problem: Problem) -> PolicyProblem:
    return PolicyProblem(location=problem.location, line=problem.line, message=problem.message)


async def _audit(info: Info, detail: dict[str, Any]) -> None:
    """Policy changes are the most sensitive writes there are: each is on record, refused ones too.

    The detail (JSON) names the lines added and removed and the digest in force afterwards: with
    the rules kept per digest (``policy_version``), the policy at any past time can be rebuilt.
    """
    ctx = info.context
    event = ctx.audit.event("write", f"Mutation.{info.field_name}", None, detail=json.dumps(detail, sort_keys=True))
    async with ctx.writing() as session:
        await audit.append(session, [event])


def _changed(before: Policy, after: Policy, added: list[str], removed: list[str]) -> dict[str, Any]:
    return {"outcome": "changed" if added or removed else "unchanged", "source": after.source,
            "version": after.version, "digest": after.digest, "previousDigest": before.digest,
            "added": added, "removed": removed}


def _refused(exc: PolicyRejected, in_force: Policy) -> dict[str, Any]:
    return {"outcome": "rejected", "source": exc.source, "version": in_force.version, "digest": in_force.digest,
            "problems": [str(problem) for problem in exc.problems]}


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="The policy in force (administrators).")
    def policy(self, info: Info) -> PolicyInfo | None:
        return _info(info.context.policies.current)


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(
        description="Reload the policy from its store without a restart, here at once; every other worker "
        "follows within the polling bound. A policy that fails its checks is refused and the one in force stays."
    )
    async def reload_policies(self, info: Info) -> ReloadPolicyResult:
        holder = info.context.policies
        before = holder.current
        try:
            policy = await holder.reload()
        except PolicyRejected as exc:
            await _audit(info, _refused(exc, holder.current))
            return _rejected(exc, holder.current)
        added, removed = diff(before, policy)
        await _audit(info, _changed(before, policy, added, removed))
        return PolicyPayload(policy=_info(policy), added=added, removed=removed)

    @strawberry.mutation(
        description="Add and remove policy lines. Only with CREDITCARE_POLICY_STORE=database; other "
        "instances follow through the watcher, or within the polling bound. A change that fails the policy's "
        "checks is refused and nothing is written."
    )
    async def change_policy_rules(
        self, info: Info, input: Annotated[ChangePolicyInput, strawberry.argument(description="The change.")]
    ) -> PolicyResult:
        holder = info.context.policies
        before = holder.current
        add, remove = _lines(input.add), _lines(input.remove)
        try:
            if not add and not remove:
                raise InvalidInput.one("input", "nothing to add or remove")
            change = await holder.change(add, remove, _decisions(input.decisions))
        except InvalidInput as exc:
            return error_result(exc)  # type: ignore[return-value]
        except PermissionError as exc:
            return error_result(InvalidInput.one("input", str(exc)))  # type: ignore[return-value]
        except PolicyRejected as exc:
            await _audit(info, _refused(exc, holder.current))
            return _rejected(exc, holder.current)
        await _audit(info, _changed(before, change.policy, change.added, change.removed))
        return PolicyPayload(policy=_info(change.policy), added=change.added, removed=change.removed)
