"""A per-client sliding-window limit on sign-in attempts (in memory, per process).

Account lock-out (in `bedside.services.accounts`) stops guessing one account's password; this
stops one address from trying many accounts. Behind a proxy, run uvicorn with proxy headers so
the client address is the real one.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

__all__ = ["Throttle"]


class Throttle:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int = 20, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False once the key is over its limit."""
        now = time.monotonic()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def reset(self) -> None:
        """Forget every key (tests)."""
        with self._lock:
            self._events.clear()
