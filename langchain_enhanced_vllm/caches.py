"""LangChain ``BaseCache`` implementations on the core stores, for any LangChain model
(``set_llm_cache(EnhancedExactCache())``).

Entries are LangChain's own serialisation (``dumps``/``loads``, revived with the core allowlist),
never pickle. Keys include the ``llm_string``, so models and their parameters never share entries.
A failing Redis or Chroma makes lookups miss; the call goes to the model.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.load import dumps, loads
from langchain_core.messages import BaseMessage

from enhanced_vllm.cache.text_cache import TextCache
from enhanced_vllm.config import CacheConfig, SimilarityConfig

logger = logging.getLogger(__name__)


def _encode(generations: RETURN_VAL_TYPE) -> bytes:
    return json.dumps([dumps(g) for g in generations]).encode()


def _decode(blob: bytes) -> RETURN_VAL_TYPE | None:
    try:
        return [loads(g, allowed_objects="core") for g in json.loads(blob)]
    except Exception as exc:  # a corrupt or foreign entry is a miss
        logger.warning("ignoring an unreadable LangChain cache entry: %r", exc)
        return None


class EnhancedExactCache(BaseCache):
    """Exact-match cache: this process's LRU+TTL memory, then Redis (shared across processes) when
    ``cache_config.cache_type`` is ``redis``. ``namespace`` separates it from other users of Redis."""

    def __init__(self, cache_config: CacheConfig | None = None, namespace: str = "langchain") -> None:
        self.namespace = namespace
        self.levels = TextCache(cache_config, namespace=namespace)
        self.memory, self.redis = self.levels.memory, self.levels.redis

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        blob = self.levels.lookup_exact(self.levels.exact_key(llm_string, prompt))
        return None if blob is None else _decode(blob)

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        blob = await self.levels.alookup_exact(self.levels.exact_key(llm_string, prompt))
        return None if blob is None else _decode(blob)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        self.levels.store_exact(self.levels.exact_key(llm_string, prompt), _encode(return_val))

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        await self.levels.astore_exact(self.levels.exact_key(llm_string, prompt), _encode(return_val))

    def clear(self, **kwargs: Any) -> None:
        """Remove every entry of this cache's namespace (memory and Redis)."""
        self.levels.clear()

    async def aclear(self, **kwargs: Any) -> None:
        await self.levels.aclear()


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
        self.namespace = namespace
        self.levels = TextCache(similarity_config=similarity_config, namespace=namespace, exact=False, semantic=True)
        self.semantic = self.levels.semantic

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        question, context = split_prompt(prompt)
        blob = self.levels.lookup_similar(question, llm_string, context)
        return None if blob is None else _decode(blob)

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        question, context = split_prompt(prompt)
        answer = return_val[0].text if return_val else ""
        self.levels.store_similar(question, answer, llm_string, context, _encode(return_val))

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        return await asyncio.to_thread(self.lookup, prompt, llm_string)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        await asyncio.to_thread(self.update, prompt, llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        """Remove every entry of this cache's namespace."""
        self.levels.clear()

    async def aclear(self, **kwargs: Any) -> None:
        await self.levels.aclear()
