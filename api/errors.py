"""Domain errors with stable codes; the GraphQL layer turns them into typed results or errors."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every expected business failure; ``code`` is the stable ``extensions.code``."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid input field: its path in the input (camelCase, dotted) and why."""

    field: str
    message: str


class InvalidInput(DomainError):
    """Input that breaks a rule; names every offending field."""

    code = "BAD_USER_INPUT"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls([FieldProblem(field, message)])


class NotFound(DomainError):
    """The entity does not exist, or the caller may not know it exists."""

    code = "NOT_FOUND"

    def __init__(self, entity: str, field: str = "id") -> None:
        super().__init__(f"{entity} not found")
        self.entity = entity
        self.field = field


class Conflict(DomainError):
    """The entity changed since the caller read it (stale ``version``)."""

    code = "CONFLICT"

    def __init__(self, entity: str, current_version: int | None) -> None:
        super().__init__(
            f"{entity} was changed by someone else; reload it and apply your change again"
        )
        self.current_version = current_version


class Forbidden(DomainError):
    """The caller may not do this."""

    code = "FORBIDDEN"
