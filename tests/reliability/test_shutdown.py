"""Shutdown loses nothing it promised: ``flush_cache_writes`` / ``cleanup()`` wait for pending cache
writes up to their timeout and say whether all landed; writes cut off by shutdown leave no partial
entry in Redis or Chroma. Its own engine: ``cleanup()`` shuts the engine down."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid

import pytest

from enhanced_vllm import CacheConfig, CacheType, EnhancedAsyncLLM, HandlerConfig, SimilarityConfig
from enhanced_vllm.cache import codec
from enhanced_vllm.cache.redis import RedisCache
from enhanced_vllm.semantic.chroma_process import ChromaCollection
from tests.helpers import SlowProxy, collect, greedy, unique_prompt

REQUESTS = 12


async def _answer_all(llm, topic: str) -> list[str]:
    prompts = [unique_prompt(f"{topic} {i}") for i in range(REQUESTS)]
    await asyncio.gather(*(collect(llm, p, greedy(max_tokens=6)) for p in prompts))
    return prompts


async def _redis_entries(url: str, prefix: str, llm, prompts: list[str]) -> list[bytes | None]:
    redis = RedisCache(url, ttl=60, prefix=prefix)
    try:
        keys = [llm.keys.build(p, greedy(max_tokens=6)) for p in prompts]
        return [await redis.lookup(k.tenant, k.digest) for k in keys]
    finally:
        await redis.close()


def _timed(obj, method: str) -> list[float]:
    """Wrap ``obj.method`` to record how long each call took."""
    took: list[float] = []
    original = getattr(obj, method)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            took.append(time.perf_counter() - started)

    setattr(obj, method, timed)
    return took


@pytest.mark.slow
async def test_writes_drain_within_the_timeout_and_a_cut_off_one_leaves_no_partial_entry(redis_server, tmp_path):
    if not redis_server.running:
        redis_server.start()
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma", max_hold_ms=5000)
    drained = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix="drained")
    llm = EnhancedAsyncLLM(cache_config=drained, handler_config=HandlerConfig(), similarity_config=similarity)
    proxy = SlowProxy(redis_server.port, delay=3.0)
    try:
        prompts = await _answer_all(llm, "a drained cask")
        assert await llm.flush_cache_writes(timeout=30) is True
        entries = await _redis_entries(redis_server.url, "drained", llm, prompts)
        assert all(e is not None and codec.decode(e, "x").finished for e in entries), "a promised write is missing"

        # replies held 3 s: writes still pending when cleanup's 0.5 s run out
        slow = CacheConfig(
            cache_type=CacheType.REDIS, redis_url=await proxy.start(), redis_key_prefix="cut", redis_timeout=10
        )
        llm.configure(slow, HandlerConfig(), similarity)
        prompts = await _answer_all(llm, "a cut rope")
        engine_shutdown = _timed(llm, "shutdown")
        started = time.perf_counter()
        flushed = await llm.cleanup(timeout=0.5)
        took = time.perf_counter() - started - engine_shutdown[0]
        print(f"cleanup with writes held: {took:.2f} s besides the engine's {engine_shutdown[0]:.2f} s shutdown")
        assert flushed is False, "cleanup said everything landed while Redis replies were held"
        assert took < 2.0, f"cleanup's cache part took {took:.1f} s for a 0.5 s timeout"
    finally:
        await proxy.stop()
        llm.shutdown()

    await asyncio.sleep(3.5)  # the held replies go out; what reached Redis is whole or absent
    for entry in await _redis_entries(redis_server.url, "cut", llm, prompts):
        assert entry is None or codec.decode(entry, "x").finished
    chroma = ChromaCollection(similarity)
    try:
        stored = chroma.get(where={"tenant": {"$ne": f"none-{uuid.uuid4().hex}"}}, limit=1000, offset=0)
    finally:
        chroma.close()
    assert stored["metadatas"], "the drained answers reached Chroma"
    for metadata in stored["metadatas"]:
        assert codec.decode(base64.b64decode(metadata["output"]), "x").finished
