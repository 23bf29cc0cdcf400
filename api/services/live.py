"""Live events for subscriptions: what happened (a warning raised, a revisit fallen due), told to
every subscriber of every instance once the change has committed.

An event names only the customer and what to look up (never confidential values): each
subscriber reads it again under its own policy and row scope. One instance alone uses
``LocalBroker`` (nothing to install); several share Redis pub/sub (``RedisBroker``,
``CREDITCARE_LIVE_BROKER=redis``): every instance publishes to Redis and fans each message out to
its own subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

WARNINGS = "warnings"
REVISITS = "revisits"
_QUEUE_SIZE = 1000  # per subscriber: a subscriber that falls this far behind loses the oldest


class LocalBroker:
    """Publish and subscribe within this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.deliver(channel, message)

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        """Hand ``message`` to every subscriber of ``channel`` in this process."""
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():
                queue.get_nowait()  # the slowest subscriber loses its oldest event, nobody else waits
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """The messages published on ``channel`` from now on, until the subscriber stops."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_SIZE)
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBroker(LocalBroker):
    """Publish through Redis; one listener per process fans Redis messages out to local subscribers."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_connect_timeout=5)
        self._prefix = prefix
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(self._prefix + channel, json.dumps(message))

    async def start(self) -> None:
        await self._redis.ping()  # an unreachable Redis stops start-up, as the policy watcher does
        self._listener = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._ready.wait(), 5)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(self._prefix + "*")
                    self._ready.set()
                    async for raw in pubsub.listen():
                        if raw.get("type") != "pmessage":
                            continue
                        channel = raw["channel"].decode()[len(self._prefix):]
                        self.deliver(channel, json.loads(raw["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: say so, and listen again once it is back
                log.exception("live events: lost Redis; listening again in 1 s")
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await self._redis.aclose()


Broker = LocalBroker
