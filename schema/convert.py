"""Moving values across the boundary: GraphQL inputs to plain dicts, rows to GraphQL types."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from enum import Enum
from functools import cache, cached_property
from typing import Any, TypeVar, cast

from strawberry.types.base import has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T")


def input_dict(value: Any) -> Any:
    """A strawberry input as nested dicts with Python names; fields the client left out are absent."""
    if has_object_definition(value):
        # An instance of a strawberry input (a dataclass); the guard's annotation says a class.
        instance: Any = value
        return {
            field.name: input_dict(getattr(instance, field.name))
            for field in dataclasses.fields(instance)
            if getattr(instance, field.name) is not UNSET
        }
    if isinstance(value, list):
        return [input_dict(item) for item in value]
    if isinstance(value, Enum) and not isinstance(value, str):
        return value.value
    return value


@cache
def _init_fields(cls: Hashable) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls) if field.init)  # type: ignore[arg-type]


def from_row(cls: type[T], row: Any, **overrides: Any) -> T:
    """An instance of the strawberry type ``cls`` with each plain field read from ``row``."""
    names = _init_fields(cast(Hashable, cls))
    if not overrides:  # the common case, once per row of every list a response shows
        return cls(**{name: getattr(row, name) for name in names})
    values = {name: overrides[name] if name in overrides else getattr(row, name) for name in names}
    return cls(**values)


class EnumNames:
    """Stored enum values as the schema names them, by the schema coordinate of their field.

    What is kept as text (a history entry's old and new value) holds an enum's stored value,
    e.g. ``medium``; a client reads the same value as ``MEDIUM`` on the field itself, and must
    read it so in the text too. The fields are found on the given strawberry types, on first
    use (their annotations resolve once every type is defined). Text that is no stored value of
    the field's enum is returned as it is.
    """

    def __init__(self, *types: type) -> None:
        self._types = types

    @cached_property
    def _names(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for cls in self._types:
            definition = cast(Any, cls).__strawberry_definition__
            for field in definition.fields:
                enum = _enum_of(field.type)
                if enum is not None:
                    coordinate = f"{definition.name}.{field.graphql_name or to_camel_case(field.python_name)}"
                    found[coordinate] = {str(value.value): value.name for value in enum.values}
        return found

    def __call__(self, coordinate: str, text: str | None) -> str | None:
        names = self._names.get(coordinate)
        return text if text is None or names is None else names.get(text, text)


def _enum_of(type_: Any) -> StrawberryEnumDefinition | None:
    while hasattr(type_, "of_type"):  # optional and list wrappers
        type_ = type_.of_type
    definition = getattr(type_, "__strawberry_definition__", type_)
    return definition if isinstance(definition, StrawberryEnumDefinition) else None
