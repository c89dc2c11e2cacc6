"""L2 Redis on a real redis-server: hits, fill-back into L1, compression, corrupt entries."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from enhanced_vllm import CacheConfig, CacheType
from tests.helpers import EXACT_ONLY, collect, greedy, unique_prompt


async def stored_blob(llm, prompt, params):
    key = llm.keys.build(prompt, params)
    return key, await llm.redis.lookup(key.tenant, key.digest)


async def test_redis_hit_after_memory_is_cleared_then_memory_hit(redis_llm):
    llm = redis_llm
    prompt, params = unique_prompt("a harbor"), greedy(max_tokens=6)
    miss = await collect(llm, prompt, params)
    await llm.flush_cache_writes()
    _, blob = await stored_blob(llm, prompt, params)
    assert blob is not None, "the finished answer reached Redis"
    llm.memory.clear()
    from_redis = await collect(llm, prompt, params, "from-redis")
    assert from_redis[-1].metadata["cache_level"] == "redis" and from_redis[-1].text == miss[-1].text
    assert from_redis[-1].request_id == "from-redis"
    assert (await collect(llm, prompt, params))[-1].metadata["cache_level"] == "memory"
    assert llm.stats.hits == {"redis": 1, "memory": 1}


async def test_compressed_entries_are_readable_by_an_uncompressed_reader(engine, redis_server):
    prefix = "compat-test"
    config = CacheConfig(
        cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix=prefix, enable_compression=True
    )
    engine.configure(config, EXACT_ONLY)
    prompt, params = unique_prompt("a meadow"), greedy(max_tokens=6)
    miss = await collect(engine, prompt, params)
    await engine.flush_cache_writes()
    _, blob = await stored_blob(engine, prompt, params)
    assert blob.startswith(b"z")
    engine.configure(config.model_copy(update={"enable_compression": False}), EXACT_ONLY)
    hit = await collect(engine, prompt, params)
    assert hit[-1].metadata["cache_level"] == "redis" and hit[-1].text == miss[-1].text


async def test_corrupt_redis_entry_is_a_miss_and_is_deleted(redis_llm):
    llm = redis_llm
    prompt, params = unique_prompt("a lantern"), greedy(max_tokens=4)
    key = llm.keys.build(prompt, params)
    await llm.redis.store(key.tenant, key.digest, b"r\x92\x01")
    outputs = await collect(llm, prompt, params)
    assert outputs[-1].metadata["cached"] is False and outputs[-1].text
    assert llm.stats.events["corrupt"] == 1
    await llm.flush_cache_writes()
    _, blob = await stored_blob(llm, prompt, params)
    assert blob is not None and blob != b"r\x92\x01", "the corrupt value was replaced by the fresh answer"


async def test_redis_ttl_expiry(engine, redis_server):
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url=redis_server.url, redis_key_prefix="ttl-test", ttl=0.3)
    engine.configure(config, EXACT_ONLY)
    prompt, params = unique_prompt("a candle"), greedy(max_tokens=4)
    await collect(engine, prompt, params)
    await engine.flush_cache_writes()
    assert (await stored_blob(engine, prompt, params))[1] is not None
    await asyncio.sleep(0.5)
    assert (await stored_blob(engine, prompt, params))[1] is None


@pytest.mark.parametrize("max_connections", [256, 8])
async def test_more_than_a_hundred_concurrent_misses_and_hits_see_no_connection_errors(
    engine, redis_server, max_connections
):
    """redis-py's default pool fails past 100 connections; ours waits for a free one instead."""
    if not redis_server.running:
        redis_server.start()
    config = CacheConfig(
        cache_type=CacheType.REDIS,
        redis_url=redis_server.url,
        redis_key_prefix=f"load-{uuid.uuid4().hex[:8]}",
        redis_max_connections=max_connections,
    )
    engine.configure(config, EXACT_ONLY)
    prompts, params = [unique_prompt(f"a load test {i}") for i in range(150)], greedy(max_tokens=2)
    misses = await asyncio.gather(*(collect(engine, p, params) for p in prompts))
    await engine.flush_cache_writes(timeout=30)
    engine.memory.clear()
    hits = await asyncio.gather(*(collect(engine, p, params) for p in prompts))
    assert [h[-1].metadata["cache_level"] for h in hits] == ["redis"] * len(prompts)
    assert [h[-1].text for h in hits] == [m[-1].text for m in misses]
    assert engine.redis.last_error is None and engine.redis.available
