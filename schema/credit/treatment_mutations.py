"""Carrying out the treatment's tasks: the exposure reduction plan, early recall decisions, and marking a
task done."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from api.services import treatment_actions
from schema.context import Info
from schema.convert import input_dict
from schema.credit.treatment import TreatmentAction, action_of
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import WriteSession, run_mutation

_LONG = "1–4000 characters"


@strawberry.input(description="An exposure reduction plan: the balance to come down to, by when, and how.")
class PlanExposureReductionInput:
    id: strawberry.ID = strawberry.field(description="The task (`TreatmentAction.id`), of kind EXPOSURE_REDUCTION.")
    version: int = strawberry.field(description="Its version as last read.")
    currency: str = strawberry.field(description="ISO 4217 code: the running facilities in it are measured.")
    target_balance: Decimal = strawberry.field(
        description="The principal outstanding to come down to: at least zero, below the balance now.")
    target_on: date = strawberry.field(description="By which day: after today.")
    plan: str = strawberry.field(description=f"How: repayments agreed, collateral to sell, limits cut ({_LONG}).")


@strawberry.input(description="Whether to recall one facility early.")
class DecideEarlyRecallInput:
    id: strawberry.ID = strawberry.field(description="The task (`TreatmentAction.id`), of kind EARLY_RECALL.")
    version: int = strawberry.field(description="Its version as last read.")
    facility_id: strawberry.ID = strawberry.field(
        description="A running facility of the task's customer (`CreditFacility.id`), not yet decided for this task.")
    recall: bool = strawberry.field(description="True to recall it early; false to let it run.")
    amount: Decimal | None = strawberry.field(
        default=None, description="With a recall: the principal called in (up to the principal outstanding).")
    recall_on: date | None = strawberry.field(default=None, description="With a recall: by which day (not before "
                                              "today).")
    reason: str = strawberry.field(description=f"Why ({_LONG}).")


@strawberry.input(description="A task done.")
class CompleteTreatmentActionInput:
    id: strawberry.ID = strawberry.field(description="The task (`TreatmentAction.id`), open or in progress.")
    version: int = strawberry.field(description="Its version as last read.")
    note: str = strawberry.field(description=f"What was done ({_LONG}).")


@strawberry.type(description="The task as it is now.")
class TreatmentActionPayload:
    treatment_action: TreatmentAction | None = strawberry.field(
        description="The task; null (with an error) for a caller who may not read credit information.")


TreatmentActionResult = Annotated[
    TreatmentActionPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("TreatmentActionResult", description="The task after the change, or why nothing changed."),
]
Answer = TreatmentActionPayload | InvalidInputError | NotFoundError | ConflictError


async def _change(info: Info, step: Any, data: dict[str, Any]) -> Answer:
    ctx = info.context
    action_id = decode_global_id(data.pop("id"), "TreatmentAction", "input.id")
    version = data.pop("version")

    async def act(session: WriteSession) -> TreatmentActionPayload:
        action = await step(session, principal=ctx.principal, scope=ctx.scope, action_id=action_id,
                            expected_version=version, data=data, today=ctx.today)
        return TreatmentActionPayload(treatment_action=action_of(action))

    return await run_mutation(info, act)


@strawberry.type
class TreatmentMutation:
    @strawberry.mutation(
        description="Record or revise an exposure reduction plan (a D-grade customer's task): the target balance "
        "and day are measured against the running facilities' balances (`TreatmentAction.progress`)."
    )
    async def plan_exposure_reduction(
        self, info: Info, input: Annotated[PlanExposureReductionInput, strawberry.argument(description="The plan.")]
    ) -> TreatmentActionResult:
        return await _change(info, treatment_actions.plan_exposure_reduction, input_dict(input))

    @strawberry.mutation(description="Decide whether to recall one facility early (a D-grade customer's task).")
    async def decide_early_recall(
        self, info: Info, input: Annotated[DecideEarlyRecallInput, strawberry.argument(description="The decision.")]
    ) -> TreatmentActionResult:
        data = input_dict(input)
        data["facility_id"] = decode_global_id(data["facility_id"], "CreditFacility", "input.facilityId")
        return await _change(info, treatment_actions.decide_early_recall, data)

    @strawberry.mutation(
        description="Mark a task done with what was done: an exposure reduction task needs its plan, an early "
        "recall task a decision on every running facility."
    )
    async def complete_treatment_action(
        self, info: Info, input: Annotated[CompleteTreatmentActionInput, strawberry.argument(description="The task.")]
    ) -> TreatmentActionResult:
        return await _change(info, treatment_actions.complete_action, input_dict(input))
