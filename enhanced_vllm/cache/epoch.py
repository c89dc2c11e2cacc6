"""The namespace epoch: part of every cache key, so bumping it retires every older entry at once, in
memory, Redis and Chroma, in every process that shares them.

It lives where the processes meet: in Redis when the exact cache has it (an ``INCR``), else in the
semantic store's Chroma collection metadata, else in this process alone. Each engine reads it before
its first request and then at most every ``interval`` seconds, off the request path, so a bump by
another process is seen within about that long. Older entries become unreachable at once; the
mirrors drop them and the bumping process deletes them from Chroma, while Redis lets them expire.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from enhanced_vllm.cache.redis import RedisCache
    from enhanced_vllm.semantic.cache import SemanticCache

logger = logging.getLogger(__name__)


class EpochClock:
    def __init__(
        self, namespace: str, redis: RedisCache | None, semantic: SemanticCache | None, interval: float = 1.0
    ) -> None:
        self.namespace = namespace
        self.interval = interval
        self._redis = redis
        self._semantic = semantic
        self._local = 0

    @property
    def source(self) -> str:
        return "redis" if self._redis is not None else "chroma" if self._semantic is not None else "process"

    async def read(self) -> int | None:
        """The shared epoch, or None when its store cannot be reached (the last one known stays)."""
        try:
            if self._redis is not None:
                return await self._redis.read_epoch(self.namespace) if self._redis.available else None
            if self._semantic is not None:
                return await asyncio.to_thread(self._semantic.store.read_epoch, self.namespace)
        except Exception as exc:
            logger.debug("reading the cache epoch from %s failed: %r", self.source, exc)
            return None
        return self._local

    async def bump(self) -> int:
        """Advance the epoch; raises when its shared store cannot be reached (nothing is retired then)."""
        if self._redis is not None:
            return await self._redis.bump_epoch(self.namespace)
        if self._semantic is not None:
            return await asyncio.to_thread(self._semantic.store.bump_epoch, self.namespace)
        self._local += 1
        return self._local
