"""Whether a document introspects the schema (``__schema`` or ``__type``; ``__typename`` is free).

The HTTP layer asks before executing, so the policy decides who may introspect. Nearly no
document mentions either name, so a text search settles most requests without parsing; a
document that does is parsed once (cached by its text) to tell a selection from a comment or a
string.
"""

from __future__ import annotations

import re
from functools import lru_cache

from graphql import FieldNode, GraphQLError, parse, visit
from graphql.language import Visitor

from schema.complexity import MAX_TOKENS

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_MENTIONED = re.compile(r"__(?:schema|type)(?![_0-9A-Za-z])")


class _Finder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def enter_field(self, node: FieldNode, *_args: object) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.found.add(node.name.value)


def introspection_fields(query: str) -> frozenset[str]:
    """Which of ``__schema`` and ``__type`` ``query`` selects, in any operation or fragment.

    Every operation counts, not only the one run: a document is refused or served whole. A
    document that does not parse is not executed at all, so it does not introspect.
    """
    if _MENTIONED.search(query) is None:
        return frozenset()
    return _selected(query)


@lru_cache(maxsize=256)
def _selected(query: str) -> frozenset[str]:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return frozenset()
    finder = _Finder()
    visit(document, finder)
    return frozenset(finder.found)
