"""The regular resolvers' values of declared readings that need other rows (``schema.reads``).

A ``Related``, ``Lookup`` or ``Count`` field's resolver is one call here: the DataLoader of its
declaration batches the page's keys into one statement, the same fetch the planned path runs.
"""

from __future__ import annotations

from typing import Any

from schema.context import Info
from schema.reads import Count, Lookup, Related, lookup_value, related_value, size_of


async def related(info: Info, reading: Related, source: Any, size: int | None = None) -> Any:
    """The rows ``reading`` relates to ``source``, built (a list, or one value or null)."""
    limit = size_of(reading, size)
    rows = await info.context.loaders.of(reading).load((getattr(source, reading.key), limit))
    return related_value(reading, rows, info.context)


async def looked_up(info: Info, reading: Lookup, source: Any) -> Any:
    """The row ``source``'s key names, built; null without a key or a row."""
    key = getattr(source, reading.key)
    return None if key is None else lookup_value(reading, await info.context.loaders.of(reading).load(key))


async def counted(info: Info, reading: Count, source: Any) -> int:
    """The number ``reading`` counts for ``source``."""
    return int(await info.context.loaders.of(reading).load(getattr(source, reading.key)))
