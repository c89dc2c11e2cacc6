"""L2: Redis, the exact cache shared by every process and replica that points at it.

Redis is optional at run time: every operation has a short timeout, and a failure never reaches
the request. After a failure the level stays out of the path for ``retry_interval`` seconds (so a
dead Redis costs one timeout, not one per request), then the next call tries again; redis-py
reconnects by itself, so a restarted server is picked up without intervention.

Connections come from a blocking pool sized for the engine's concurrency (``max_connections``): when
all are busy a call waits for one, bounded by the same timeout, instead of failing at once (redis-py's
default pool raises ``MaxConnectionsError`` past 100 and would take Redis out of the path).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
DIGEST_PATTERN = "[0-9a-f]" * 64  # a key digest: a tenant's pattern never reaches a longer tenant's keys
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def _glob_escape(text: str) -> str:
    return _GLOB_SPECIAL.sub(r"\\\1", text)


class RedisCache:
    name = "redis"

    def __init__(
        self,
        url: str,
        ttl: float,
        prefix: str,
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        max_connections: int = 256,
    ) -> None:
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
        self._client = Redis.from_pool(pool)
        self._url = url
        self._ttl_ms = int(ttl * 1000)
        self._prefix = prefix
        self._retry_interval = retry_interval
        self._suspended_until = 0.0
        self.last_error: str | None = None
        self.failures = 0  # failed calls (each suspends Redis for the retry interval)
        self.reconnects = 0  # successes after a failure: Redis back in the path

    def _full_key(self, tenant: str, key: str) -> str:
        return f"{self._prefix}:{tenant}:{key}"

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._suspended_until

    def _failed(self, operation: str, exc: Exception) -> None:
        self.failures += 1
        if self.last_error is None:
            logger.warning("Redis %s failed (%r); serving from memory and engine", operation, exc)
        self.last_error = f"{operation}: {exc!r}"
        self._suspended_until = time.monotonic() + self._retry_interval

    def _succeeded(self) -> None:
        if self.last_error is not None:
            logger.info("Redis at %s is reachable again", self._url)
            self.reconnects += 1
        self.last_error = None

    async def lookup(self, tenant: str, key: str) -> bytes | None:
        if not self.available:
            return None
        try:
            value = await self._client.get(self._full_key(tenant, key))
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        self._succeeded()
        return value

    async def store(self, tenant: str, key: str, value: bytes, ttl: float | None = None) -> None:
        """Keep ``value`` for ``ttl`` s (default: the level's)."""
        if not self.available:
            return
        ttl_ms = self._ttl_ms if ttl is None else max(1, int(ttl * 1000))
        try:
            await self._client.set(self._full_key(tenant, key), value, px=ttl_ms)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)
        else:
            self._succeeded()

    async def delete(self, tenant: str, key: str) -> None:
        try:
            await self._client.delete(self._full_key(tenant, key))
        except (RedisError, OSError) as exc:
            self._failed("delete", exc)

    async def count(self) -> int:
        """Entries of every tenant under this prefix (a scan; raises RedisError / OSError when Redis fails)."""
        pattern = f"{_glob_escape(self._prefix)}:*:{DIGEST_PATTERN}"
        return sum([1 async for _ in self._client.scan_iter(match=pattern, count=1000)])

    async def exists(self, tenant: str, key: str) -> bool:
        """Whether ``tenant``'s entry ``key`` is stored (raises RedisError / OSError when Redis fails)."""
        return bool(await self._client.exists(self._full_key(tenant, key)))

    async def keys_of(self, tenant: str) -> list[str]:
        """The digests stored for ``tenant`` (raises RedisError / OSError when Redis fails)."""
        start = len(self._full_key(tenant, ""))
        pattern = f"{_glob_escape(self._prefix)}:{_glob_escape(tenant)}:{DIGEST_PATTERN}"
        return [key[start:].decode() async for key in self._client.scan_iter(match=pattern, count=500)]

    async def keys_holding(self, tenant: str, values: set[bytes]) -> list[str]:
        """``tenant``'s digests whose value is one of ``values`` (a scan: for invalidation, not requests)."""
        keys, holding = await self.keys_of(tenant), []
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            found = await self._client.mget([self._full_key(tenant, key) for key in batch])
            holding += [key for key, value in zip(batch, found, strict=True) if value in values]
        return holding

    async def delete_many(self, tenant: str, keys: list[str]) -> int:
        """Delete ``tenant``'s entries ``keys``; returns how many existed."""
        removed = 0
        for start in range(0, len(keys), 500):
            batch = [self._full_key(tenant, key) for key in keys[start : start + 500]]
            removed += await self._client.delete(*batch)
        return removed

    async def clear(self, tenant: str) -> int:
        """Delete every entry of ``tenant``; returns how many were removed."""
        return await self.delete_many(tenant, await self.keys_of(tenant))

    async def read_epoch(self, namespace: str) -> int:
        """The namespace's epoch (0 until bumped); raises RedisError / OSError when Redis fails."""
        return int(await self._client.get(f"{self._prefix}:epoch:{namespace}") or 0)

    async def bump_epoch(self, namespace: str) -> int:
        return int(await self._client.incr(f"{self._prefix}:epoch:{namespace}"))

    async def health(self) -> dict:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            self._failed("ping", exc)
            return {"status": "unhealthy", "url": self._url, "error": self.last_error, **self.counts}
        self._succeeded()
        return {"status": "healthy", "url": self._url, **self.counts}

    @property
    def counts(self) -> dict[str, int]:
        return {"failures": self.failures, "reconnects": self.reconnects}

    async def close(self, timeout: float = 1.0) -> None:
        """Close the pool, waiting at most ``timeout`` s for connections stuck on a slow server."""
        try:
            await asyncio.wait_for(self._client.aclose(), timeout)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            logger.debug("closing the Redis pool at %s: %r", self._url, exc)
