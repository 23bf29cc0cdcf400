"""Moving values across the boundary: GraphQL inputs to plain dicts, rows to GraphQL types."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

from strawberry.types.base import has_object_definition
from strawberry.types.unset import UNSET

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
