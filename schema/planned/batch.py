"""Fetching a planned response's related rows: one statement per field, whatever the page size.

Before the response is built, each ``Related``, ``Lookup`` and ``Count`` field is fetched for
every source of its level at once (the DataLoaders of the regular path batch the same way, with
the same fetch), level by level: a page's customers, then their relationship managers, then those
managers' branches. The build then reads each value by its source's key.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.errors import InvalidInput
from api.services.customer_page import NodeRow
from schema.nested_pages import Paged
from schema.planned.run import Bound, Fallback, Run
from schema.planned.shape import FieldShape
from schema.reads import Count, Lookup, Related, lookup_value, related_value, size_of


class Fetcher:
    """The related rows of one run, on the request's connection."""

    def __init__(self, run: Run, connection: Any) -> None:
        self.run = run
        self.connection = connection
        self._session: AsyncSession | None = None
        # Rows looked up by key, per reading: a branch found for the customers is not read
        # again for their relationship managers.
        self._looked_up: dict[int, dict[Any, Any]] = {}

    def session(self) -> Any:
        """An ORM session on the request's connection (the fetches read ORM rows)."""
        if self._session is None:
            if not isinstance(self.connection, AsyncConnection):
                return self.connection
            self._session = AsyncSession(bind=self.connection, expire_on_commit=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def below(self, bound: Bound, sources: list[Any]) -> None:
        """Fetch every batched field below ``bound``, whose values are ``sources``."""
        if sources and type(sources[0]) is NodeRow:
            return  # nodes the database built carry everything below them
        for child in bound.children:
            if not child.needs_fetch or not sources:
                continue
            shape = child.shape
            if shape.resolved is not None and shape.resolved.batched:
                values = await self._fetch(shape, sources)
            elif shape.read is not None:
                values = [shape.read(source) for source in sources]
            else:
                assert shape.resolved is not None
                values = [shape.resolved.value(source, self.run, shape) for source in sources]
            await self.below(child, _flat(values))

    async def _fetch(self, shape: FieldShape, sources: list[Any]) -> list[Any]:
        declared = shape.declared
        assert declared is not None
        reading = declared.reading
        if isinstance(reading, Related):
            reading = reading.pick(self.run.args(shape))
        key = attrgetter(reading.key)  # type: ignore[union-attr]
        keys = list(dict.fromkeys(k for source in sources if (k := key(source)) is not None))
        found: dict[Any, Any] = {}
        if keys:
            session = self.session()
            if isinstance(reading, Paged):  # a nested connection: the page its arguments ask for
                try:
                    request = reading.request(self.run.args(shape))
                except InvalidInput as error:
                    raise Fallback.of(error) from error
                pages = await reading.pages(session, keys, request)
                found = {k: reading.value(pages[k], self.run.view) for k in keys}
            elif isinstance(reading, Related):
                try:
                    limit = size_of(reading, self.run.args(shape).get(reading.argument or ""))
                except InvalidInput as error:
                    raise Fallback.of(error) from error
                rows = await reading.fetch(session, keys, limit)
                found = {k: related_value(reading, rows.get(k), self.run.view) for k in keys}
            elif isinstance(reading, Lookup):
                known = self._looked_up.setdefault(id(reading), {})
                missing = [k for k in keys if k not in known]
                if missing:
                    rows = await reading.fetch(session, missing)
                    # A row source: the target type's planned fields read the row itself.
                    known.update({k: rows.get(k) if reading.row_source else lookup_value(reading, rows.get(k))
                                  for k in missing})
                found = {k: known[k] for k in keys}
            elif isinstance(reading, Count):
                found = dict(await reading.fetch(session, keys))
        self.run.fetched[shape] = (found, key)
        return [found.get(key(source)) for source in sources]


def _flat(values: list[Any]) -> list[Any]:
    """The objects among ``values``: lists flattened, nulls dropped."""
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(item for item in value if item is not None)
        elif value is not None:
            flat.append(value)
    return flat
