"""Admission before any work: requests a worker serves at once, and requests per principal.

Both answer fast, before the body is read: an overloaded worker says 503 with ``Retry-After``
(a load balancer tries another), a principal over its rate says 429 with ``Retry-After``.
The rate is counted by the ``limits`` library, in this process or in Redis so that every
instance shares one count per principal.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from api.settings import RateLimitStorage, Settings

log = logging.getLogger(__name__)
_QUIET_SECONDS = 60.0  # one warning a minute while the shared counter is unreachable


@dataclass(slots=True)
class ConcurrencyGate:
    """How many requests this worker is serving; one more than ``limit`` is turned away."""

    limit: int
    serving: int = 0

    def enter(self) -> bool:
        if self.serving >= self.limit:
            return False
        self.serving += 1
        return True

    def leave(self) -> None:
        self.serving -= 1


@dataclass(slots=True)
class RateLimiter:
    """Requests per principal over a sliding window."""

    item: RateLimitItem
    limiter: SlidingWindowCounterRateLimiter
    _warned_at: float = field(default=-math.inf)

    async def retry_after(self, principal: str) -> int | None:
        """None when the principal may go on, else the seconds to wait before asking again.

        The counter being unreachable (Redis away) lets requests through: a rate limit protects
        the service, it must not be what takes it down. The outage is logged once a minute.
        """
        try:
            if await self.limiter.hit(self.item, principal):
                return None
            stats = await self.limiter.get_window_stats(self.item, principal)
        except Exception as error:  # any failure of the shared counter
            now = time.monotonic()
            if now - self._warned_at > _QUIET_SECONDS:
                self._warned_at = now
                log.warning("rate limit counter unreachable, requests are not limited: %s", error)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))


def rate_limiter(settings: Settings) -> RateLimiter | None:
    """The limiter the settings ask for, or None when requests per principal are not limited."""
    if not settings.rate_limit:
        return None
    storage: Storage
    if settings.rate_limit_storage is RateLimitStorage.REDIS:
        storage = RedisStorage(
            "async+" + settings.redis_url, implementation="redispy", key_prefix="creditcare-rate",
            wrap_exceptions=True, socket_timeout=0.5, socket_connect_timeout=0.5,
        )
    else:
        storage = MemoryStorage()
    return RateLimiter(parse(settings.rate_limit), SlidingWindowCounterRateLimiter(storage))
