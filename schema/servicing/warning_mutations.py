"""Taking an early warning through its life: acknowledged, measures recorded, closed."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.services import warnings
from schema.context import Info
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id
from schema.mutation_runner import ErrorMember, run_mutation
from schema.servicing.warnings import EarlyWarning, warning_of


@strawberry.input(description="A warning taken on.")
class AcknowledgeEarlyWarningInput:
    id: strawberry.ID = strawberry.field(description="The warning (`EarlyWarning.id`), RAISED.")


@strawberry.input(description="The measures taken on a warning.")
class RecordEarlyWarningMeasuresInput:
    id: strawberry.ID = strawberry.field(description="The warning (`EarlyWarning.id`), ACKNOWLEDGED.")
    measures: str = strawberry.field(description="What was done (1–4000 characters).")


@strawberry.input(description="A warning closed.")
class CloseEarlyWarningInput:
    id: strawberry.ID = strawberry.field(description="The warning (`EarlyWarning.id`), MEASURES_TAKEN.")
    note: str | None = strawberry.field(default=None, description="Why it is closed (1–4000 characters).")


@strawberry.type(description="The warning as it is now.")
class EarlyWarningPayload:
    early_warning: EarlyWarning | None = strawberry.field(
        description="The warning; null (with an error) for a caller who may not read warnings."
    )


EarlyWarningResult = Annotated[
    EarlyWarningPayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union(
        "EarlyWarningResult",
        description="The warning one step further, or why nothing changed (a step out of order is "
        "InvalidInputError at `input.id`, naming the warning's status).",
    ),
]


async def _step(info: Info, raw_id: str, step: str, text: str | None = None) -> ErrorMember:
    ctx = info.context

    async def act(session: AsyncSession) -> EarlyWarningPayload:
        warning_id = decode_global_id(raw_id, "EarlyWarning", "input.id")
        found = await warnings.advance(session, principal=ctx.principal, scope=ctx.scope, warning_id=warning_id,
                                       step=step, text=text)
        return EarlyWarningPayload(early_warning=warning_of(found))

    return await run_mutation(info, act)


@strawberry.type
class WarningMutation:
    @strawberry.mutation(description="Acknowledge a RAISED warning: someone has taken it on.")
    async def acknowledge_early_warning(
        self, info: Info, input: Annotated[AcknowledgeEarlyWarningInput, strawberry.argument(description="Which.")]
    ) -> EarlyWarningResult:
        return await _step(info, input.id, "acknowledge")  # type: ignore[no-any-return]

    @strawberry.mutation(description="Record the measures taken on an ACKNOWLEDGED warning.")
    async def record_early_warning_measures(
        self, info: Info,
        input: Annotated[RecordEarlyWarningMeasuresInput, strawberry.argument(description="The measures.")],
    ) -> EarlyWarningResult:
        return await _step(info, input.id, "measures", input.measures)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Close a warning whose measures are recorded.")
    async def close_early_warning(
        self, info: Info, input: Annotated[CloseEarlyWarningInput, strawberry.argument(description="Which, and why.")]
    ) -> EarlyWarningResult:
        return await _step(info, input.id, "close", input.note)  # type: ignore[no-any-return]
