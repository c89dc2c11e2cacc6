"""Redis down or failing mid-run: no request fails, health says degraded, and it recovers."""

from __future__ import annotations

import asyncio

from enhanced_vllm import CacheConfig, CacheType, EnhancedVLLMHandler
from tests.helpers import EXACT_ONLY, collect, greedy, unique_prompt


async def test_redis_killed_mid_run_then_restarted(engine, redis_server):
    config = CacheConfig(
        cache_type=CacheType.REDIS,
        redis_url=redis_server.url,
        redis_key_prefix="fault-test",
        redis_timeout=0.2,
        redis_retry_interval=0.5,
    )
    engine.configure(config, EXACT_ONLY)
    handler = EnhancedVLLMHandler(llm=engine)
    params = greedy(max_tokens=16, ignore_eos=True)
    assert (await handler.health_check())["status"] == "healthy"

    async def request(i):
        await asyncio.sleep(i * 0.05)
        return await collect(engine, unique_prompt(f"storm {i}"), params)

    running = asyncio.gather(*(request(i) for i in range(12)))
    await asyncio.sleep(0.2)
    redis_server.stop()
    results = await running
    assert all(r[-1].finished and r[-1].outputs[0].finish_reason == "length" for r in results)

    prompt = unique_prompt("a dark harbor")
    first = await collect(engine, prompt, params)
    assert (await collect(engine, prompt, params))[-1].metadata["cache_level"] == "memory", "L1 still works"
    health = await handler.health_check()
    assert health["status"] == "degraded" and health["components"]["redis"]["status"] == "unhealthy"

    redis_server.start()
    await asyncio.sleep(0.6)  # past the retry interval
    assert (await handler.health_check())["status"] == "healthy"
    engine.memory.clear()
    await collect(engine, prompt, params)  # miss in both levels: stored again, now in Redis too
    await engine.flush_cache_writes()
    engine.memory.clear()
    again = await collect(engine, prompt, params)
    assert again[-1].metadata["cache_level"] == "redis" and again[-1].text == first[-1].text


async def test_unreachable_redis_from_the_start(engine):
    config = CacheConfig(cache_type=CacheType.REDIS, redis_url="redis://127.0.0.1:1/0", redis_timeout=0.2)
    engine.configure(config, EXACT_ONLY)
    prompt, params = unique_prompt("a quiet bay"), greedy(max_tokens=4)
    outputs = await collect(engine, prompt, params)
    assert outputs[-1].finished and outputs[-1].text
    assert (await collect(engine, prompt, params))[-1].metadata["cache_level"] == "memory"
    health = await EnhancedVLLMHandler(llm=engine).health_check()
    assert health["status"] == "degraded" and "error" in health["components"]["redis"]
