"""Global IDs: opaque to clients, decoded here, and never a server error when malformed."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.errors import NotFound


def global_id(type_name: str, key: int | str) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(key))))


def decode_global_id(value: str, type_name: str, field: str) -> int:
    """The database id inside a ``type_name`` global ID; anything else is NOT_FOUND at ``field``."""
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:  # not a global ID at all: nothing has it
        raise NotFound(type_name, field=field) from None
    if gid.type_name != type_name or not gid.node_id.isdigit():
        raise NotFound(type_name, field=field)
    return int(gid.node_id)


def page_info(cursors: list[str], has_next_page: bool, has_previous_page: bool) -> relay.PageInfo:
    """Relay page info for a page whose rows have ``cursors`` (in order)."""
    return relay.PageInfo(
        has_next_page=has_next_page, has_previous_page=has_previous_page,
        start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None,
    )
