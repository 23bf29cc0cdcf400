"""Policy administration: see the rules in force, reload them, change stored rules."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.errors import InvalidInput
from api.services import audit
from schema.context import Info
from schema.errors import InvalidInputError, error_result


@strawberry.type(
    description="One policy line: `p, role, object, action, effect`, `g, role, parent` or `g2, coordinate, group`."
)
class PolicyRule:
    ptype: str = strawberry.field(description="`p`, `g` or `g2`.")
    values: list[str] = strawberry.field(description="The line's values in order.")


@strawberry.type(description="The policy in force.")
class PolicyInfo:
    version: int = strawberry.field(description="Increases with every reload in this process.")
    source: str = strawberry.field(description="Where it was loaded from (`file:…` or `database`).")
    rules: list[PolicyRule] = strawberry.field(description="Every line.")


@strawberry.input(description="One policy line to add or remove.")
class PolicyRuleInput:
    ptype: str = strawberry.field(description="`p`, `g` or `g2`.")
    values: list[str] = strawberry.field(description="`p`: role, object, action, allow|deny; `g`/`g2`: two names.")


@strawberry.input(description="Policy lines to add and remove (database store only).")
class ChangePolicyInput:
    add: list[PolicyRuleInput] = strawberry.field(default_factory=list)
    remove: list[PolicyRuleInput] = strawberry.field(default_factory=list)


@strawberry.type(description="The policy after the change.")
class PolicyPayload:
    policy: PolicyInfo


PolicyResult = Annotated[PolicyPayload | InvalidInputError, strawberry.union("PolicyResult")]


def _info(info: Info) -> PolicyInfo:
    policy = info.context.policies.current
    return PolicyInfo(
        version=policy.version,
        source=policy.source,
        rules=[PolicyRule(ptype=ptype, values=values) for ptype, lines in policy.rules().items() for values in lines],
    )


def _lines(rules: list[PolicyRuleInput], name: str) -> list[list[str]]:
    lines = []
    for index, rule in enumerate(rules):
        where = f"input.{name}.{index}"
        values = [v.strip() for v in rule.values]
        if rule.ptype not in ("p", "g", "g2"):
            raise InvalidInput.one(f"{where}.ptype", "must be p, g or g2")
        if rule.ptype == "p" and (len(values) != 4 or values[3] not in ("allow", "deny")):
            raise InvalidInput.one(f"{where}.values", "a p line is: role, object, action, allow|deny")
        if rule.ptype != "p" and len(values) != 2:
            raise InvalidInput.one(f"{where}.values", "a g or g2 line names two things")
        if not all(values) or any(len(v) > 200 or "," in v for v in values):
            raise InvalidInput.one(f"{where}.values", "values are non-empty, at most 200 characters, without commas")
        lines.append([rule.ptype, *values])
    return lines


async def _audit(info: Info, detail: str) -> None:
    """Policy changes are the most sensitive writes there are: each is on record."""
    ctx = info.context
    async with ctx.writing() as session:
        await audit.append(session, [ctx.audit.event("write", f"Mutation.{info.field_name}", None, detail=detail)])


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="The policy in force (administrators).")
    def policy(self, info: Info) -> PolicyInfo:
        return _info(info)


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(description="Reload the policy from its store without a restart.")
    async def reload_policies(self, info: Info) -> PolicyPayload:
        policy = await info.context.policies.reload()
        await _audit(info, f"reloaded from {policy.source}: version {policy.version}")
        return PolicyPayload(policy=_info(info))

    @strawberry.mutation(
        description="Add and remove policy lines. Only with CREDITCARE_POLICY_STORE=database; other "
        "instances follow through the watcher."
    )
    async def change_policy_rules(self, info: Info, input: ChangePolicyInput) -> PolicyResult:
        try:
            add, remove = _lines(input.add, "add"), _lines(input.remove, "remove")
            if not add and not remove:
                raise InvalidInput.one("input", "nothing to add or remove")
            policy = await info.context.policies.change(add, remove)
            await _audit(info, f"version {policy.version}; added {add}; removed {remove}")
        except InvalidInput as exc:
            return error_result(exc)  # type: ignore[return-value]
        except PermissionError as exc:
            return error_result(InvalidInput.one("input", str(exc)))  # type: ignore[return-value]
        return PolicyPayload(policy=_info(info))
