"""Chroma in server mode (how several processes share the semantic cache), and its failure."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from enhanced_vllm import CacheConfig, EnhancedVLLMHandler, HandlerConfig, SimilarityConfig
from enhanced_vllm.semantic.chroma_process import ChromaCollection
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


async def test_chroma_server_killed_under_load_then_restarted(engine, chroma_server):
    """200 requests, 64 at a time, with the Chroma server SIGKILLed mid-run and restarted on its
    port and data: none fails, health goes degraded then healthy, and an answer stored after the
    restart is read back through a fresh client of the server."""
    similarity = SimilarityConfig(chroma_mode="http", chroma_port=chroma_server.port, max_hold_ms=200)
    engine.configure(CacheConfig(), HandlerConfig(), similarity)
    handler = EnhancedVLLMHandler(llm=engine)
    gate = asyncio.Semaphore(64)
    topic = uuid.uuid4().hex[:4]

    async def one(i: int):
        async with gate:
            prompt = f"What is the story of the {topic} lantern number {i}?"
            return await collect(engine, prompt, greedy(max_tokens=8, ignore_eos=True))

    try:
        load = asyncio.gather(*(one(i) for i in range(200)))
        await asyncio.sleep(1.0)
        await asyncio.to_thread(chroma_server.stop)  # SIGKILL
        await engine.flush_cache_writes(timeout=5)  # stores fail against the dead server
        assert (await handler.health_check())["status"] == "degraded"
        await asyncio.to_thread(chroma_server.start)  # the load keeps running meanwhile
        results = await load
        reasons = [(r[-1].outputs[0].finish_reason, r[-1].metadata["cache_level"]) for r in results]
        assert all(r[-1].finished and r[-1].error is None for r in results)
        assert reasons.count(("length", None)) == len(results), reasons  # each from the engine, none lost
        assert (await handler.health_check())["status"] == "healthy"

        question = f"Who lit the {topic} lighthouse after the storm?"
        written = await collect(engine, question, greedy(max_tokens=8))
        assert await engine.flush_cache_writes(timeout=30)
        reader = ChromaCollection(similarity)  # another client process of the same server
        try:
            found = reader.get(where={"question": question}, limit=5, offset=0)
        finally:
            reader.close()
        assert [m["answer"] for m in found["metadatas"]] == [written[-1].text]
    finally:
        engine.configure(CacheConfig(), EXACT_ONLY)
