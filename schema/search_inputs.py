"""The ``where`` and ``orderBy`` inputs of a list, derived from its type's field declarations.

A field declares which ``where`` fields its data answers and whether it sorts (``schema.reads``);
the inputs, the SQL the services build (``Searchable``) and what each filter or sort reveals
(the coordinate whose read rule governs it) all come from those declarations.
"""

from __future__ import annotations

from typing import Any

import strawberry

from api.services.filtering import Searchable
from schema.comparisons import OrderDirection
from schema.reads import TypeReads


def where_input(reads: TypeReads, name: str, description: str, module: str) -> type:
    """A Hasura-style ``where`` input over the declared filters; bind it to ``name`` in ``module``
    (its ``_and``/``_or``/``_not`` refer to it by name)."""
    annotations: dict[str, Any] = {
        "and_": f"list[{name}] | None", "or_": f"list[{name}] | None", "not_": f"{name} | None",
    }
    namespace: dict[str, Any] = {
        "__module__": module,
        "and_": strawberry.field(default=None, name="_and", description="All of these."),
        "or_": strawberry.field(default=None, name="_or", description="Any of these."),
        "not_": strawberry.field(default=None, name="_not", description="Not this."),
    }
    for _, declared in reads.filters():
        annotations[declared.name] = declared.comparison | None
        namespace[declared.name] = strawberry.field(default=None, description=declared.description)
    namespace["__annotations__"] = annotations
    return strawberry.input(type(name, (), namespace), description=description)


def order_input(reads: TypeReads, name: str, description: str, module: str) -> type:
    """An ``orderBy`` element over the declared sort keys: exactly one is set per element."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": module}
    for sort_name, field_name, _, sort_description in reads.sorts():
        annotations[sort_name] = OrderDirection | None
        namespace[sort_name] = strawberry.field(
            default=None, description=sort_description or f"Sort by `{field_name}`."
        )
    namespace["__annotations__"] = annotations
    return strawberry.input(type(name, (), namespace), description=description)


def searchable(reads: TypeReads) -> Searchable:
    """The SQL of every declared filter and sort key, by input name."""
    return Searchable(
        filters={declared.name: declared.sql for _, declared in reads.filters()},
        sorts={sort_name: sql for sort_name, _, sql, _ in reads.sorts()},
    )


def revealed_coordinates(reads: TypeReads) -> dict[str, str]:
    """What filtering or sorting on each input field reveals: the coordinate of its field."""
    found = {declared.name: f"{reads.type_name}.{field}" for field, declared in reads.filters()}
    found.update({sort_name: f"{reads.type_name}.{field}" for sort_name, field, _, _ in reads.sorts()})
    return found
