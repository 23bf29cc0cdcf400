"""Keeping several instances' policies in step: a Redis watcher (pycasbin's redis-watcher)."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

from redis_watcher import WatcherOptions, new_watcher

from api.authz.store import PolicyHolder

log = logging.getLogger(__name__)


def start_watcher(holder: PolicyHolder, redis_url: str, channel: str) -> object:
    """Subscribe to policy changes; publish ours. The watcher's thread hands reloads to the loop."""
    loop = asyncio.get_running_loop()
    target = urlparse(redis_url)
    options = WatcherOptions()
    options.host = target.hostname or "127.0.0.1"
    options.port = str(target.port or 6379)
    options.password = target.password
    options.channel = channel

    def on_message(message: str) -> None:
        log.info("policy change announced: reloading")
        asyncio.run_coroutine_threadsafe(holder.reload(), loop)

    options.optional_update_callback = on_message
    watcher = new_watcher(options)
    holder.on_change = watcher.update
    return watcher


def stop_watcher(watcher: object) -> None:
    """Stop listening (the watcher's thread is a daemon; closing its connection ends it)."""
    watcher.close = True  # type: ignore[attr-defined]
    sub = getattr(watcher, "sub_client", None)
    if sub is not None:
        try:
            sub.close()
        except Exception:  # closing a connection that is already gone is fine
            pass
