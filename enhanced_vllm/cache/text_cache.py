"""The cache levels for any model, not only this package's engine: what the framework caches
(LangChain's ``BaseCache``s, LlamaIndex's ``CachedLLM``) store and look up through.

Exact: this process's LRU+TTL memory, then Redis (shared across processes) when ``cache_type`` is
``redis``, by a digest of the model string and the prompt. Semantic (optional): the core Chroma store
and guard, by the question, within a signature of the model string and the conversation before it.
Values are opaque bytes the adapter serialises (never pickle). A failing Redis or Chroma makes a
lookup miss; the call then goes to the model. Sync methods run Redis on a background loop.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

from enhanced_vllm.cache.memory import MemoryCache
from enhanced_vllm.config import CacheConfig, CacheType, SimilarityConfig
from enhanced_vllm.runtime import background

if TYPE_CHECKING:
    from enhanced_vllm.cache.redis import RedisCache
    from enhanced_vllm.semantic.cache import SemanticCache


def digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class TextCache:
    def __init__(
        self,
        cache_config: CacheConfig | None = None,
        similarity_config: SimilarityConfig | None = None,
        *,
        namespace: str,
        exact: bool = True,
        semantic: bool = False,
    ) -> None:
        """``namespace`` separates these entries from other users of the same Redis and Chroma."""
        config = cache_config or CacheConfig()
        self.namespace = namespace
        self.memory = MemoryCache(config.memory_cache_size, config.ttl) if exact else None
        self.redis: RedisCache | None = None
        if exact and config.cache_type == CacheType.REDIS:
            from enhanced_vllm.cache.redis import RedisCache

            self.redis = RedisCache(
                config.resolved_redis_url,
                config.ttl,
                config.redis_key_prefix,
                config.redis_timeout,
                config.redis_retry_interval,
            )
        self.semantic: SemanticCache | None = None
        if semantic:
            from enhanced_vllm.semantic.cache import SemanticCache

            self.semantic = SemanticCache(similarity_config or SimilarityConfig())
        self._io = background()  # the Redis client lives on the background loop

    # --- exact ---------------------------------------------------------------------------------

    def exact_key(self, model: str, prompt: str) -> str:
        return digest(model, prompt)

    def lookup_exact(self, key: str) -> bytes | None:
        if self.memory is None:
            return None
        blob = self.memory.lookup(key)
        if blob is None and self.redis is not None:
            blob = self._io.run(self._lookup_redis(key))
        return blob

    async def alookup_exact(self, key: str) -> bytes | None:
        if self.memory is None:
            return None
        blob = self.memory.lookup(key)
        if blob is None and self.redis is not None:
            blob = await self._io.arun(self._lookup_redis(key))
        return blob

    async def _lookup_redis(self, key: str) -> bytes | None:
        blob = await self.redis.lookup(self.namespace, key)
        if blob is not None:
            self.memory.store(key, blob)
        return blob

    def store_exact(self, key: str, blob: bytes) -> None:
        if self.memory is None:
            return
        self.memory.store(key, blob)
        if self.redis is not None:
            self._io.run(self.redis.store(self.namespace, key, blob))

    async def astore_exact(self, key: str, blob: bytes) -> None:
        if self.memory is None:
            return
        self.memory.store(key, blob)
        if self.redis is not None:
            await self._io.arun(self.redis.store(self.namespace, key, blob))

    # --- semantic ------------------------------------------------------------------------------

    def signature(self, model: str, context: str) -> str:
        """Paraphrases share answers only for the same model string and the same conversation before."""
        return digest(self.namespace, model, context)

    def lookup_similar(self, question: str, model: str, context: str = "") -> bytes | None:
        if self.semantic is None:
            return None
        entry = self.semantic.lookup_sync(question, self.signature(model, context))
        return None if entry is None else entry.blob

    async def alookup_similar(self, question: str, model: str, context: str = "") -> bytes | None:
        return await asyncio.to_thread(self.lookup_similar, question, model, context)

    def store_similar(self, question: str, answer: str, model: str, context: str, blob: bytes) -> None:
        if self.semantic is not None:
            self.semantic.store_sync(question, answer, self.signature(model, context), self.namespace, blob)

    async def astore_similar(self, question: str, answer: str, model: str, context: str, blob: bytes) -> None:
        await asyncio.to_thread(self.store_similar, question, answer, model, context, blob)

    # --- lifecycle -----------------------------------------------------------------------------

    def clear(self) -> None:
        """Remove every entry of this namespace from every level."""
        if self.memory is not None:
            self.memory.clear()
        if self.redis is not None:
            self._io.run(self.redis.clear(self.namespace))
        if self.semantic is not None:
            self.semantic.clear(self.namespace)

    async def aclear(self) -> None:
        if self.memory is not None:
            self.memory.clear()
        if self.redis is not None:
            await self._io.arun(self.redis.clear(self.namespace))
        if self.semantic is not None:
            await asyncio.to_thread(self.semantic.clear, self.namespace)
