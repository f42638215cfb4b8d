"""The sign-in throttle: in memory per process, or shared by every process through a real Redis."""

from __future__ import annotations

import uuid

import pytest
import redis

from bedside.web.throttle import RedisThrottle, Throttle, make_throttle

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def client():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    yield connection
    connection.close()


@pytest.fixture
def prefix(client):
    name = f"bedside-test:{uuid.uuid4().hex}:"
    yield name
    for key in client.scan_iter(match=name + "*"):
        client.delete(key)


def test_in_memory_throttle_counts_per_key():
    throttle = Throttle(limit=2, window=60)
    assert throttle.allow("a") and throttle.allow("a")
    assert not throttle.allow("a")
    assert throttle.allow("b")


def test_two_server_processes_share_one_count_through_redis(client, prefix):
    worker_one = RedisThrottle(client, limit=3, window=60, prefix=prefix)
    worker_two = RedisThrottle(redis.Redis.from_url(REDIS_URL), limit=3, window=60, prefix=prefix)
    assert worker_one.allow("203.0.113.7")
    assert worker_two.allow("203.0.113.7")
    assert worker_one.allow("203.0.113.7")
    assert not worker_two.allow("203.0.113.7"), "the third attempt anywhere used up the limit"
    assert not worker_one.allow("203.0.113.7")
    assert worker_two.allow("198.51.100.1"), "another address has its own count"


def test_no_ip_address_is_stored_in_redis(client, prefix):
    RedisThrottle(client, limit=3, window=60, prefix=prefix).allow("203.0.113.7")
    keys = [key.decode() for key in client.scan_iter(match=prefix + "*")]
    assert len(keys) == 1 and "203.0.113.7" not in keys[0]
    assert client.ttl(keys[0]) > 0, "counts expire on their own"


def test_window_slides(client, prefix):
    throttle = RedisThrottle(client, limit=1, window=1, prefix=prefix)
    assert throttle.allow("x")
    assert not throttle.allow("x")
    client.zadd(prefix + "unused", {"m": 0})  # unrelated keys are left alone
    import time

    time.sleep(1.1)
    assert throttle.allow("x")


def test_redis_down_counts_in_this_process_instead():
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    throttle = RedisThrottle(dead, limit=2, window=60)
    assert throttle.allow("a") and throttle.allow("a")
    assert not throttle.allow("a")


def test_make_throttle_follows_the_setting():
    assert isinstance(make_throttle(None), Throttle)
    assert isinstance(make_throttle(REDIS_URL), RedisThrottle)
