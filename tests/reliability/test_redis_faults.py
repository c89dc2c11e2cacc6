"""Redis down or failing mid-run: no request fails, health says degraded, and it recovers."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid

from vllm.sampling_params import RequestOutputKind

from enhanced_vllm import CacheConfig, CacheType, EnhancedVLLMHandler
from tests.helpers import EXACT_ONLY, SlowProxy, collect, greedy, unique_prompt


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


READER = textwrap.dedent(
    """
    import asyncio, sys
    from enhanced_vllm.cache import codec
    from enhanced_vllm.cache.redis import RedisCache

    async def main(url, prefix, tenant, digest):
        redis = RedisCache(url, ttl=60, prefix=prefix)
        print(codec.decode(await redis.lookup(tenant, digest), "reader").outputs[0].text)
        await redis.close()

    asyncio.run(main(*sys.argv[1:]))
    """
)


async def test_redis_sigkilled_under_mixed_load_then_restarted(engine, redis_server, tmp_path):
    """240 requests, 64 at a time (misses, exact hits, streams), Redis SIGKILLed mid-run and
    restarted: no request fails, health goes degraded then healthy, the failures and the
    reconnect are counted, and what is written after the restart is readable by another process."""
    if not redis_server.running:
        redis_server.start()
    prefix = f"storm-{uuid.uuid4().hex[:6]}"
    config = CacheConfig(
        cache_type=CacheType.REDIS,
        redis_url=redis_server.url,
        redis_key_prefix=prefix,
        redis_timeout=0.2,
        redis_retry_interval=0.3,
    )
    engine.configure(config, EXACT_ONLY)
    handler = EnhancedVLLMHandler(llm=engine)
    answered = [unique_prompt("a storm petrel") for _ in range(16)]
    for prompt in answered:
        await collect(engine, prompt, greedy(max_tokens=8, ignore_eos=True))
    rng = random.Random(3)
    gate = asyncio.Semaphore(64)

    async def one(i: int):
        kind = ("hit", "miss", "stream")[i % 3]
        prompt = rng.choice(answered) if kind == "hit" else unique_prompt(f"squall {i}")
        output_kind = RequestOutputKind.DELTA if kind == "stream" else RequestOutputKind.CUMULATIVE
        params = greedy(max_tokens=8, kind=output_kind, ignore_eos=True)
        async with gate:
            outputs = await collect(engine, prompt, params)
        return kind, outputs

    load = asyncio.gather(*(one(i) for i in range(240)))
    await asyncio.sleep(0.5)
    redis_server.process.send_signal(signal.SIGKILL)
    redis_server.process.wait()
    redis_server.process = None
    await asyncio.sleep(0.5)
    assert (await handler.health_check())["status"] == "degraded"
    redis_server.start()
    results = await load
    assert len(results) == 240
    for kind, outputs in results:
        assert outputs[-1].finished and outputs[-1].outputs[0].finish_reason == "length", kind
        if kind == "stream":
            assert sum(len(o.outputs[0].token_ids) for o in outputs) == 8

    await asyncio.sleep(0.4)  # past the retry interval
    assert (await handler.health_check())["status"] == "healthy"
    stats = handler.get_stats()
    assert stats["redis_failures"] >= 1 and stats["redis_reconnects"] >= 1, stats

    prompt, params = unique_prompt("after the storm"), greedy(max_tokens=8)
    written = await collect(engine, prompt, params)
    await engine.flush_cache_writes()
    key = engine.keys.build(prompt, params)
    script = tmp_path / "reader.py"
    script.write_text(READER)
    read = subprocess.run(
        [sys.executable, str(script), redis_server.url, prefix, key.tenant, key.digest],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr[-2000:]
    assert read.stdout.strip().splitlines()[-1] == written[-1].text.strip().splitlines()[-1]


async def test_slow_redis_costs_a_request_at_most_the_timeout(engine, redis_server):
    if not redis_server.running:
        redis_server.start()
    proxy = SlowProxy(redis_server.port, delay=3.0)
    url = await proxy.start()
    timeout = 0.3
    engine.configure(CacheConfig(cache_type=CacheType.REDIS, redis_url=url, redis_timeout=timeout), EXACT_ONLY)
    try:
        prompt, params = unique_prompt("a slow tide"), greedy(max_tokens=4)
        key = engine.keys.build(prompt, params)
        started = time.perf_counter()
        assert await engine.exact.lookup(key, "slow") is None  # the Redis level gives up: a miss
        waited = time.perf_counter() - started
        assert timeout * 0.8 <= waited < timeout + 0.2, waited
        outputs = await collect(engine, prompt, params)  # Redis suspended now: straight to the engine
        assert outputs[-1].finished and outputs[-1].text
        assert engine.redis.failures >= 1
    finally:
        await proxy.stop()
        engine.configure(CacheConfig(), EXACT_ONLY)
