"""Chroma in server mode (how several processes share the semantic cache), and its failure."""

from __future__ import annotations

import uuid

import pytest

from enhanced_vllm import CacheConfig, EnhancedVLLMHandler, HandlerConfig, SimilarityConfig
from tests.helpers import EXACT_ONLY, LocalChromaServer, collect, greedy


@pytest.fixture
def chroma_server(tmp_path):
    server = LocalChromaServer(tmp_path / "chroma-server").start()
    yield server
    server.stop()


async def test_server_mode_hit_then_server_killed_requests_still_succeed(engine, chroma_server):
    similarity = SimilarityConfig(chroma_mode="http", chroma_port=chroma_server.port, max_hold_ms=5000)
    engine.configure(CacheConfig(), HandlerConfig(), similarity)
    handler = EnhancedVLLMHandler(llm=engine)
    try:
        topic = uuid.uuid4().hex[:4]
        params = greedy(max_tokens=10, ignore_eos=True)
        first = await collect(engine, f"How do I learn the {topic} dance quickly?", params)
        await engine.flush_cache_writes()
        hit = await collect(engine, f"How can I learn the {topic} dance quickly?", params)
        assert hit[-1].metadata["cache_level"] == "semantic" and hit[-1].text == first[-1].text
        assert engine.semantic.store.count() == 1
        assert (await handler.health_check())["status"] == "healthy"

        chroma_server.stop()
        signature = engine.keys.build("any", params).signature
        mirrored = await engine.semantic.lookup(f"How could I learn the {topic} dance quickly?", signature)
        assert mirrored is not None and mirrored.answer == first[-1].text, "lookups read the in-process mirror"
        outputs = await collect(engine, f"Which city hosts the {topic} festival?", params)
        assert outputs[-1].finished and outputs[-1].outputs[0].finish_reason == "length"
        assert outputs[-1].metadata["cached"] is False
        await engine.flush_cache_writes()  # its store fails: Chroma is down
        health = await handler.health_check()
        assert health["status"] == "degraded" and health["components"]["semantic_cache"]["status"] == "unhealthy"
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)


async def test_chroma_server_down_at_start_degrades_to_exact_levels(engine):
    similarity = SimilarityConfig(chroma_mode="http", chroma_port=1)
    engine.configure(CacheConfig(), HandlerConfig(), similarity)
    try:
        assert engine.semantic is None and engine.semantic_error
        prompt, params = f"Name a {uuid.uuid4().hex[:4]} color.", greedy(max_tokens=4)
        assert (await collect(engine, prompt, params))[-1].finished
        assert (await collect(engine, prompt, params))[-1].metadata["cache_level"] == "memory"
        assert (await EnhancedVLLMHandler(llm=engine).health_check())["status"] == "degraded"
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
