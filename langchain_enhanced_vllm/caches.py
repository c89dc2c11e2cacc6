"""LangChain ``BaseCache`` implementations on the core stores, for any LangChain model
(``set_llm_cache(EnhancedExactCache())``).

Entries are LangChain's own serialisation (``dumps``/``loads``, revived with the core allowlist),
never pickle. Keys include the ``llm_string``, so models and their parameters never share entries.
A failing Redis or Chroma makes lookups miss; the call goes to the model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.load import dumps, loads
from langchain_core.messages import BaseMessage

from enhanced_vllm.cache.memory import MemoryCache
from enhanced_vllm.config import CacheConfig, CacheType, SimilarityConfig
from enhanced_vllm.runtime import background

logger = logging.getLogger(__name__)


def _encode(generations: RETURN_VAL_TYPE) -> bytes:
    return json.dumps([dumps(g) for g in generations]).encode()


def _decode(blob: bytes) -> RETURN_VAL_TYPE | None:
    try:
        return [loads(g, allowed_objects="core") for g in json.loads(blob)]
    except Exception as exc:  # a corrupt or foreign entry is a miss
        logger.warning("ignoring an unreadable LangChain cache entry: %r", exc)
        return None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class EnhancedExactCache(BaseCache):
    """Exact-match cache: this process's LRU+TTL memory, then Redis (shared across processes) when
    ``cache_config.cache_type`` is ``redis``. ``namespace`` separates it from other users of Redis."""

    def __init__(self, cache_config: CacheConfig | None = None, namespace: str = "langchain") -> None:
        config = cache_config or CacheConfig()
        self.namespace = namespace
        self.memory = MemoryCache(config.memory_cache_size, config.ttl)
        self.redis = None
        if config.cache_type == CacheType.REDIS:
            from enhanced_vllm.cache.redis import RedisCache

            self.redis = RedisCache(
                config.resolved_redis_url,
                config.ttl,
                config.redis_key_prefix,
                config.redis_timeout,
                config.redis_retry_interval,
            )
        self._io = background()  # the Redis client lives on the background loop

    async def _lookup_redis(self, key: str) -> bytes | None:
        if self.redis is None:
            return None
        blob = await self.redis.lookup(self.namespace, key)
        if blob is not None:
            self.memory.store(key, blob)
        return blob

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        key = _digest(llm_string, prompt)
        blob = self.memory.lookup(key)
        if blob is None and self.redis is not None:
            blob = self._io.run(self._lookup_redis(key))
        return None if blob is None else _decode(blob)

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        key = _digest(llm_string, prompt)
        blob = self.memory.lookup(key)
        if blob is None and self.redis is not None:
            blob = await self._io.arun(self._lookup_redis(key))
        return None if blob is None else _decode(blob)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        key, blob = _digest(llm_string, prompt), _encode(return_val)
        self.memory.store(key, blob)
        if self.redis is not None:
            self._io.run(self.redis.store(self.namespace, key, blob))

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        key, blob = _digest(llm_string, prompt), _encode(return_val)
        self.memory.store(key, blob)
        if self.redis is not None:
            await self._io.arun(self.redis.store(self.namespace, key, blob))

    def clear(self, **kwargs: Any) -> None:
        """Remove every entry of this cache's namespace (memory and Redis)."""
        self.memory.clear()
        if self.redis is not None:
            self._io.run(self.redis.clear(self.namespace))

    async def aclear(self, **kwargs: Any) -> None:
        self.memory.clear()
        if self.redis is not None:
            await self._io.arun(self.redis.clear(self.namespace))


def split_prompt(prompt: str) -> tuple[str, str]:
    """(question, context) of a cache prompt: for chat models (whose prompt is the serialised
    message list) the last human message and everything before it; for LLMs the prompt itself."""
    try:
        messages = loads(prompt, allowed_objects="messages")
    except Exception:
        return prompt, ""
    if isinstance(messages, Sequence) and messages and all(isinstance(m, BaseMessage) for m in messages):
        last = messages[-1]
        if last.type == "human" and isinstance(last.content, str):
            return last.content, dumps(list(messages[:-1]))
    return prompt, ""


class EnhancedSemanticCache(BaseCache):
    """Semantic cache on the core Chroma store and guard: a paraphrase of a cached prompt (same
    model string, same conversation before it) gets the cached generations. Misses go to the model."""

    def __init__(self, similarity_config: SimilarityConfig | None = None, namespace: str = "langchain") -> None:
        from enhanced_vllm.semantic.cache import SemanticCache

        self.namespace = namespace
        self.semantic = SemanticCache(similarity_config or SimilarityConfig())

    def _signature(self, llm_string: str, context: str) -> str:
        return _digest(self.namespace, llm_string, context)

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        question, context = split_prompt(prompt)
        entry = self.semantic.lookup_sync(question, self._signature(llm_string, context))
        if entry is None or entry.blob is None:
            return None
        return _decode(entry.blob)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        question, context = split_prompt(prompt)
        answer = return_val[0].text if return_val else ""
        signature = self._signature(llm_string, context)
        self.semantic.store_sync(question, answer, signature, self.namespace, _encode(return_val))

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        return await asyncio.to_thread(self.lookup, prompt, llm_string)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        await asyncio.to_thread(self.update, prompt, llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        """Remove every entry of this cache's namespace."""
        self.semantic.clear(self.namespace)

    async def aclear(self, **kwargs: Any) -> None:
        await asyncio.to_thread(self.clear)
