"""The exact stage: L1 memory, then L2 Redis (shared by processes), by key digest.

An L2 hit is copied into L1. An entry older than the request's ``max_age`` is a miss for that
request (and stays for others). An entry that does not decode is a miss and is deleted (from L1, and
from Redis when it came from there). A write reaches L1 at once (the next identical request must
hit) and Redis in the background.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from vllm.outputs import RequestOutput

from enhanced_vllm.cache import codec
from enhanced_vllm.cache.keys import CacheKey
from enhanced_vllm.cache.memory import MemoryCache
from enhanced_vllm.config import DEFAULT_CACHE_CONTROL, CacheControl
from enhanced_vllm.stats import PipelineStats

if TYPE_CHECKING:
    from enhanced_vllm.cache.redis import RedisCache  # optional extra [redis]

logger = logging.getLogger(__name__)


class ExactCache:
    def __init__(
        self,
        memory: MemoryCache,
        redis: RedisCache | None,
        stats: PipelineStats,
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
    ) -> None:
        """``spawn(coroutine)`` runs Redis writes and deletes off the request path."""
        self.memory = memory
        self.redis = redis
        self.stats = stats
        self._spawn = spawn

    def lookup_memory(
        self,
        key: CacheKey,
        request_id: str,
        count_miss: bool = True,
        control: CacheControl = DEFAULT_CACHE_CONTROL,
    ) -> RequestOutput | None:
        """L1 only, synchronous: callable from any thread. ``count_miss=False`` records only a hit
        (for a caller that sends a miss on through :meth:`lookup`, which counts it)."""
        started = time.perf_counter()
        output = self._decode("memory", key, self.memory.lookup(key.digest), request_id, control)
        if output is not None or count_miss:
            self.stats.lookup("memory", output is not None, time.perf_counter() - started)
        return output

    async def lookup(
        self, key: CacheKey, request_id: str, control: CacheControl = DEFAULT_CACHE_CONTROL
    ) -> tuple[str, RequestOutput] | None:
        """``(level, output)`` from the first level that has a fresh enough answer, or None."""
        if (output := self.lookup_memory(key, request_id, control=control)) is not None:
            return "memory", output
        if self.redis is None:
            return None
        started = time.perf_counter()
        blob = await self.redis.lookup(key.tenant, key.digest)
        output = self._decode("redis", key, blob, request_id, control)
        self.stats.lookup("redis", output is not None, time.perf_counter() - started)
        if output is None:
            return None
        self.memory.store(key.digest, blob, tenant=key.tenant)
        return "redis", output

    def store(self, key: CacheKey, blob: bytes, ttl: float | None = None) -> None:
        """Write ``blob`` to every level, kept ``ttl`` s (default: each level's TTL)."""
        self.memory.store(key.digest, blob, ttl, key.tenant)
        if self.redis is not None:
            self._spawn(self.redis.store(key.tenant, key.digest, blob, ttl))

    def _decode(
        self, level: str, key: CacheKey, blob: bytes | None, request_id: str, control: CacheControl
    ) -> RequestOutput | None:
        if blob is None:
            return None
        try:
            output, created_at = codec.decode_entry(blob, request_id)
        except codec.CorruptEntry as exc:
            logger.warning("Deleting corrupt %s cache entry %s: %s", level, key.digest, exc)
            self.stats.count("corrupt")
            self.memory.delete(key.digest)
            if level == "redis" and self.redis is not None:
                self._spawn(self.redis.delete(key.tenant, key.digest))
            return None
        if not control.fresh(created_at, time.time()):
            self.stats.count("too_old")
            return None
        return output
