"""Errors as data for mutations (typed union members) and ``extensions.code`` for the rest."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from api.errors import Conflict, DomainError, InvalidInput, NotFound
from api.services.complaint_states import TransitionNotAllowed
from api.services.grading import GradingFailed
from schema.complaints.enums import ComplaintStatusEnum


@strawberry.interface(description="An expected business failure, returned as data by a mutation.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. BAD_USER_INPUT.")
    message: str = strawberry.field(description="What went wrong, for a person.")


@strawberry.type(description="One input field that was refused, and why.")
class FieldProblem:
    field: str = strawberry.field(description="Path of the field in the input, e.g. `input.creditCode`.")
    message: str = strawberry.field(description="Why the value was refused.")


@strawberry.type(description="Some input was invalid; nothing was written.")
class InvalidInputError(UserError):
    problems: list[FieldProblem] = strawberry.field(description="Every refused field.")


@strawberry.type(description="The entity does not exist (or is out of the caller's reach); nothing was written.")
class NotFoundError(UserError):
    field: str = strawberry.field(description="The input field holding the unknown id.")


@strawberry.type(
    description="The entity changed since it was read (stale `version`); nothing was written. "
    "Reload it and apply the change again."
)
class ConflictError(UserError):
    current_version: int | None = strawberry.field(
        description="The entity's version now, when known."
    )


@strawberry.type(
    description="The strategy could not grade (it failed, answered nonsense or took too long); nothing was stored."
)
class GradingFailedError(UserError):
    strategy_id: str = strawberry.field(description="The strategy that failed.")


@strawberry.type(
    description="The complaint's state does not allow this step; nothing was written. `allowed` lists the states "
    "it can move to."
)
class TransitionNotAllowedError(UserError):
    current: ComplaintStatusEnum = strawberry.field(description="The complaint's state now.")
    attempted: ComplaintStatusEnum = strawberry.field(description="The state the step would have moved it to.")
    allowed: list[ComplaintStatusEnum] = strawberry.field(description="The states it can move to from here.")


def error_result(
    exc: DomainError,
) -> InvalidInputError | NotFoundError | ConflictError | GradingFailedError | TransitionNotAllowedError:
    """The union member that reports ``exc`` as data."""
    if isinstance(exc, InvalidInput):
        return InvalidInputError(
            code=exc.code,
            message=exc.message,
            problems=[FieldProblem(field=p.field, message=p.message) for p in exc.problems],
        )
    if isinstance(exc, NotFound):
        return NotFoundError(code=exc.code, message=exc.message, field=exc.field)
    if isinstance(exc, Conflict):
        return ConflictError(code=exc.code, message=exc.message, current_version=exc.current_version)
    if isinstance(exc, GradingFailed):
        return GradingFailedError(code=exc.code, message=exc.message, strategy_id=exc.strategy_id)
    if isinstance(exc, TransitionNotAllowed):
        return TransitionNotAllowedError(code=exc.code, message=exc.message, current=exc.current,
                                         attempted=exc.attempted, allowed=list(exc.allowed))
    raise exc


def graphql_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    """A top-level error carrying ``extensions.code``."""
    return GraphQLError(message, extensions={"code": code, **extensions})
