"""A per-client sliding-window limit on failed sign-in attempts.

The account's own slow-down (in `bedside.services.accounts`) stops guessing one account's
password; this stops one address from trying many accounts. Only failures count
(`record_failure`), and `blocked` only looks: a clinic whose staff all sign in from one address
is never refused because of its own successful sign-ins. The address is the socket's peer, or
the one a configured proxy forwarded (`BEDSIDE_TRUSTED_PROXIES`, see `bedside serve`).

With several server processes the count must be shared, or each worker multiplies the limit:
`BEDSIDE_REDIS_URL` selects `RedisThrottle` (one sorted set per client, keyed by a hash of the
address so no IP address is stored in Redis). Without it, or while Redis does not answer, the
in-memory `Throttle` of this process counts alone.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from typing import Any, Protocol

__all__ = ["RedisThrottle", "SignInThrottle", "Throttle", "make_throttle"]

log = logging.getLogger(__name__)


class SignInThrottle(Protocol):
    """Counts failed sign-in attempts per client."""

    limit: int
    window: float

    def allow(self, key: str) -> bool:
        """Count one attempt for `key`; False once the key is over its limit."""
        ...

    def blocked(self, key: str) -> bool:
        """True while `key` has `limit` failures in the window (counts nothing)."""
        ...

    def record_failure(self, key: str) -> None:
        """Count one failed attempt for `key`."""
        ...

    def reset(self) -> None:
        """Forget every count (tests)."""
        ...


class Throttle:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int = 20, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False once the key is over its limit."""
        if self.blocked(key):
            return False
        self.record_failure(key)
        return True

    def _current(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked(self, key: str) -> bool:
        """True while `key` has `limit` events in the window."""
        with self._lock:
            return len(self._current(key, time.monotonic())) >= self.limit

    def record_failure(self, key: str) -> None:
        """Count one event for `key`."""
        now = time.monotonic()
        with self._lock:
            self._current(key, now).append(now)

    def reset(self) -> None:
        """Forget every key (tests)."""
        with self._lock:
            self._events.clear()


class RedisThrottle:
    """The same sliding window, shared by every server process through Redis.

    If Redis stops answering, attempts are counted by an in-memory `Throttle` until it is back
    (logged once per outage), so sign-in neither fails open nor locks everyone out.
    """

    def __init__(
        self, client: Any, *, limit: int = 20, window: float = 300.0, prefix: str = "bedside:signin:"
    ) -> None:
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self._client = client
        self._fallback = Throttle(limit, window)
        self._degraded = False

    def _key(self, key: str) -> str:
        return self.prefix + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def allow(self, key: str) -> bool:
        """Count one attempt for `key` across every process; False once it is over the limit."""
        import redis

        now = time.time()
        name = self._key(key)
        member = f"{now:.6f}:{uuid.uuid4().hex}"
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.zremrangebyscore(name, 0, now - self.window)
            pipe.zcard(name)
            pipe.zadd(name, {member: now})
            pipe.expire(name, int(self.window) + 1)
            _, count, _, _ = pipe.execute()
            if count >= self.limit:
                self._client.zrem(name, member)
                return False
        except redis.RedisError as error:
            if not self._degraded:
                log.warning("sign-in throttle: Redis unavailable (%s); counting in this process", type(error).__name__)
                self._degraded = True
            self._fallback.limit, self._fallback.window = self.limit, self.window
            return self._fallback.allow(key)
        self._degraded = False
        return True

    def blocked(self, key: str) -> bool:
        """True while `key` has `limit` failures in the window, counted across processes."""
        import redis

        name = self._key(key)
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.zremrangebyscore(name, 0, time.time() - self.window)
            pipe.zcard(name)
            _, count = pipe.execute()
        except redis.RedisError as error:
            self._degrade(error)
            return self._fallback.blocked(key)
        self._degraded = False
        return bool(count >= self.limit)

    def record_failure(self, key: str) -> None:
        """Count one failure for `key` for every process."""
        import redis

        now = time.time()
        name = self._key(key)
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex}": now})
            pipe.expire(name, int(self.window) + 1)
            pipe.execute()
        except redis.RedisError as error:
            self._degrade(error)
            self._fallback.record_failure(key)
            return
        self._degraded = False

    def _degrade(self, error: Exception) -> None:
        if not self._degraded:
            log.warning("sign-in throttle: Redis unavailable (%s); counting in this process", type(error).__name__)
            self._degraded = True
        self._fallback.limit, self._fallback.window = self.limit, self.window

    def reset(self) -> None:
        """Forget every count under this prefix (tests)."""
        self._fallback.reset()
        for name in self._client.scan_iter(match=self.prefix + "*"):
            self._client.delete(name)


def make_throttle(redis_url: str | None, *, limit: int = 20, window: float = 300.0) -> SignInThrottle:
    """`RedisThrottle` when a Redis URL is set, else the in-memory `Throttle`."""
    if not redis_url:
        return Throttle(limit, window)
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return RedisThrottle(client, limit=limit, window=window)
