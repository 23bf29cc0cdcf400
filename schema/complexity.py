"""How much a document asks for, counted before any validation or execution.

graphql-core's validation (and strawberry's depth and alias limiters) walk fragments without
memoisation: a small document whose fragments each spread the next twice costs seconds. This
count expands each fragment once (memoised), so it is linear in the document, and rejects
documents that ask for too many fields or use too many aliases.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

MAX_TOKENS = 20_000  # parsing itself is bounded


@dataclass(frozen=True, slots=True)
class Cost:
    selections: int  # fields the largest operation selects, fragments expanded
    aliases: int  # aliased fields in the largest operation, fragments expanded


def _cost(document: DocumentNode) -> Cost:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, tuple[int, int]] = {}

    def of_set(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> tuple[int, int]:
        fields = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner = of_set(selection.selection_set, visiting)
                fields += 1 + inner[0]
                aliases += (1 if selection.alias is not None else 0) + inner[1]
            elif isinstance(selection, InlineFragmentNode):
                inner = of_set(selection.selection_set, visiting)
                fields, aliases = fields + inner[0], aliases + inner[1]
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visiting or name not in fragments:
                    continue  # a cycle or an unknown fragment: validation reports it
                if name not in memo:
                    memo[name] = of_set(fragments[name].selection_set, visiting | {name})
                fields, aliases = fields + memo[name][0], aliases + memo[name][1]
        return fields, aliases

    costs = [
        of_set(d.selection_set, frozenset()) for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    worst = max(costs, default=(0, 0))
    return Cost(selections=worst[0], aliases=max((c[1] for c in costs), default=0))


@lru_cache(maxsize=512)
def document_cost(query: str) -> Cost | GraphQLError:
    """The cost of a query (cached by its text), or the syntax error that stops it being read."""
    try:
        return _cost(parse(query, max_tokens=MAX_TOKENS))
    except GraphQLError as error:
        return error


def too_complex(query: str, *, max_selections: int, max_aliases: int) -> str | None:
    """Why the query is refused as too complex, or None. Syntax errors are left to validation."""
    cost = document_cost(query)
    if isinstance(cost, GraphQLError):
        if "tokens" in cost.message:
            return f"the document has more than {MAX_TOKENS} tokens"
        return None
    if cost.selections > max_selections:
        return f"the document selects {cost.selections} fields, more than the {max_selections} allowed"
    if cost.aliases > max_aliases:
        return f"the document uses {cost.aliases} aliases, more than the {max_aliases} allowed"
    return None
