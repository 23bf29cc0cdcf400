"""Global IDs: opaque to clients, decoded here; a malformed one is bad input, never a server error."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.errors import InvalidInput

# What an id of ours decodes to: "<GraphQL type name>:<key>". Longer input is not one of ours.
_TYPE_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_MAX_LENGTH = 200
_MAX_KEY = 2**31 - 1  # the primary keys are 32-bit integer columns


def global_id(type_name: str, key: int | str) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(key))))


@lru_cache(maxsize=4096)
def _decoded(value: str) -> tuple[str, str] | None:
    # Cached by the id's text: a request often reads the same id twice (``node`` finds its type,
    # then its key), and clients send the ids they were given again and again.
    try:
        if len(value) > _MAX_LENGTH:
            return None
        type_name, separator, key = base64.b64decode(value.encode("ascii"), validate=True).decode().partition(":")
    except (ValueError, UnicodeError, binascii.Error):
        return None
    if not separator or not key or not _TYPE_NAME.fullmatch(type_name):
        return None
    return type_name, key


def parse_global_id(value: str, field: str) -> relay.GlobalID:
    """The type name and key inside a global ID; anything that is not one is BAD_USER_INPUT at ``field``.

    Stricter than strawberry's own decoding, which skips characters outside the base64
    alphabet and so reads ids into strings nobody issued.
    """
    decoded = _decoded(value) if isinstance(value, str) else None
    if decoded is None:
        raise _malformed(field)
    return relay.GlobalID(*decoded)


def decode_global_id(value: str, type_name: str, field: str) -> int:
    """The database id inside a ``type_name`` global ID; anything else is BAD_USER_INPUT at ``field``.

    An id of another type is bad input too: the argument says which type it takes. A well-formed
    id of the right type whose row is missing (or out of the caller's reach) is NOT_FOUND, by
    whoever looks it up.
    """
    gid = parse_global_id(value, field)
    if gid.type_name != type_name:
        raise InvalidInput.one(field, f"expected the id of a {type_name}, got the id of a {gid.type_name}")
    key = gid.node_id
    # Only keys as issued: decimal digits without leading zeros, within the integer key columns.
    if not (key.isascii() and key.isdigit()) or str(int(key)) != key or int(key) > _MAX_KEY:
        raise _malformed(field, type_name)
    return int(key)


def node_key(value: str, type_name: str, field: str = "id") -> int | None:
    """For ``node(id:)``: the key of a ``type_name`` ID, or None for a well-formed ID of another type.

    Relay's ``node`` answers null for an object it cannot find, of whatever type; but a value
    that is no global ID at all (or a ``type_name`` ID with a key never issued) is bad input.
    """
    if parse_global_id(value, field).type_name != type_name:
        return None
    return decode_global_id(value, type_name, field)


def _malformed(field: str, type_name: str | None = None) -> InvalidInput:
    what = f"a {type_name} id" if type_name else "a global id"
    return InvalidInput.one(field, f"not {what}: send an `id` exactly as the API returned it")


# The arguments of a keyset-paginated connection, described once for every connection that has them.
PageFirst = Annotated[
    int | None,
    strawberry.argument(
        description="A page forwards: at most this many, from 0 to the page size limit (100 by default). "
        "Without `first` and `last`, the first 20."
    ),
]
PageAfter = Annotated[
    str | None, strawberry.argument(description="With `first`: start after the row whose `cursor` this is.")
]
PageLast = Annotated[
    int | None,
    strawberry.argument(description="A page backwards: at most this many, from 0 to the page size limit."),
]
PageBefore = Annotated[
    str | None, strawberry.argument(description="With `last`: end before the row whose `cursor` this is.")
]
OrderByArgument = strawberry.argument(
    description="Sort keys, most significant first, each naming one field; ties end in id order. Default: by id."
)
WhereArgument = strawberry.argument(
    description="Which rows: every condition given must hold; all in reach when null. Filtering or sorting on "
    "a field needs the right to read it in full."
)


def connection_fields(page: Any, build: Callable[[Any], Any]) -> dict[str, Any]:
    """A Relay connection's ``edges`` and ``pageInfo`` for a keyset ``page``, each row built by ``build``."""
    return {
        "edges": [
            relay.Edge(node=build(row), cursor=cursor) for row, cursor in zip(page.items, page.cursors, strict=True)
        ],
        "page_info": page_info(page.cursors, page.has_next_page, page.has_previous_page),
    }


def page_info(cursors: list[str], has_next_page: bool, has_previous_page: bool) -> relay.PageInfo:
    """Relay page info for a page whose rows have ``cursors`` (in order)."""
    return relay.PageInfo(
        has_next_page=has_next_page, has_previous_page=has_previous_page,
        start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None,
    )
