"""Keeping every worker's and instance's policy in step with its store.

Two mechanisms: each worker checks its store's fingerprint on an interval and reloads when it
changed (``follow``: the file store's only one, the database store's backstop), and for the
database store a Redis watcher (pycasbin's redis-watcher) announces each change at once. A
change therefore reaches every worker within the polling interval plus the time to check a
policy (``Settings.policy_sync_bound_seconds``), and at once where the announcement arrives.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from threading import Event, Thread
from typing import Any
from urllib.parse import urlparse

from redis import Redis
from redis_watcher import WatcherOptions, new_watcher
from redis_watcher.watcher import RedisWatcher

from api.authz.store import PolicyHolder

log = logging.getLogger(__name__)


def start_watcher(holder: PolicyHolder, redis_url: str, channel: str) -> RedisWatcher:
    """Subscribe to policy changes; publish ours. The watcher's thread hands reloads to the loop.

    Redis unreachable at start is an error: an instance that cannot hear of policy changes would
    go on enforcing rules compliance has withdrawn.
    """
    Redis.from_url(redis_url, socket_connect_timeout=5).ping()  # raises when unreachable
    loop = asyncio.get_running_loop()
    target = urlparse(redis_url)
    options = WatcherOptions()
    options.host = target.hostname or "127.0.0.1"
    options.port = str(target.port or 6379)
    options.password = target.password
    options.channel = channel
    options.init_config()  # sets local_ID, by which our own announcements are recognised

    def on_message(message: str) -> None:
        if options.local_ID in message:
            return  # our own change: already reloaded here
        log.info("policy change announced by another instance: reloading")
        future = asyncio.run_coroutine_threadsafe(holder.sync(), loop)
        future.add_done_callback(_report_failure)

    options.optional_update_callback = on_message
    watcher = new_watcher(options)
    holder.on_change = watcher.update
    return watcher


def listening(watcher: RedisWatcher) -> bool:
    """Whether the watcher hears announcements: its thread lives (it dies on any Redis error) and
    has subscribed (a restarted one waits before subscribing)."""
    return bool(watcher.subscribe_thread.is_alive() and watcher.subscribe_event.is_set())


async def follow(holder: PolicyHolder, interval: float) -> None:
    """Every ``interval`` seconds, reload if the store changed: what bounds how long any worker
    or instance keeps a policy its store has replaced (a refused candidate leaves it in force)."""
    failing = False
    while True:
        await asyncio.sleep(interval)
        try:
            await holder.sync()
        except Exception as exc:  # keep following: the store may be back at the next tick
            # Said once per outage; /readyz turns 503 if it lasts beyond the bound.
            log.log(logging.DEBUG if failing else logging.WARNING, "checking the policy store failed: %s", exc)
            failing = True
        else:
            if failing:
                log.info("checking the policy store works again")
            failing = False


async def supervise(watcher: RedisWatcher, holder: PolicyHolder, interval: float) -> None:
    """Bring a dead listener back, then reload: what was announced meanwhile was missed.

    Until it listens again ``/readyz`` reports the instance unready (see ``listening``).
    """
    while True:
        await asyncio.sleep(interval)
        if watcher.close or watcher.subscribe_thread.is_alive():
            continue
        log.error("policy watcher stopped listening to Redis; reconnecting and reloading the policy")
        try:
            await asyncio.to_thread(_restart, watcher)
            await holder.sync()
        except Exception:  # keep supervising: the next round tries again
            log.exception("reconnecting the policy watcher failed")


def _restart(watcher: RedisWatcher) -> None:
    """A new listening thread that subscribes at once (the library's own ``recreate_thread`` sleeps
    10 s first, during which the instance could not be stopped cleanly); the supervisor's interval
    is the back-off."""
    watcher.sub_client = None
    watcher.sleep = 0
    watcher.execute_update = False
    watcher.subscribe_event = Event()
    watcher.subscribe_thread = Thread(target=watcher.subscribe, daemon=True)
    watcher.subscribe_thread.start()
    watcher.subscribe_event.wait(timeout=1)


def _report_failure(future: Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("policy reload after a change announcement failed", exc_info=future.exception())


def stop_watcher(watcher: RedisWatcher, timeout: float = 3.0) -> None:
    """Unsubscribe, close both connections and wait (bounded) for the listening thread to end."""
    watcher.close = True
    # Unsubscribing ends the thread's listen loop, which then closes its own connection.
    _quietly(watcher.sub_client, "unsubscribe")
    watcher.subscribe_thread.join(timeout)
    if watcher.subscribe_thread.is_alive():
        _quietly(watcher.sub_client, "close")
    _quietly(watcher.pub_client, "close")


def _quietly(client: object | None, method: str) -> None:
    if client is not None:
        try:
            getattr(client, method)()
        except Exception:  # a connection already gone needs no closing
            log.debug("closing the policy watcher: %s failed", method, exc_info=True)
