"""Handler, factory, health, stats and Prometheus metrics."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY, generate_latest
from vllm import SamplingParams

from enhanced_vllm import (
    EnhancedAsyncLLM,
    EnhancedVLLMError,
    EnhancedVLLMHandler,
    HandlerConfig,
    VLLMConfig,
    create_enhanced_system,
    get_global_factory,
)
from tests.helpers import greedy, unique_prompt


async def drain(collector):
    return [o async for o in collector.get_outputs()]


async def test_handler_batch_use_as_documented(llm):
    handler = EnhancedVLLMHandler(llm=llm)
    await handler.start()
    prompts = [unique_prompt(f"topic {i}") for i in range(4)]
    collectors = [await handler.add_request_v2(p, greedy(max_tokens=5)) for p in prompts + prompts[:1]]
    stats = handler.get_stats()
    assert stats["active_requests"] == 5 and stats["engine_requests"] == 4, "the duplicate shares a generation"
    results = await asyncio.gather(*(drain(c) for c in collectors))
    assert all(r[-1].finished and r[-1].error is None for r in results)
    assert results[4][-1].text == results[0][-1].text
    again = await drain(await handler.add_request_v2(prompts[1], greedy(max_tokens=5)))
    assert again[-1].metadata["cache_level"] == "memory"

    stats = handler.get_stats()
    assert stats["active_requests"] == 0 and stats["llm_running"] is True
    assert stats["hits"] == {"memory": 1} and stats["misses"]["memory"] == 5 and stats["engine_requests"] == 4
    assert stats["latency_ms_p50"] > 0 and stats["latency_ms_p95"] >= stats["latency_ms_p50"]
    health = await handler.health_check()
    assert health["status"] == "healthy" and set(health["components"]) == {"engine", "memory_cache"}


async def test_bad_request_through_handler_ends_with_error_output(llm):
    handler = EnhancedVLLMHandler(llm=llm)
    outputs = await drain(await handler.add_request_v2("word " * 5000, greedy()))
    assert len(outputs) == 1 and outputs[0].finished and "length" in outputs[0].error.lower()


async def test_handler_not_started_is_a_clear_error():
    handler = EnhancedVLLMHandler()
    with pytest.raises(EnhancedVLLMError, match="start"):
        await handler.add_request_v2("hi")
    assert (await handler.health_check())["status"] == "unhealthy"
    assert handler.get_stats() == {"active_requests": 0, "llm_running": False}


async def test_prometheus_metrics_are_exported(llm):
    handler = EnhancedVLLMHandler(llm=llm)
    engine = llm.stats.engine_label

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, {"engine": engine, **labels}) or 0.0

    before = {
        "hit": sample("enhanced_vllm_cache_lookups_total", level="memory", result="hit"),
        "miss": sample("enhanced_vllm_cache_lookups_total", level="memory", result="miss"),
        "engine": sample("enhanced_vllm_engine_requests_total"),
        "timed": sample("enhanced_vllm_cache_lookup_seconds_count", level="memory"),
    }
    prompt = unique_prompt("a bell")
    for _ in range(2):
        await drain(await handler.add_request_v2(prompt, greedy(max_tokens=3)))
    assert sample("enhanced_vllm_cache_lookups_total", level="memory", result="hit") == before["hit"] + 1
    assert sample("enhanced_vllm_cache_lookups_total", level="memory", result="miss") == before["miss"] + 1
    assert sample("enhanced_vllm_engine_requests_total") == before["engine"] + 1
    assert sample("enhanced_vllm_cache_lookup_seconds_count", level="memory") == before["timed"] + 2
    assert "enhanced_vllm_inflight_coalesced_requests" in generate_latest(REGISTRY).decode()


@pytest.mark.slow
async def test_create_enhanced_system_with_all_defaults(monkeypatch, tmp_path):
    """The original design's example: defaults give a working system on the bundled model."""
    monkeypatch.setenv("ENHANCED_VLLM_SIMILARITY_CHROMA_PATH", str(tmp_path / "chroma"))
    semantic_starts = []
    start_semantic = EnhancedAsyncLLM._start_semantic_cache
    monkeypatch.setattr(
        EnhancedAsyncLLM, "_start_semantic_cache", lambda llm: semantic_starts.append(1) or start_semantic(llm)
    )
    vllm_config = VLLMConfig()
    vllm_config.engine_args.max_model_len = 1024
    handler = await create_enhanced_system(vllm_config=vllm_config, handler_config=HandlerConfig(nlp_enabled=True))
    try:
        assert await create_enhanced_system(vllm_config=vllm_config, handler_config=HandlerConfig()) is handler
        params = SamplingParams(temperature=0, max_tokens=8)
        first = await drain(await handler.add_request_v2("The capital of France is", params))
        second = await drain(await handler.add_request_v2("The capital of France is", params))
        assert first[-1].text and second[-1].metadata["cache_level"] == "memory"
        health = await handler.health_check()
        assert health["status"] == "healthy" and health["components"]["semantic_cache"]["status"] == "healthy"
        instance_stats = get_global_factory().get_instance_stats()
        assert len(instance_stats) == 1 and next(iter(instance_stats.values()))["llm_running"] is True
        assert semantic_starts == [1], "from_engine_args configures the caches once, with the given configs"
    finally:
        await get_global_factory().cleanup_all()
    assert handler.llm is None and get_global_factory().get_instance_stats() == {}


def test_each_event_loop_gets_its_own_handler_and_never_the_adapters_engine(monkeypatch):
    """An engine serves the loop it started on: a second ``asyncio.run`` (a script's second step, a
    notebook beside an adapter) gets a handler of its own, and the adapters' background engine is
    never handed out by ``create_enhanced_system`` (awaiting it from another loop hung)."""
    from enhanced_vllm import CacheConfig, runtime

    class FakeEngine:
        errored = False

        async def cleanup(self):
            return True

    async def start(self):
        self.llm = self.llm or FakeEngine()

    monkeypatch.setattr(EnhancedVLLMHandler, "start", start)
    configs = (VLLMConfig(), CacheConfig(namespace="one-loop-each"))

    async def two_calls():
        first = await create_enhanced_system(*configs)
        return first, await create_enhanced_system(*configs)

    first, same = asyncio.run(two_calls())
    second, _ = asyncio.run(two_calls())
    assert first is same and second is not first

    background = runtime.shared_runtime(*configs)
    try:
        third, _ = asyncio.run(two_calls())
        assert background.llm not in (first.llm, second.llm, third.llm)
    finally:
        runtime._SHARED.pop(next(k for k, (r, _) in runtime._SHARED.items() if r is background))

    async def cleanup():
        await get_global_factory().cleanup_all()

    asyncio.run(cleanup())
    assert not [key for key in get_global_factory()._instances if "one-loop-each" in key[1]]
