"""1,000 requests at once with every stage on and small stage bounds: every request completes at
the engine's pace, the stages shed work (counted) instead of queueing it without bound."""

from __future__ import annotations

import asyncio
import time
import uuid

from enhanced_vllm import CacheConfig, HandlerConfig, SimilarityConfig
from enhanced_vllm.bench import _enhanced, _plain
from tests.helpers import EXACT_ONLY, greedy

REQUESTS = 1000
BOUND = 50  # pending analyses and pending semantic stores


async def test_a_thousand_at_once_complete_and_the_stages_shed_work(engine, tmp_path):
    params = greedy(max_tokens=2, ignore_eos=True)
    prompts = [f"Name one fact about the river number {uuid.uuid4().hex[:8]}." for _ in range(REQUESTS)]
    started = time.perf_counter()
    await asyncio.gather(*(_plain(engine, f"{p} (plain)", params) for p in prompts))
    plain_s = time.perf_counter() - started

    handler = HandlerConfig(nlp={"max_pending_tasks": BOUND})
    similarity = SimilarityConfig(chroma_mode="persistent", chroma_path=tmp_path / "chroma", max_pending_stores=BOUND)
    engine.configure(CacheConfig(memory_cache_size=REQUESTS), handler, similarity)
    started = time.perf_counter()
    running = asyncio.gather(*(_enhanced(engine, p, params) for p in prompts))
    try:
        peak = {"analyses": 0, "stores": 0}
        while not running.done():
            peak["analyses"] = max(peak["analyses"], len(engine.nlp._pending))
            peak["stores"] = max(peak["stores"], engine.semantic.worker.pending_stores)
            await asyncio.sleep(0.005)
        outputs = await running
        product_s = time.perf_counter() - started
        assert all(o.finished and o.outputs[0].finish_reason == "length" for o in outputs)
        events = engine.stats.events
        assert events["nlp_skipped"] > 0 and peak["analyses"] <= BOUND, (events, peak)
        assert peak["stores"] <= BOUND, peak
        skipped = sum(o.metadata["nlp_result"] == {"skipped": "overload"} for o in outputs)
        assert skipped == events["nlp_skipped"]
        print(f"plain {plain_s:.1f} s, product {product_s:.1f} s, {dict(events)}, peak {peak}")
        assert product_s < 3 * plain_s + 5, "the product fell far behind the engine under overload"
    finally:
        running.cancel()
        await engine.flush_cache_writes()
        engine.configure(CacheConfig(), EXACT_ONLY)
