"""Input validation with pydantic, reported as field problems named as the client sent them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from api.errors import FieldProblem, InvalidInput
from api.reference.currencies import currency_error

M = TypeVar("M", bound=BaseModel)

def _active_currency(code: str) -> str:
    # The same list as the GraphQL scalar: input from the CLI, demo data or a plugin is held to it too.
    problem = currency_error(code)
    if problem is not None:
        raise ValueError(problem)
    return code


CurrencyCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code"), AfterValidator(_active_currency)
]
# 15 significant digits (a trillion yuan and cents): what SQLite, the embedded default, keeps
# exactly; PostgreSQL would keep more.
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=2)]
SignedMoney = Annotated[Decimal, Field(max_digits=15, decimal_places=2)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
LongText = Annotated[str, Field(min_length=1, max_length=4000)]
ListItem = Annotated[str, Field(min_length=1, max_length=200)]


class Command(BaseModel):
    """Base of every validated input: camelCase names (as in GraphQL), trimmed strings."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=True,
        extra="forbid",
        frozen=True,
    )


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    # pydantic prefixes custom errors with "Value error, "; the field name already says what.
    return message.removeprefix("Value error, ")


def _camel(part: str | int) -> str:
    return to_camel(part) if isinstance(part, str) else str(part)


def parse(model: type[M], data: Mapping[str, Any], *, prefix: str = "input") -> M:
    """Validate ``data`` into ``model``; raise InvalidInput naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(
                ".".join([prefix, *(_camel(part) for part in err["loc"])]), _message(err)
            )
            for err in exc.errors()
        ]
        raise InvalidInput(problems) from None
